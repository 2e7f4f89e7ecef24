"""The outbox's pages: one's notification channels and calendar URL, the calendar
feed itself, and the office's view of deliveries that failed or are being retried."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duban.items.errors import ActionError
from duban.web.views import current_user

from . import actions, calendar_feed, channels
from .forms import ChannelPreferenceForm
from .models import PLATFORM_OF_CHANNEL, CalendarFeed, Channel, ChannelPreference, DeliveryStatus
from .queries import deliveries_visible_to, troubled

PAGE_SIZE = 50


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    current = ChannelPreference.objects.filter(user=user).first() or ChannelPreference()
    initial = {name: current.wants(name) for name in Channel.values}
    if request.method == "POST":
        form = ChannelPreferenceForm(request.POST, initial=initial)
        if form.is_valid():
            actions.set_channel_preferences(user, **form.cleaned_data)
            messages.success(request, _("通知方式已保存。"))
            return redirect("notify-preferences")
    else:
        form = ChannelPreferenceForm(initial=initial)
    return _preferences_page(request, user, form)


def _preferences_page(
    request: HttpRequest, user: Any, form: ChannelPreferenceForm, new_feed_url: str = ""
) -> HttpResponse:
    open_channels = channels.available()
    accounts = dict(user.platform_accounts.values_list("platform", "account_id"))
    addresses = {
        Channel.EMAIL: user.email,
        Channel.SMS: user.phone,
        Channel.WECOM: _("单位的企业微信群"),
        Channel.DINGTALK: _("单位的钉钉群"),
    }
    for channel, platform in PLATFORM_OF_CHANNEL.items():
        account = accounts.get(platform)
        if account:
            addresses[channel] = _("账号 %(account)s") % {"account": account}
        elif user.phone:
            addresses[channel] = _("按手机号 %(phone)s 匹配的账号") % {"phone": user.phone}
        else:
            addresses[channel] = ""
    rows = [
        {
            "field": form[name],
            "open": name in open_channels,
            "address": addresses[Channel(name)],
        }
        for name in Channel.values
    ]
    feed = CalendarFeed.objects.filter(user=user).first()
    return render(
        request,
        "notify/preferences.html",
        {"form": form, "rows": rows, "feed": feed, "new_feed_url": new_feed_url},
    )


@require_POST
@login_required
def calendar_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    try:
        token = actions.create_calendar_feed(user)
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("notify-preferences")
    # The URL is shown on this answer only: the server keeps just its hash.
    messages.success(request, _("已生成新的日历订阅地址，原地址（如有）已失效。"))
    current = ChannelPreference.objects.filter(user=user).first() or ChannelPreference()
    form = ChannelPreferenceForm(initial={name: current.wants(name) for name in Channel.values})
    response = _preferences_page(request, user, form, calendar_feed.feed_url(token))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    try:
        actions.revoke_calendar_feed(user)
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("notify-preferences")
    messages.success(request, _("日历订阅地址已停用，日历软件将无法再读取。"))
    return redirect("notify-preferences")


@require_safe
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The feed, for calendar programs: no session, the token is the key."""
    user = calendar_feed.owner(token)
    if user is None:
        raise Http404(_("日历订阅地址无效或已停用。"))
    response = HttpResponse(calendar_feed.build(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="duban.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def require_office_supervisor(request: HttpRequest) -> Any:
    user = current_user(request)
    if not user.is_office_supervisor:
        raise PermissionDenied(_("只有督办员可以查看通知发送情况。"))
    return user


@require_safe
@login_required
def failures(request: HttpRequest) -> HttpResponse:
    user = require_office_supervisor(request)
    deliveries = (
        troubled(deliveries_visible_to(user))
        .select_related("notice__item", "notice__recipient")
        .order_by("status", "-created_at", "-id")
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/failures.html",
        {"page_obj": page, "deliveries": list(page.object_list), "FAILED": DeliveryStatus.FAILED},
    )


@require_POST
@login_required
def retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    user = require_office_supervisor(request)
    # A delivery about an item the supervisor may not see answers like a missing one.
    delivery = get_object_or_404(deliveries_visible_to(user), pk=delivery_id)
    try:
        actions.retry_delivery(user, delivery)
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("notify-failures")
    messages.success(request, _("已重新加入发送队列。"))
    return redirect("notify-failures")
