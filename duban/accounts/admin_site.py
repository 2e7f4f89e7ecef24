"""Django's admin, for the system administrator only (三员分立).

Units, people and the calendar are managed here. A staff flag is not enough: the
person's role must be system_admin, so a security or audit administrator (or a
superuser of another role) is refused. The audit log is not in the admin at all, and
neither are the authenticator secrets.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

# The value of organisation.Role.SYSTEM_ADMIN (this module loads before the models do).
SYSTEM_ADMIN = "system_admin"


class DubanAdminSite(admin.AdminSite):
    site_header = "督办系统管理"
    site_title = "督办系统管理"
    index_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_staff and getattr(user, "role", None) == SYSTEM_ADMIN
        )


class DubanAdminConfig(AdminConfig):
    default_site = "duban.accounts.admin_site.DubanAdminSite"
