"""/documents/: circulars (R-K4), archive volumes and dossiers (R-K2)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("documents/", views.home, name="documents"),
    path("documents/circulars/", views.circulars, name="documents-circulars"),
    path("documents/volumes/", views.volumes, name="documents-volumes"),
    path("documents/volumes/<int:pk>/", views.volume, name="documents-volume"),
    path("documents/volumes/<int:pk>/index.pdf", views.volume_index, name="documents-volume-index"),
    path("documents/dossiers/<int:item_id>.pdf", views.dossier, name="documents-dossier"),
]
