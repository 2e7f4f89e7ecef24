"""The system administrator enters or corrects a person's 企业微信/钉钉 account here
(those found by 手机 are recorded by the sender, `platforms.account_id`); every
change goes into the audit chain (`AuditedAdmin`)."""

from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from duban.accounts.admin_audit import AuditedAdmin

from .models import AccountSource, PlatformAccount


@admin.register(PlatformAccount)
class PlatformAccountAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["user", "platform", "account_id", "source", "updated_at"]
    list_filter = ["platform", "source"]
    search_fields = ["user__username", "user__full_name", "account_id"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    fields = ["user", "platform", "account_id"]

    def save_model(
        self, request: HttpRequest, obj: PlatformAccount, form: ModelForm, change: bool
    ) -> None:
        # A hand-entered id is the administrator's, whatever found the earlier one.
        obj.source = AccountSource.MANUAL
        super().save_model(request, obj, form, change)
