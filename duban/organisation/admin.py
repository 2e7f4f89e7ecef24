from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban.accounts.admin_audit import AuditedAdmin, field_label
from duban.api.tokens import revoke_tokens
from duban.audit.models import record
from duban.notify.outbox import notify_roles

from .models import Role, Unit, User, split_aliases

ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "aliases",
            "kind",
            "head",
            "liaison",
            "leader_in_charge",
            "is_active",
        ]

    def clean_aliases(self) -> str:
        """Each alias names one unit only: not another unit's name, nor its alias."""
        aliases = split_aliases(self.cleaned_data.get("aliases", ""))
        others = Unit.objects.exclude(pk=self.instance.pk) if self.instance.pk else Unit.objects
        taken: dict[str, str] = {}
        for unit in others.only("name", "aliases"):
            taken[unit.name] = unit.name
            for alias in unit.alias_list:
                taken[alias] = unit.name
        for alias in aliases:
            if alias in taken:
                raise forms.ValidationError(
                    _("别名“%(alias)s”已是%(unit)s的名称或别名。")
                    % {"alias": alias, "unit": taken[alias]}
                )
            if len(alias) < 2:
                raise forms.ValidationError(
                    _("别名“%(alias)s”过短，至少2个字。") % {"alias": alias}
                )
        return "、".join(aliases)

    def clean(self) -> dict:
        data = super().clean() or {}
        for field in ("head", "liaison"):
            person = data.get(field)
            if person is not None and self.instance.pk and person.unit_id != self.instance.pk:
                self.add_error(field, _("该人员不属于本单位，请先在人员中设置其所在单位。"))
        leader = data.get("leader_in_charge")
        if leader is not None and leader.role != Role.SCHOOL_LEADER:
            self.add_error("leader_in_charge", _("分管校领导必须是校领导角色。"))
        return data


@admin.display(description=gettext_lazy("启用"), ordering="is_active")
def active(obj: Any) -> str:
    """是/否 in words (the admin's own icons are labelled True/False)."""
    return str(_("是") if obj.is_active else _("否"))


# The system works with fixed roles (三员分立 and the supervision roles), not with
# Django's groups and permissions: groups are not offered.
admin.site.unregister(Group)


@admin.register(Unit)
class UnitAdmin(AuditedAdmin, admin.ModelAdmin):
    form = UnitForm
    list_display = [
        "code",
        "name",
        "aliases",
        "kind",
        "head",
        "liaison",
        "leader_in_charge",
        active,
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "aliases"]
    list_select_related = ["head", "liaison", "leader_in_charge"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # A unit is deactivated, never deleted: items, feedback and the audit trail
        # refer to it, and the delete page would list those items by title —
        # sensitive ones included (R-C1) — to the system administrator.
        return False


# Changes that end a person's API tokens, and that open restricted items (R-C1–C3).
ACCESS_FIELDS = ("role", "unit", "is_active")


def opens_restricted_items(user: User, changes: dict[str, Any]) -> bool:
    return user.role == Role.OFFICE_SUPERVISOR and ("role" in changes or "unit" in changes)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "staff_number", "full_name", "role", "unit", "title", active]
    list_filter = ["role", "unit__kind", "is_active"]
    search_fields = ["username", "full_name", "staff_number"]
    list_select_related = ["unit"]
    # Django's sections, but the privileges shown in words and never as fields to post:
    # Django's readonly booleans are icons labelled True/False, and groups and
    # permissions are not used (the system works with fixed roles).
    fieldsets: ClassVar[Any] = (
        *(
            (title, {"fields": ("is_active", "staff_shown", "superuser_shown")})
            if "is_staff" in options["fields"]
            else (title, options)
            for title, options in BaseUserAdmin.fieldsets or ()
        ),
        (
            _("督办信息"),
            {
                "fields": (
                    "staff_number",
                    "full_name",
                    "role",
                    "unit",
                    "title",
                    "portfolio",
                    "phone",
                )
            },
        ),
    )
    add_fieldsets = (
        *(BaseUserAdmin.add_fieldsets or ()),
        (_("督办信息"), {"fields": ("staff_number", "full_name", "role", "unit", "title")}),
    )

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # A person is deactivated (is_active), never deleted, for the same reasons as
        # a unit: the delete page would list the items they established or decided.
        return False

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Setting someone's password: audited, and the person's API tokens end."""
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            person = User.objects.filter(pk=id).first()
            if person is not None and before is not None and person.password != before:
                record(
                    request.user,
                    "admin_set_password",
                    _("重设%(name)s（%(username)s）的登录密码")
                    % {"name": person.full_name or person.username, "username": person.username},
                    data={
                        "model": "organisation.user",
                        "object_id": person.pk,
                        "username": person.username,
                    },
                )
                revoke_tokens(person, _("系统管理员重设登录密码"), request.user)
        return response

    def after_save(
        self,
        request: HttpRequest,
        obj: Any,
        before: dict[str, str] | None,
        changes: dict[str, dict[str, str]],
    ) -> None:
        if before is not None and any(name in changes for name in ACCESS_FIELDS):
            labels = "、".join(field_label(obj, name) for name in ACCESS_FIELDS if name in changes)
            revoke_tokens(obj, _("%(fields)s变更") % {"fields": labels}, request.user)
        if opens_restricted_items(obj, changes):
            notify_roles(
                (Role.SECURITY_ADMIN,),
                _("人员权限变更：%(name)s成为%(unit)s督办员")
                % {"name": obj.full_name or obj.username, "unit": obj.unit or _("（无单位）")},
                _(
                    "系统管理员%(admin)s将%(name)s（%(username)s）设为%(unit)s的督办员，"
                    "其可查看该督办部门的事项（含敏感、执纪审查或涉密登记事项）。"
                    "如非正常授权，请及时核实。"
                )
                % {
                    "admin": request.user.get_username(),
                    "name": obj.full_name or obj.username,
                    "username": obj.username,
                    "unit": obj.unit or _("（无单位）"),
                },
            )

    # 三员分立: the system administrator manages ordinary accounts; the three
    # administrator roles are given when the system is installed (createsuperuser and
    # the deployment's own procedure), never through these pages, so nobody can make
    # themselves — or anyone — an audit or security administrator here.
    PRIVILEGE_FIELDS = ("staff_shown", "superuser_shown")

    @admin.display(description=gettext_lazy("管理员状态"))
    def staff_shown(self, obj: User) -> str:
        return str(_("是") if obj.is_staff else _("否"))

    @admin.display(description=gettext_lazy("超级用户状态"))
    def superuser_shown(self, obj: User) -> str:
        return str(_("是") if obj.is_superuser else _("否"))

    @admin.display(description=gettext_lazy("有效"))
    def active_shown(self, obj: User) -> str:
        return str(_("是") if obj.is_active else _("否"))

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.role not in ADMIN_ROLES:
            return fieldsets
        # Every field is read-only for the three administrators: is_active in words.
        return [
            (
                title,
                {
                    **options,
                    "fields": [
                        "active_shown" if name == "is_active" else name
                        for name in options["fields"]
                    ],
                },
            )
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is not None and obj.role in ADMIN_ROLES:
            fields = [
                name
                for _title, options in self.get_fieldsets(request, obj)
                for name in options["fields"]
            ]
            return [name for name in fields if name != "password"]
        return self.PRIVILEGE_FIELDS

    def formfield_for_choice_field(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = [
                (value, label) for value, label in Role.choices if value not in ADMIN_ROLES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)
