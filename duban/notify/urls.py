"""The outbox's pages, included by duban.web.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("settings/notifications/", views.preferences, name="notify-preferences"),
    path("settings/calendar/new/", views.calendar_create, name="notify-calendar-create"),
    path("settings/calendar/revoke/", views.calendar_revoke, name="notify-calendar-revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed_view, name="calendar-feed"),
    path("notify/failures/", views.failures, name="notify-failures"),
    path("notify/failures/<int:delivery_id>/retry/", views.retry, name="notify-retry"),
]
