"""The pages. Every view but the login page requires a signed-in person."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from duban.accounts import views as account_views

from . import (
    item_views,
    ledger_views,
    part_views,
    print_views,
    recusal_views,
    supervision_views,
    views,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", account_views.SignInView.as_view(), name="login"),
    path("logout/", account_views.SignOutView.as_view(), name="logout"),
    path("", views.my_work, name="my-work"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notice_id>/read/", views.mark_notice_read, name="notice-read"),
    path("inbox/latest/", views.notice_menu, name="notice-menu"),
    path("inbox/read-all/", views.mark_all_notices_read, name="notices-read-all"),
    path("items/", views.ledger, name="ledger"),
    # The ledger's bulk actions (office supervisors) and 我的视图 (each person's own).
    path("items/bulk/", ledger_views.bulk_action, name="ledger-bulk"),
    path("items/views/", ledger_views.view_save, name="ledger-view-save"),
    path("items/views/<int:pk>/delete/", ledger_views.view_delete, name="ledger-view-delete"),
    path("items/new/", item_views.item_new, name="item-new"),
    path("items/new/deadline/", item_views.deadline_preview, name="item-deadline-preview"),
    path("items/<int:pk>/", item_views.item_detail, name="item-detail"),
    path("items/<int:pk>/print/", print_views.item_print, name="item-print"),
    path("items/<int:pk>/recusal/", recusal_views.declare, name="item-recusal"),
    path("items/<int:pk>/parts/", part_views.divide, name="item-part-divide"),
    path(
        "items/<int:pk>/parts/<int:part_pk>/<slug:action>/",
        part_views.part_action,
        name="item-part-action",
    ),
    path("items/<int:pk>/<slug:action>/", item_views.item_action, name="item-action"),
    # The office's attention list (R-U1, R-F3) and its one-click urge (R-U2).
    path("supervision/attention/", supervision_views.attention, name="attention"),
    path(
        "supervision/attention/<int:pk>/urge/",
        supervision_views.attention_urge,
        name="attention-urge",
    ),
    # Notification settings and the office's view of failed deliveries (duban.notify).
    path("", include("duban.notify.urls")),
]
