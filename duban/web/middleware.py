"""The Chinese "not found" and "server error" pages in development mode too.

With DEBUG on (the demo of `make run`), Django answers a missing page or a failure
with its English technical page. People trying the demo meet those pages, so the pages'
own 404.html and the 500/503 of `duban.health.outage` (which Django uses when DEBUG is
off) replace them. The failure's traceback still goes to the console's log; API answers
keep their JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string

from duban.health.outage import server_error

logger = logging.getLogger("django.request")


class ChineseNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith("/api/")
        ):
            content = render_to_string("404.html", request=request)
            return HttpResponse(content, status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG or request.path.startswith("/api/"):
            return None  # Django's own handlers (handler500 when DEBUG is off)
        if isinstance(exception, (Http404, PermissionDenied)):
            return None  # answered as 404 above, and as the Chinese 403.html
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return server_error(request)
