"""/healthz (the process answers) and /readyz (the system can do its work)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .checks import run_checks


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Up: answers without touching the database."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Every readiness check (duban.health.checks); 503 naming the failed ones."""
    results = run_checks()
    failed = [result.name for result in results if not result.ok]
    body = {
        "status": "unhealthy" if failed else "ok",
        "failed": failed,
        "checks": {result.name: {"ok": result.ok, "message": result.message} for result in results},
    }
    return JsonResponse(
        body, status=503 if failed else 200, json_dumps_params={"ensure_ascii": False}
    )
