"""/attachments/<id>/ (download) and /items/<id>/attachments/ (upload).

Included before duban.web.urls: its /items/<id>/<action>/ would otherwise take the
upload's path.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("attachments/<int:pk>/", views.download, name="attachment-download"),
    path("items/<int:pk>/attachments/", views.upload, name="item-attachments"),
]
