from typing import Any

from django.http import HttpRequest


def header(request: HttpRequest) -> dict[str, Any]:
    return {}
