"""The three administrators, kept apart (三员分立, MLPS level 3):

- the system administrator (system_admin) manages units, people and the calendar in
  Django's admin, and cannot read the audit log;
- the security administrator (security_admin) unlocks accounts and resets
  authenticators, and cannot change people or read the audit log;
- the audit administrator (audit_admin) searches and exports the audit log, and cannot
  change anything else.

`role_required` guards a page for one role; anyone else gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from duban.organisation.models import Role

ROLE_REFUSALS: dict[str, str] = {
    Role.SECURITY_ADMIN: gettext_noop("只有安全管理员可以访问此页面。"),
    Role.AUDIT_ADMIN: gettext_noop("只有审计管理员可以访问此页面。"),
    Role.SYSTEM_ADMIN: gettext_noop("只有系统管理员可以访问此页面。"),
}


def has_role(user: Any, role: str) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "role", None) == role)


def role_required(
    role: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_role(request.user, role):
                raise PermissionDenied(
                    _(ROLE_REFUSALS.get(role, gettext_noop("您没有权限访问此页面。")))
                )
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator
