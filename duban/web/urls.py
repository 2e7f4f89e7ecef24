"""The pages. Every view but the login page requires a signed-in person."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from . import item_views, views

urlpatterns: list[URLPattern] = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.my_work, name="my-work"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notice_id>/read/", views.mark_notice_read, name="notice-read"),
    path("items/", views.ledger, name="ledger"),
    path("items/new/", item_views.item_new, name="item-new"),
    path("items/<int:pk>/", item_views.item_detail, name="item-detail"),
    path("items/<int:pk>/<slug:action>/", item_views.item_action, name="item-action"),
]
