"""The webhooks' pages, for office supervisors (督办员): the office's endpoints, a new
one, and each one's page — its settings, its actions and its delivery log.

Who may: `actions.check_manager` refuses anyone else with a Chinese 403 before
anything is read; an endpoint of another office answers like a missing one (404).
Every change goes through `duban.hooks.actions`. The secret is shown only on the
answer that made it (never stored in a page, never cached).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duban.items.errors import ActionError, InvalidInput
from duban.web.views import current_user

from . import actions
from .forms import EndpointForm
from .models import DeliveryStatus, Endpoint

PAGE_SIZE = 50


def _manager(request: HttpRequest) -> Any:
    user = current_user(request)
    try:
        actions.check_manager(user)
    except ActionError as error:
        raise PermissionDenied(error.message) from None
    return user


def _endpoint(user: Any, pk: int) -> Endpoint:
    endpoint = actions.endpoints_for(user).select_related("created_by").filter(pk=pk).first()
    if endpoint is None:
        raise Http404(_("事件推送不存在。"))
    return endpoint


def _form_errors(form: EndpointForm, error: ActionError) -> None:
    for field, message in error.errors.items():
        form.add_error(field if field in form.fields else None, message)
    if not error.errors:
        form.add_error(None, error.message)


@require_safe
@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    endpoints = list(actions.endpoints_for(user).select_related("created_by"))
    return render(request, "hooks/list.html", {"endpoints": endpoints})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def endpoint_new(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_bound:
        try:
            endpoint, secret = actions.create_endpoint(
                user,
                name=request.POST.get("name"),
                url=request.POST.get("url"),
                kinds=request.POST.getlist("events"),
            )
        except InvalidInput as error:
            form.is_valid()
            _form_errors(form, error)
        else:
            messages.success(request, _("事件推送已创建。"))
            return _detail_page(request, user, endpoint, new_secret=secret)
    return render(request, "hooks/new.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    endpoint = _endpoint(user, pk)
    if request.method == "POST":
        form = EndpointForm(request.POST)
        try:
            actions.update_endpoint(
                user,
                endpoint,
                name=request.POST.get("name"),
                url=request.POST.get("url"),
                kinds=request.POST.getlist("events"),
            )
        except InvalidInput as error:
            form.is_valid()
            _form_errors(form, error)
            return _detail_page(request, user, endpoint, form=form)
        except ActionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("事件推送已保存。"))
        return redirect("webhook-detail", pk=endpoint.pk)
    return _detail_page(request, user, endpoint)


def _detail_page(
    request: HttpRequest,
    user: Any,
    endpoint: Endpoint,
    *,
    form: EndpointForm | None = None,
    new_secret: str = "",
) -> HttpResponse:
    if form is None:
        form = EndpointForm(
            initial={"name": endpoint.name, "url": endpoint.url, "events": endpoint.events}
        )
    deliveries = endpoint.deliveries.order_by("-created_at", "-id")
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "hooks/detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "new_secret": new_secret,
            "page_obj": page,
            "deliveries": list(page.object_list),
            "FAILED": DeliveryStatus.FAILED,
            "SENT": DeliveryStatus.SENT,
        },
    )
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


def _act(request: HttpRequest, pk: int, act: Any, done: str) -> HttpResponse:
    user = _manager(request)
    endpoint = _endpoint(user, pk)
    try:
        act(user, endpoint)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("webhook-detail", pk=endpoint.pk)


@require_POST
@login_required
def endpoint_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.deactivate_endpoint, _("事件推送已停用。"))


@require_POST
@login_required
def endpoint_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, actions.activate_endpoint, _("事件推送已恢复发送。"))


@require_POST
@login_required
def endpoint_ping(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, actions.send_test_ping, _("测试消息已加入发送队列，结果见下方发送记录。")
    )


@require_POST
@login_required
def endpoint_secret(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    endpoint = _endpoint(user, pk)
    try:
        secret = actions.regenerate_secret(user, endpoint)
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("webhook-detail", pk=endpoint.pk)
    messages.success(request, _("已生成新的签名密钥，原密钥即时失效。"))
    endpoint.refresh_from_db()
    return _detail_page(request, user, endpoint, new_secret=secret)
