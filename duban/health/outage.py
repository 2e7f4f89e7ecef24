"""A database that is unreachable mid-request (restarting, failing over, network):
503 with `Retry-After` and a message in Chinese, for pages (`server_error`, the
project's handler500) and the API (`duban.api.errors`), instead of a 500. Django
reconnects on the next request, so the system recovers by itself."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger("duban.health")

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def unavailable_message() -> str:
    return _("数据库暂时无法连接，请稍后重试。")


def database_unavailable_page(request: HttpRequest) -> HttpResponse:
    # Without the request: its context processors (the header's unread count) would
    # ask the database again.
    content = render_to_string("503.html", {"message": unavailable_message()})
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the database being away is a 503; anything else Django's 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        logger.error("database unavailable: %s %s", request.method, request.path)
        return database_unavailable_page(request)
    return django_server_error(request)
