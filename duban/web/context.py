"""What every page's header shows: the signed-in person and their unread notices."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from duban.notify.inbox import unread_count


def header(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notice_count": unread_count(user)}
