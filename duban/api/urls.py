"""URLs under /api/v1/.

Two things ninja would answer outside JSON are turned into JSON here: a method the
path does not take (ninja: 405 with a text body) and any path the API does not
have (Django: its HTML 404 page). So a client only ever gets JSON errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .api import api
from .errors import error_response


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # only views outside ninja's handlers raise it (the API root)
            return error_response(404, "not_found", _("接口不存在。"))
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            response = error_response(405, "method_not_allowed", _("接口不支持此请求方法。"))
            response["Allow"] = allowed
        return response

    return wrapper


def _with_json_errors(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    if isinstance(pattern, URLResolver):
        return pattern
    return URLPattern(
        pattern.pattern, _json_errors(pattern.callback), pattern.default_args, pattern.name
    )


@csrf_exempt  # it changes nothing, and a CSRF page would be HTML
def unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    return error_response(404, "not_found", _("接口不存在。"))


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    re_path(
        "",
        (
            [_with_json_errors(pattern) for pattern in _patterns],
            _app_name,
            _namespace,
        ),
    ),
    # Any path at all: a line break (%0A) too, which `.` alone does not match.
    re_path(r"^(?P<path>[\s\S]*)$", unknown_path),
]
