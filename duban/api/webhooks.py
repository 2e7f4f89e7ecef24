"""Webhooks over the API: the office's endpoints, for its supervisors (督办员) only.

The same actions as the pages (`duban.hooks.actions`), which refuse anyone else
(403); an endpoint of another office answers like a missing one (404). The secret is
in the answer that makes it (creating, `/secret`) and in no other.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from duban.hooks import actions
from duban.hooks.models import Endpoint, EventKind

from . import present
from .errors import NotFound
from .schemas import ErrorOut, Text, server_rule

router = Router(tags=["事件推送"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
EVENTS_HELP = (
    "订阅的事件：item.established（立项）、item.assigned（交办）、item.signed_for（签收）、"
    "item.returned（退回）、item.feedback（反馈进展）、item.report_submitted（报送办结报告）、"
    "item.completed（办结）、item.report_returned（办结报告退回）、item.urged（催办）、"
    "item.overdue（超期）、item.extension_requested（申请延期）、item.extension_decided"
    "（延期审批）、item.changed（变更或调整）、item.terminated（终止）"
)


class EndpointIn(Schema):
    # Optional here so that who may act is settled first (403); the action then says
    # which field is missing or wrong (400).
    # (The constraints below are said to clients; the action checks them in words.)
    name: Text | None = Field(
        None,
        description="名称",
        json_schema_extra={
            "minLength": 1,
            "maxLength": 100,
            "pattern": r"\S",
            **server_rule("创建时必填"),
        },
    )
    url: Text | None = Field(
        None,
        description="接收地址，http:// 或 https://",
        json_schema_extra={
            "maxLength": 500,
            **server_rule(
                "创建时必填；须为 http:// 或 https:// 地址，有主机名，不含空格、用户名密码或“#”"
                "片段，不指向本机、链路本地或保留地址"
            ),
        },
    )
    events: (
        list[Annotated[Text, Field(json_schema_extra={"enum": list(EventKind.values)})]] | None
    ) = Field(
        None,
        description=EVENTS_HELP,
        json_schema_extra={"minItems": 1, **server_rule("创建时必填，至少一种事件")},
    )


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    is_failing: bool
    failing_since: Any = None
    created_by: str | None
    created_at: Any


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="签名密钥，只在此次返回")


class DeliveryOut(Schema):
    id: int
    event_id: str
    event: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str
    next_attempt_at: Any
    sent_at: Any
    created_at: Any


class DeliveryFilters(Schema):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=200)


class DeliveryPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DeliveryOut]


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _endpoint(user: Any, endpoint_id: int) -> Endpoint:
    actions.check_manager(user)
    endpoint = (
        actions.endpoints_for(user).select_related("created_by").filter(pk=endpoint_id).first()
    )
    if endpoint is None:
        raise NotFound(_("事件推送不存在。"))
    return endpoint


def _out(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "url": endpoint.url,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
        "is_failing": endpoint.is_failing,
        "failing_since": present.local(endpoint.failing_since),
        "created_by": present.name(endpoint.created_by),
        "created_at": present.local(endpoint.created_at),
    }


@router.get("", response={200: list[EndpointOut], **ERRORS}, summary="事件推送列表")
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    """The endpoints of your office."""
    user = _user(request)
    actions.check_manager(user)
    return [_out(row) for row in actions.endpoints_for(user).select_related("created_by")]


@router.post("", response={201: EndpointWithSecret, **ERRORS}, summary="新建事件推送")
def create_webhook(request: HttpRequest, payload: EndpointIn) -> Status[dict[str, Any]]:
    """Register an endpoint; the answer carries its secret, this once."""
    user = _user(request)
    endpoint, secret = actions.create_endpoint(
        user, name=payload.name, url=payload.url, kinds=payload.events
    )
    endpoint.created_by = user
    return Status(201, {**_out(endpoint), "secret": secret})


@router.get("/{endpoint_id}", response={200: EndpointOut, **ERRORS}, summary="事件推送详情")
def read_webhook(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    return _out(_endpoint(_user(request), endpoint_id))


@router.patch("/{endpoint_id}", response={200: EndpointOut, **ERRORS}, summary="修改事件推送")
def update_webhook(request: HttpRequest, endpoint_id: int, payload: EndpointIn) -> dict[str, Any]:
    """Change the name, URL or events; a field left out keeps its value."""
    user = _user(request)
    endpoint = _endpoint(user, endpoint_id)
    updated = actions.update_endpoint(
        user,
        endpoint,
        name=endpoint.name if payload.name is None else payload.name,
        url=endpoint.url if payload.url is None else payload.url,
        kinds=endpoint.events if payload.events is None else payload.events,
    )
    return _out(_endpoint(user, updated.pk))


@router.post(
    "/{endpoint_id}/deactivate", response={200: EndpointOut, **ERRORS}, summary="停用事件推送"
)
def deactivate_webhook(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    user = _user(request)
    actions.deactivate_endpoint(user, _endpoint(user, endpoint_id))
    return _out(_endpoint(user, endpoint_id))


@router.post(
    "/{endpoint_id}/activate", response={200: EndpointOut, **ERRORS}, summary="启用事件推送"
)
def activate_webhook(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    """Enable a deactivated endpoint, or resume a failing one (its failed deliveries
    are sent again)."""
    user = _user(request)
    actions.activate_endpoint(user, _endpoint(user, endpoint_id))
    return _out(_endpoint(user, endpoint_id))


@router.post(
    "/{endpoint_id}/secret",
    response={200: EndpointWithSecret, **ERRORS},
    summary="重新生成签名密钥",
)
def regenerate_webhook_secret(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    """A new secret; the old one stops at once."""
    user = _user(request)
    secret = actions.regenerate_secret(user, _endpoint(user, endpoint_id))
    return {**_out(_endpoint(user, endpoint_id)), "secret": secret}


@router.post("/{endpoint_id}/ping", response={200: DeliveryOut, **ERRORS}, summary="发送测试消息")
def ping_webhook(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    """Queue a signed test message (event "ping")."""
    user = _user(request)
    return _delivery(actions.send_test_ping(user, _endpoint(user, endpoint_id)))


@router.get("/{endpoint_id}/deliveries", response={200: DeliveryPage, **ERRORS}, summary="推送记录")
def list_webhook_deliveries(
    request: HttpRequest, endpoint_id: int, filters: Query[DeliveryFilters]
) -> dict[str, Any]:
    """The delivery log, newest first."""
    endpoint = _endpoint(_user(request), endpoint_id)
    rows = endpoint.deliveries.order_by("-created_at", "-id")
    start = (filters.page - 1) * filters.page_size
    return {
        "count": rows.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [_delivery(row) for row in rows[start : start + filters.page_size]],
    }


def _delivery(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "event_id": str(row.event_id),
        "event": row.event,
        "status": row.status,
        "attempts": row.attempts,
        "response_status": row.response_status,
        "last_error": row.last_error,
        "next_attempt_at": present.local(row.next_attempt_at),
        "sent_at": present.local(row.sent_at),
        "created_at": present.local(row.created_at),
    }
