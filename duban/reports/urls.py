"""/reports/…: the dashboard, the assessment (R-K3) and the reports to the leadership (R-F6)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("reports/", views.home, name="reports-home"),
    path("reports/dashboard/", views.dashboard, name="reports-dashboard"),
    path("reports/assessment/", views.assessment, name="reports-assessment"),
    path("reports/assessment/export/", views.assessment_csv, name="reports-assessment-csv"),
    path(
        "reports/assessment/<int:year>/<int:unit_id>/<slug:figure>/",
        views.assessment_figure,
        name="reports-assessment-figure",
    ),
    path("reports/meetings/", views.meetings, name="reports-meetings"),
    path(
        "reports/meetings/<slug:source_body>/<str:minutes>/",
        views.meeting,
        name="reports-meeting",
    ),
    path("reports/leaders/", views.leader_list, name="reports-leaders"),
    path("reports/leaders/<int:pk>/", views.leader, name="reports-leader"),
    path("reports/period/", views.period, name="reports-period"),
]
