"""The API's JSON answer to a request with a host name the server does not serve.

Django checks the Host header in its middleware (CommonMiddleware, CSRF, the HTTPS
redirect), before any view, and answers a bad one with its HTML 400 page. Under
/api/ the answer is the API's JSON error instead (`duban.api.errors`: never HTML), so
this middleware asks first, ahead of those that would ask."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from .errors import refused_request

API_PREFIX = "/api/"

security_logger = logging.getLogger("django.security.DisallowedHost")


class ApiHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            try:
                request.get_host()
            except DisallowedHost as refusal:
                security_logger.error(str(refusal))  # as Django logs it
                return refused_request()
        return self.get_response(request)
