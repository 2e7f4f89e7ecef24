"""The webhooks' pages, under /webhooks/ (duban.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.endpoint_list, name="webhook-list"),
    path("new/", views.endpoint_new, name="webhook-new"),
    path("<int:pk>/", views.endpoint_detail, name="webhook-detail"),
    path("<int:pk>/deactivate/", views.endpoint_deactivate, name="webhook-deactivate"),
    path("<int:pk>/activate/", views.endpoint_activate, name="webhook-activate"),
    path("<int:pk>/secret/", views.endpoint_secret, name="webhook-secret"),
    path("<int:pk>/ping/", views.endpoint_ping, name="webhook-ping"),
]
