"""The spot-check pages, under /spotchecks/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.index, name="spotchecks"),
    path("draws/new/", views.draw_new, name="spotcheck-draw-new"),
    path("draws/<int:pk>/", views.draw_detail, name="spotcheck-draw"),
    path("checks/<int:pk>/record/", views.record_check, name="spotcheck-record"),
    path("rectifications/", views.rectifications, name="spotcheck-rectifications"),
    path(
        "rectifications/<int:pk>/",
        views.rectification_detail,
        name="spotcheck-rectification",
    ),
    path(
        "rectifications/<int:pk>/submit/",
        views.rectification_submit,
        name="spotcheck-rectification-submit",
    ),
    path(
        "rectifications/<int:pk>/decide/",
        views.rectification_decide,
        name="spotcheck-rectification-decide",
    ),
]
