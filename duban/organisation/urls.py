"""The system administrator's directory sync, under /directory/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("sync/", views.sync_upload, name="directory-sync"),
    path("sync/<int:pk>/", views.sync_detail, name="directory-sync-detail"),
]
