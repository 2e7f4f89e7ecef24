"""The REST API under /api/v1/ (DESIGN.md): the same actions as the pages, as JSON.

Every endpoint but `auth/token` and the OpenAPI document needs a bearer token
(`tokens.BearerAuth`). Views here only read; every change goes through
`duban.items.actions`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query
from ninja.operation import Operation

from duban.accounts import signin
from duban.items import actions
from duban.items.errors import ActionError
from duban.notify.inbox import inbox
from duban.organisation.models import Unit

from . import openapi, present
from .attachments import router as attachments_router
from .calendar import router as calendar_router
from .documents import router as documents_router
from .errors import NotFound, install_handlers
from .extensions import router as extensions_router
from .items import router as items_router
from .ledger import router as ledger_router
from .parsing import StrictJSONParser
from .parts import router as parts_router
from .recusal import router as recusal_router
from .rendering import ChineseJSONRenderer
from .reports import router as reports_router
from .schemas import (
    ErrorOut,
    MeOut,
    NoticeFilters,
    NoticeOut,
    NoticePage,
    TokenIn,
    TokenOut,
    UnitOut,
)
from .spotchecks import router as spotchecks_router
from .tokens import BearerAuth, issue_token
from .urging import router as urging_router

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut}


class DubanAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return openapi.finish(super().get_openapi_schema(*args, **kwargs))


api = DubanAPI(
    title="督办系统 API",
    version="1",
    description="督办系统的 REST 接口。先以用户名和密码换取访问令牌（POST /auth/token），"
    "此后每个请求带上 `Authorization: Bearer <令牌>`。错误一律以 JSON 返回："
    '{"code": ..., "message": ..., "errors": {字段: 说明}}。',
    openapi_url="/openapi.json",
    docs_url=None,  # Swagger UI would load its assets from a CDN; intranets have none.
    auth=BearerAuth(),
    renderer=ChineseJSONRenderer(),
    parser=StrictJSONParser(),
    urls_namespace="api-v1",
)
install_handlers(api)
api.add_router("/items", items_router)
api.add_router("/items", extensions_router)
api.add_router("/items", urging_router)
api.add_router("/", attachments_router)
api.add_router("/items", recusal_router)
api.add_router("/items", parts_router)
api.add_router("/", spotchecks_router)
api.add_router("/", documents_router)
api.add_router("/webhooks", "duban.api.webhooks.router")
api.add_router("/reports", reports_router)
api.add_router("/ledger", ledger_router)
api.add_router("/calendar", calendar_router)


def current_user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class InvalidCredentials(ActionError):
    code = "invalid_credentials"
    status = 401


@api.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 423: ErrorOut},
    tags=["认证"],
    summary="换取访问令牌",
)
def issue_api_token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    """Exchange a username and password for a bearer token. Office supervisors and
    administrators also send `otp`, the code of their authenticator app (401
    `otp_required`/`invalid_otp`/`otp_setup_required` otherwise). Five failed logins in
    a row lock the account for 30 minutes (423 `account_locked`)."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        signin.refuse_if_locked(payload.username)
        raise InvalidCredentials(_("用户名或密码错误。"))
    signin.check_local_login(request, user)
    signin.check_second_factor(request, user, payload.otp)
    token, row = issue_token(user)
    signin.signed_in(request, user)
    return {"token": token, "expires_at": present.local(row.expires_at)}


@api.get("/me", response={200: MeOut, **ERRORS}, tags=["认证"], summary="当前用户")
def read_me(request: HttpRequest) -> dict[str, Any]:
    """The person the token belongs to."""
    return present.me(current_user(request))


@api.get("/units", response={200: list[UnitOut], **ERRORS}, tags=["单位"], summary="单位列表")
def list_units(request: HttpRequest) -> list[dict[str, Any]]:
    rows = Unit.objects.select_related("head", "liaison", "leader_in_charge").order_by("code")
    return [present.unit(row) for row in rows]


def _inbox(user: Any) -> Any:
    # Notices about an item show only while the item is visible (R-C5).
    return inbox(user)


@api.get("/notices", response={200: NoticePage, **ERRORS}, tags=["通知"], summary="通知列表")
def list_notices(request: HttpRequest, filters: Query[NoticeFilters]) -> dict[str, Any]:
    """The inbox, newest first, with the number of unread notices."""
    inbox = _inbox(current_user(request))
    unread = inbox.filter(read_at__isnull=True).count()
    rows = inbox
    if filters.unread is not None:
        rows = rows.filter(read_at__isnull=filters.unread)
    start = (filters.page - 1) * filters.page_size
    return {
        "count": rows.count(),
        "unread": unread,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [
            present.notice(row)
            for row in rows.order_by("-created_at", "-id")[start : start + filters.page_size]
        ],
    }


@api.post(
    "/notices/{notice_id}/read",
    response={200: NoticeOut, 404: ErrorOut, **ERRORS},
    tags=["通知"],
    summary="标记通知已读",
)
def read_notice(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    """Mark one of your notices read (reading it twice is harmless)."""
    user = current_user(request)
    inbox = _inbox(user)
    if not inbox.filter(pk=notice_id).exists():
        raise NotFound(_("通知不存在。"))
    actions.mark_notice_read(user, notice_id)
    return present.notice(inbox.get(pk=notice_id))
