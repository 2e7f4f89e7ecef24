"""Every error the API answers is JSON: {"code", "message"} and, for input errors,
"errors": {field: message}. Never HTML, and never a 500 for bad input.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from duban.items.errors import ActionError

from .parsing import UnencodableText, UnsupportedMediaType
from .rendering import MarkupFreeJSONEncoder

UNENCODABLE = gettext_noop("请求中含有无法识别的字符（如孤立的UTF-16代理字符），请检查后重新输入。")

logger = logging.getLogger(__name__)


class NotFound(Http404):
    """A missing resource — or one the user may not see; the two answer alike (R-C5)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def item_not_found() -> NotFound:
    return NotFound(_("督办事项不存在。"))


def error_response(
    status: int, code: str, message: str, errors: dict[str, str] | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(
        body,
        status=status,
        encoder=MarkupFreeJSONEncoder,
        json_dumps_params={"ensure_ascii": False},
    )


# ----------------------------------------------------------------------------- input errors

# Pydantic's error types, said in Chinese. Prefix match: "date_parsing", "date_type", ...
_TYPE_MESSAGES: tuple[tuple[str, str], ...] = (
    ("missing", gettext_noop("此项为必填项。")),
    ("datetime", gettext_noop("时间无效，请使用ISO 8601格式。")),
    ("date", gettext_noop("日期无效，请使用YYYY-MM-DD格式的有效日期。")),
    ("int", gettext_noop("请填写整数。")),
    ("bool", gettext_noop("请填写true或false。")),
    ("string_type", gettext_noop("请填写文本。")),
    ("list", gettext_noop("请填写列表。")),
    ("model", gettext_noop("请填写JSON对象。")),
    ("dict", gettext_noop("请填写JSON对象。")),
    ("json", gettext_noop("不是有效的JSON。")),
    ("nul_character", gettext_noop("不能包含空字符。")),
)


def _field_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        # pydantic says "'a', 'b' or 'c'"; list the values the Chinese way.
        expected = str(context.get("expected", "")).replace(" or ", ", ").split(", ")
        choices = "、".join(choice.strip("'\"") for choice in expected)
        return _("取值无效，可选值：%(expected)s。") % {"expected": choices}
    if kind == "string_too_long":
        return _("最多%(limit)s字。") % {"limit": context.get("max_length", "")}
    if kind == "string_too_short":
        return _("至少%(limit)s字。") % {"limit": context.get("min_length", "")}
    if kind in ("greater_than_equal", "greater_than"):
        limit = context.get("ge", context.get("gt", ""))
        return _("不能小于%(limit)s。") % {"limit": limit}
    if kind in ("less_than_equal", "less_than"):
        limit = context.get("le", context.get("lt", ""))
        return _("不能大于%(limit)s。") % {"limit": limit}
    for prefix, message in _TYPE_MESSAGES:
        if kind.startswith(prefix):
            return _(message)
    return _("取值无效。")


# The name of a view's single body parameter; it is not part of the client's field names.
BODY_PARAMETER = "payload"


def _field_name(location: Any) -> str:
    parts = [str(part) for part in location[1:]]  # drop the source: body, query, path
    if parts and parts[0] == BODY_PARAMETER:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    # A path that does not parse (/items/abc) names no resource: 404, like a missing id.
    if any(tuple(error.get("loc", ()))[:1] == ("path",) for error in exc.errors):
        return error_response(404, "not_found", _("请求的资源不存在。"))
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), _field_message(error))
    return error_response(
        400,
        "invalid",
        _("请求数据有误，请检查以下字段：%(fields)s。") % {"fields": "、".join(errors)},
        errors,
    )


def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    if hasattr(exc, "error_dict"):
        errors = {name: "；".join(messages) for name, messages in exc.message_dict.items()}
    return error_response(400, "invalid", "；".join(exc.messages) or _("请求数据有误。"), errors)


# ----------------------------------------------------------------------------- refusals


def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.errors)


def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        401, "unauthorized", _("未登录或访问令牌无效、已过期，请重新获取令牌。")
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if isinstance(exc.__cause__, UnsupportedMediaType):
        return error_response(
            415,
            "unsupported_media_type",
            _("请求体须为JSON，并注明 Content-Type: application/json。"),
        )
    if isinstance(exc.__cause__, UnencodableText):
        return error_response(400, "invalid", _(UNENCODABLE))
    if status == 400:  # ninja raises it only for a body it cannot parse
        return error_response(400, "invalid", _("请求体不是有效的JSON。"))
    if status == 403:
        return error_response(403, "forbidden", _("无权执行此操作。"))
    if status == 429:
        return error_response(429, "throttled", _("请求过于频繁，请稍后再试。"))
    return error_response(status, "error", _("请求无法处理。"))


def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024) or 1
    return error_response(
        413, "too_large", _("请求数据过大（不能超过%(limit)d MB）。") % {"limit": limit}
    )


def _malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return error_response(
        400, "invalid", _("上传请求格式有误（multipart/form-data 缺少或带有无效的 boundary）。")
    )


def _unencodable(request: HttpRequest, exc: UnicodeEncodeError) -> HttpResponse:
    # Text that reached the database driver although it cannot be stored (a lone surrogate).
    return error_response(400, "invalid", _(UNENCODABLE))


def refused_request() -> JsonResponse:
    """Django's own refusals of malformed requests (too many fields, a bad header, a
    host not served, ...)."""
    return error_response(400, "invalid", _("请求无效。"))


def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return refused_request()


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    message = exc.message if isinstance(exc, NotFound) else _("请求的资源不存在。")
    return error_response(404, "not_found", message)


def _database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    from duban.health.outage import RETRY_AFTER_SECONDS, unavailable_message

    logger.error("API request without a database: %s %s", request.method, request.path)
    response = error_response(503, "database_unavailable", unavailable_message())
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request failed: %s %s", request.method, request.path)
    return error_response(500, "server_error", _("服务器内部错误，请稍后再试。"))


def install_handlers(api: NinjaAPI) -> None:
    # (ninja types `add_exception_handler` oddly; its decorator form checks cleanly)
    handlers: list[tuple[type[Exception], Any]] = [
        (ActionError, _action_error),
        (RequestDataTooBig, _too_large),
        (SuspiciousOperation, _suspicious),
        (MultiPartParserError, _malformed_multipart),
        (UnicodeEncodeError, _unencodable),
        (NinjaValidationError, _validation_error),
        (DjangoValidationError, _django_validation_error),
        (AuthenticationError, _authentication_error),
        (HttpError, _http_error),
        (Http404, _not_found),
        (OperationalError, _database_unavailable),
        (InterfaceError, _database_unavailable),
        (Exception, _unexpected),
    ]
    for exception_class, handler in handlers:
        api.exception_handler(exception_class)(handler)
