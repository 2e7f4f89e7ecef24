"""The Chinese "not found" page in development mode too.

With DEBUG on (the demo of `make run`), Django answers a missing page with its English
technical page. People trying the demo meet that page, so the pages' own 404.html
(which Django uses when DEBUG is off) replaces it. API answers keep their JSON.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


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
