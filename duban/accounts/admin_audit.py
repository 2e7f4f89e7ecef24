"""Every change the system administrator makes in /admin/ goes into the audit chain
(三员分立: the audit administrator, not the system administrator, reads it), with the
old and the new value of each field it changed. Django's own `django_admin_log` is
not enough: the audit administrator never sees it and it is not tamper-evident.

`AuditedAdmin` is mixed into every ModelAdmin that can change something; people
(`organisation.admin.UserAdmin`) add their consequences: a change of password, role,
unit or activity ends the person's API tokens, and a role that opens restricted items
is told to the security administrators.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.audit.models import record

# Fields never written into the audit chain, even as "changed" (only that they were).
SECRET_FIELDS = frozenset({"password", "password1", "password2"})


def shown(instance: models.Model, field_name: str) -> str:
    """A field's value as a person reads it: a choice's label, a related row's name."""
    try:
        field = instance._meta.get_field(field_name)
    except Exception:  # a form-only field
        return str(getattr(instance, field_name, ""))
    if isinstance(field, models.ManyToManyField):
        if instance.pk is None:
            return ""
        return "、".join(sorted(str(row) for row in getattr(instance, field_name).all()))
    value = getattr(instance, field_name, None)
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if getattr(field, "choices", None):
        display = getattr(instance, f"get_{field_name}_display", None)
        if display is not None:
            return str(display())
    return str(value)


def field_label(instance: models.Model, field_name: str) -> str:
    try:
        return str(getattr(instance._meta.get_field(field_name), "verbose_name", field_name))
    except Exception:
        return field_name


def snapshot(instance: models.Model, names: list[str]) -> dict[str, str]:
    return {name: shown(instance, name) for name in names if name not in SECRET_FIELDS}


def describe(instance: models.Model, changes: dict[str, dict[str, str]]) -> str:
    return "；".join(
        _("%(field)s：%(old)s→%(new)s")
        % {"field": field_label(instance, name), "old": values["old"], "new": values["new"]}
        for name, values in changes.items()
    )


def record_admin_change(
    actor: Any,
    instance: models.Model,
    before: dict[str, str] | None,
    after: dict[str, str],
    *,
    extra: dict[str, Any] | None = None,
) -> dict[str, dict[str, str]]:
    """One audit event for creating (`before` None) or changing `instance`; returns
    the changed fields with their old and new values."""
    kind = str(instance._meta.verbose_name)
    if before is None:
        changes = {name: {"old": "", "new": value} for name, value in after.items()}
        verb = "admin_create"
        summary = _("新增%(kind)s“%(object)s”") % {"kind": kind, "object": instance}
        if changes:
            summary += "：" + "；".join(
                f"{field_label(instance, name)}：{values['new']}"
                for name, values in changes.items()
            )
    else:
        changes = {
            name: {"old": before.get(name, ""), "new": value}
            for name, value in after.items()
            if before.get(name) != value
        }
        verb = "admin_change"
        summary = _("修改%(kind)s“%(object)s”") % {"kind": kind, "object": instance}
        if changes:
            summary += "：" + describe(instance, changes)
    record(
        actor,
        verb,
        summary,
        data={
            "model": instance._meta.label_lower,
            "object_id": instance.pk,
            "changes": changes,
            **(extra or {}),
        },
    )
    return changes


class AuditedAdmin:
    """A ModelAdmin mixin: `save_model` writes the change, with old and new values, to
    the audit chain in the same transaction."""

    def audited_fields(self, form: ModelForm, change: bool) -> list[str]:
        names = list(form.changed_data) if change else list(form.cleaned_data)
        return [name for name in names if name not in SECRET_FIELDS]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        names = self.audited_fields(form, change)
        with transaction.atomic():
            before = None
            if change and obj.pk is not None:
                stored = type(obj)._default_manager.get(pk=obj.pk)
                before = snapshot(stored, names)
            super().save_model(request, obj, form, change)  # type: ignore[misc]
            changes = record_admin_change(request.user, obj, before, snapshot(obj, names))
            self.after_save(request, obj, before, changes)

    def after_save(
        self,
        request: HttpRequest,
        obj: Any,
        before: dict[str, str] | None,
        changes: dict[str, dict[str, str]],
    ) -> None:
        """What a change brings with it (people: tokens end, the security
        administrators hear of new supervisors)."""
