"""/ledger/export/ and /ledger/import/ (mounted under ledger/ in duban/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("export/", views.export, name="ledger-export"),
    path("export/start/", views.export_start, name="ledger-export-start"),
    path("export/<int:pk>/", views.export_job, name="ledger-export-job"),
    path("export/<int:pk>/file/", views.export_download, name="ledger-export-download"),
    path("import/", views.import_upload, name="ledger-import"),
    path("import/<int:pk>/", views.import_detail, name="ledger-import-detail"),
]
