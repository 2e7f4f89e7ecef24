"""The bare baseline of benchmarks/pages.py's throughput run: a WSGI app that runs the
ledger's first page's rows (the ledger's own queryset, as BASELINE_USER sees it) as one
SQL statement and answers with them as JSON — no middleware, session or template."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
django.setup()

from django.http import QueryDict  # noqa: E402

from duban.organisation.models import User  # noqa: E402
from duban.web.views import PAGE_SIZE, ledger_items  # noqa: E402

USER = User.objects.get(username=os.environ.get("BASELINE_USER", "office1"))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    _form, items = ledger_items(USER, QueryDict(environ.get("QUERY_STRING", "")))
    rows = items.values("pk", "ledger_number", "title", "deadline", "status", "light")[:PAGE_SIZE]
    body = json.dumps(list(rows), default=str, ensure_ascii=False).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
