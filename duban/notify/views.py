"""The outbox's pages: one's notification channels, and the office's view of
deliveries that failed or are being retried."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duban.items.errors import ActionError
from duban.web.views import current_user

from . import actions, channels
from .forms import ChannelPreferenceForm
from .models import Channel, ChannelPreference, DeliveryStatus
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
    open_channels = channels.available()
    addresses = {
        Channel.EMAIL: user.email,
        Channel.SMS: user.phone,
        Channel.WECOM: _("单位的企业微信群"),
        Channel.DINGTALK: _("单位的钉钉群"),
    }
    rows = [
        {
            "field": form[name],
            "open": name in open_channels,
            "address": addresses[Channel(name)],
        }
        for name in Channel.values
    ]
    return render(request, "notify/preferences.html", {"form": form, "rows": rows})


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
