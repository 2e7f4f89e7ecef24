"""The pages' forms.

Forms only read and type the input. Whether it is complete and allowed is the
actions' business (`duban.items.actions`): most fields are therefore optional here,
and the action's `ActionError.errors` are put back on the fields by the views. That
keeps one set of rules and one set of messages for the pages and the API.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from duban.compiled import compiled_rows
from duban.items.actions import MilestoneInput
from duban.items.lights import LIGHT_CHOICES
from duban.items.models import SOURCE_BODIES, Confidentiality, SourceBody, SourceKind
from duban.items.states import Status
from duban.organisation.models import Role, Unit, User

from .widgets import FastSelect

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATE_FORMAT = "%Y-%m-%d"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATE_FORMAT)


def date_field(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        input_formats=[DATE_FORMAT],
        error_messages={"invalid": _("请按“年-月-日”填写日期，例如 2026-10-16。")},
    )


def text_field(
    label: StrOrPromise, *, rows: int = 4, max_length: int | None = None
) -> forms.CharField:
    """A multi-line text; the action says whether it may be empty."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def normalise_newlines(text: str) -> str:
    # Browsers send textarea line breaks as CRLF; store and compare them as LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


class UnitNameIterator(forms.models.ModelChoiceIterator):
    """A unit select's options as (id, name) rows from the database: no unit is built
    (the ledger's filter lists every unit on every page)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class UnitChoiceField(forms.ModelChoiceField):
    iterator = UnitNameIterator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A prompt in words, not Django's "---------".
        kwargs.setdefault("empty_label", _("请选择单位"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def leader_label(full_name: str, title: str) -> str:
    return f"{full_name}（{title}）" if title else full_name


class LeaderNameIterator(forms.models.ModelChoiceIterator):
    """A leader select's options as (id, name, title) rows: no person is built (an item
    page offers the leaders in up to three forms)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, full_name, title in self.queryset.values_list("pk", "full_name", "title"):
            yield (pk, leader_label(full_name, title))


class LeaderChoiceField(forms.ModelChoiceField):
    iterator = LeaderNameIterator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("请选择校领导"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return leader_label(obj.full_name, obj.title)


def active_units() -> Any:
    return Unit.objects.filter(is_active=True).order_by("code")


def school_leaders() -> Any:
    return User.objects.filter(role=Role.SCHOOL_LEADER, is_active=True).order_by("username")


def source_body_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Source bodies grouped by source kind, so the page can offer only those that fit."""
    return [
        (
            str(SourceKind(kind).label),
            [(body, str(SourceBody(body).label)) for body in bodies],
        )
        for kind, bodies in SOURCE_BODIES.items()
    ]


# ----------------------------------------------------------------------------- establish


class EstablishForm(forms.Form):
    """立项. The kind-specific fields sit in fieldsets named after their source kind."""

    MEETING_FIELDS = ("minutes_issued_on", "minutes_deadline", "office_deadline", "office_reason")
    ANNUAL_FIELDS = ("year",)
    OTHER_FIELDS = ("instruction_deadline", "deciding_leader", "decided_on")

    source_kind = forms.ChoiceField(
        label=_("来源类别"), choices=SourceKind.choices, widget=forms.RadioSelect
    )
    source_body = forms.ChoiceField(label=_("具体来源"), choices=source_body_choices)
    title = forms.CharField(label=_("事项名称"), max_length=200)
    content = forms.CharField(label=_("工作内容"), widget=forms.Textarea(attrs={"rows": 5}))
    basis = forms.CharField(
        label=_("督办依据"),
        help_text=_("所依据的文件、会议纪要或批示"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lead_unit = UnitChoiceField(label=_("承办单位"), queryset=Unit.objects.none())
    cooperating_units = UnitMultipleChoiceField(
        label=_("配合单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    confidentiality = forms.ChoiceField(
        label=_("密级类别"), choices=Confidentiality.choices, initial=Confidentiality.ORDINARY
    )
    urgent = forms.BooleanField(
        label=_("紧急事项（须在交办后1个工作日内首次反馈）"), required=False
    )

    # meeting (R-D1–D3)
    minutes_issued_on = date_field(_("纪要印发日期"))
    minutes_deadline = date_field(_("纪要明确的办结时限"))
    office_deadline = date_field(_("督办部门根据实际确定的时限"))
    office_reason = text_field(_("自定时限的理由"), rows=2)
    # annual (R-D4)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    # other (R-S2, R-D5)
    instruction_deadline = date_field(_("批示明确的办结时限"))
    deciding_leader = LeaderChoiceField(
        label=_("决定立项的校领导"), queryset=User.objects.none(), required=False
    )
    decided_on = date_field(_("领导决定日期"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():  # the actions' wording, not Django's
            form_field.error_messages["required"] = gettext("此项为必填项。")
        self.fields["lead_unit"].queryset = active_units()  # type: ignore[attr-defined]
        self.fields["cooperating_units"].queryset = active_units()  # type: ignore[attr-defined]
        self.fields["deciding_leader"].queryset = school_leaders()  # type: ignore[attr-defined]
        self.fields["lead_unit"].empty_label = gettext("请选择承办单位")  # type: ignore[attr-defined]
        self.fields["deciding_leader"].empty_label = gettext("请选择校领导")  # type: ignore[attr-defined]
        # The page's script offers only the source bodies that fit the chosen kind.
        self.fields["source_body"].widget.attrs["data-bodies"] = json.dumps(
            {kind: list(bodies) for kind, bodies in SOURCE_BODIES.items()}
        )

    def clean_content(self) -> str:
        return normalise_newlines(self.cleaned_data["content"])

    def clean_basis(self) -> str:
        return normalise_newlines(self.cleaned_data["basis"])

    def kind_fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(source kind, legend, fields) for the template's kind-specific fieldsets."""
        groups = (
            (SourceKind.MEETING, _("会议决定事项：办结时限"), self.MEETING_FIELDS),
            (SourceKind.ANNUAL, _("年度重点工作"), self.ANNUAL_FIELDS),
            (SourceKind.OTHER, _("其他交办事项：领导决定与时限"), self.OTHER_FIELDS),
        )
        return [
            (str(kind), str(legend), [self[name] for name in names])
            for kind, legend, names in groups
        ]


# ----------------------------------------------------------------------------- ledger


OVERDUE_CHOICES = [("", _("全部")), ("yes", _("已超期")), ("no", _("未超期"))]
EXTENSION_CHOICES = [("", _("全部")), ("pending", _("延期待审批"))]
LIGHT_FILTER_CHOICES = [("", _("全部")), *LIGHT_CHOICES]  # R-U4


class LedgerUnitOptions(BaseChoiceIterator):
    """The ledger filter's unit options: "all", then the active units' rows by SQL
    compiled once (duban.compiled), read as the select is written: every ledger page
    lists the hundred units. Asking whether the select's first option is empty reads
    none of them."""

    def __iter__(self) -> Any:
        yield ("", gettext("全部"))
        yield from compiled_rows(
            ("active units",), lambda: active_units().values_list("pk", "name")
        )


class LedgerFilterForm(forms.Form):
    # Selects written in Python (duban.web.widgets): the form is on every ledger page.
    year = forms.TypedChoiceField(
        label=_("年度"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    source_kind = forms.ChoiceField(
        label=_("来源类别"),
        required=False,
        choices=[("", _("全部")), *SourceKind.choices],
        widget=FastSelect,
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), *Status.choices],
        widget=FastSelect,
    )
    lead_unit = UnitChoiceField(
        label=_("承办单位"), queryset=Unit.objects.none(), required=False, widget=FastSelect
    )
    overdue = forms.ChoiceField(
        label=_("是否超期"), required=False, choices=OVERDUE_CHOICES, widget=FastSelect
    )
    extension = forms.ChoiceField(
        label=_("延期申请"), required=False, choices=EXTENSION_CHOICES, widget=FastSelect
    )
    light = forms.ChoiceField(
        label=_("预警灯"), required=False, choices=LIGHT_FILTER_CHOICES, widget=FastSelect
    )
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [  # type: ignore[attr-defined]
            ("", gettext("全部")),
            *((year, str(year)) for year in years),
        ]
        units = self.fields["lead_unit"]
        units.queryset = active_units()  # type: ignore[attr-defined] # checks the unit asked
        units.choices = LedgerUnitOptions()  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs["placeholder"] = gettext("编号、名称或内容")


# ----------------------------------------------------------------------------- item actions


class ActionForm(forms.Form):
    """Base of the forms on the item page; ids carry the action so several forms coexist."""

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = normalise_newlines(value)
        return cleaned


class ConfirmForm(ActionForm):
    """An action without input: the button is the whole form."""


class AssignForm(ActionForm):
    instruction = text_field(_("交办意见（可不填）"), rows=3, max_length=2_000)


class ReasonForm(ActionForm):
    reason = text_field(_("理由"), rows=3)


class TextForm(ActionForm):
    text = text_field(_("内容"), rows=5)


class CommentForm(ActionForm):
    comment = text_field(_("审核意见"), rows=3)


class ReassignForm(ActionForm):
    note = text_field(_("重新交办说明"), rows=3)
    lead_unit = UnitChoiceField(label=_("承办单位"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = active_units()  # type: ignore[attr-defined]
        self.fields["lead_unit"].empty_label = gettext("维持原承办单位")  # type: ignore[attr-defined]


class ChangeForm(ActionForm):
    reason = text_field(_("变更理由"), rows=2)
    authorised_by = LeaderChoiceField(
        label=_("同意变更的校领导"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("其他交办事项的变更须经校领导同意。"),
    )
    title = forms.CharField(label=_("事项名称"), required=False, max_length=200)
    content = text_field(_("工作内容"), rows=4)
    basis = text_field(_("督办依据"), rows=2)
    deadline = date_field(_("办结时限"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authorised_by"].queryset = school_leaders()  # type: ignore[attr-defined]
        self.fields["authorised_by"].empty_label = gettext("无")  # type: ignore[attr-defined]


MILESTONE_FIELD = re.compile(r"^milestone_(title|due)_(\d{1,3})$")
PLAN_ROWS = 3


class PlanForm(ActionForm):
    """Goals and any number of milestone rows (`milestone_title_N`, `milestone_due_N`)."""

    goals = text_field(_("工作目标"), rows=4)

    def milestone_rows(self) -> list[dict[str, Any]]:
        """The rows to show: what was typed (kept on error), else the current plan's,
        then empty rows to fill."""
        rows: dict[int, dict[str, Any]] = {}
        if self.is_bound:
            for key, value in self.data.items():
                match = MILESTONE_FIELD.match(key)
                if match:
                    kind, number = match.group(1), int(match.group(2))
                    rows.setdefault(number, {"title": "", "due": ""})[kind] = value
        else:  # the current plan's milestones, to edit (`initial`)
            for number, (title, due_on) in enumerate(self.initial.get("milestones", []), 1):
                rows[number] = {"title": title, "due": due_on.strftime(DATE_FORMAT)}
        numbers = sorted(rows)
        shown = [{"number": n, **rows[n]} for n in numbers]
        start = (numbers[-1] + 1) if numbers else 1
        while len(shown) < PLAN_ROWS or (not self.is_bound and len(shown) == len(numbers)):
            shown.append({"number": start, "title": "", "due": ""})
            start += 1
        return shown

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        milestones: list[MilestoneInput] = []
        for row in self.milestone_rows():
            title = normalise_newlines(str(row["title"])).strip()
            due_text = str(row["due"]).strip()
            if not title and not due_text:
                continue  # an empty row is simply not used
            if not due_text:
                raise forms.ValidationError(
                    gettext("节点“%(title)s”缺少完成日期。") % {"title": title}
                )
            try:
                due_on = dt.datetime.strptime(due_text, DATE_FORMAT).date()
            except ValueError:
                raise forms.ValidationError(
                    gettext("节点日期“%(text)s”无效，请按“年-月-日”填写。") % {"text": due_text}
                ) from None
            milestones.append(MilestoneInput(title=title, due_on=due_on))
        cleaned["milestones"] = milestones
        return cleaned
