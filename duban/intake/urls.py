"""/intake/ (mounted in duban/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="intake"),
    path("<int:pk>/", views.document_page, name="intake-document"),
    path("<int:pk>/proposals/<int:proposal_pk>/", views.edit, name="intake-proposal-edit"),
    path("<int:pk>/proposals/<int:proposal_pk>/drop/", views.drop, name="intake-proposal-drop"),
    path("<int:pk>/merge/", views.merge, name="intake-merge"),
    path("<int:pk>/confirm/", views.confirm, name="intake-confirm"),
]
