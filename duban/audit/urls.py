"""The audit log's pages, under /audit/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.audit_log, name="audit-log"),
    path("export/", views.audit_export, name="audit-export"),
    path("verify/", views.audit_verify, name="audit-verify"),
    path("verification/", views.audit_verification, name="audit-verification"),
]
