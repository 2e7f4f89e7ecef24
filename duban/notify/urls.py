"""The outbox's pages, included by duban.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("settings/notifications/", views.preferences, name="notify-preferences"),
    path("notify/failures/", views.failures, name="notify-failures"),
    path("notify/failures/<int:delivery_id>/retry/", views.retry, name="notify-retry"),
]
