"""The intake pages (office supervisors of the General Office only).

/intake/            upload minutes or a work plan; the drafts waiting for confirmation
/intake/<id>/       each proposal beside its source paragraph, the recognised words
                    highlighted and what was not recognised marked; edit, drop or
                    merge, then 确认立项 establishes them all (duban.intake.actions)
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from duban import clock
from duban.attachments.uploads import oversized_uploads
from duban.items.errors import ActionError
from duban.items.models import SourceBody
from duban.organisation.models import Unit, User
from duban.web.views import current_user

from . import actions, parsing
from .models import DeadlineBasis, DocumentKind, DocumentStatus, IntakeDocument, Proposal

FIELD_LABELS = {
    "lead_unit": gettext_lazy("承办单位"),
    "cooperating_units": gettext_lazy("配合单位"),
    "deadline": gettext_lazy("办结时限"),
    "unit_named": gettext_lazy("提及的单位（职责未识别）"),
}


def _office(request: HttpRequest) -> User:
    user = current_user(request)
    if not actions.may_intake(user):
        raise PermissionDenied(_("只有党政办公室的督办员可以读取会议纪要、工作要点并确认立项。"))
    return user


# ----------------------------------------------------------------------------- upload


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("文件类别"),
        choices=DocumentKind.choices,
        initial=DocumentKind.MINUTES,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("文件（.docx、带文字层的.pdf或.txt，不超过10 MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.pdf,.txt"}),
    )
    source_body = forms.ChoiceField(
        label=gettext_lazy("具体来源"),
        required=False,
        choices=[
            ("", gettext_lazy("按文件标题自动识别")),
            *[
                (body.value, body.label)
                for body in (
                    SourceBody.STANDING_COMMITTEE,
                    SourceBody.PRESIDENT_MEETING,
                    SourceBody.SECRETARY_MEETING,
                    SourceBody.WORK_POINTS,
                    SourceBody.MAJOR_PLAN,
                )
            ],
        ],
    )
    issued_on = forms.DateField(
        label=gettext_lazy("纪要印发日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("会议纪要必填（纪要中写有“××××年×月×日印发”时可不填）。"),
    )
    year = forms.IntegerField(
        label=gettext_lazy("年度"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=gettext_lazy("工作要点选填，不填则从标题识别。"),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            if oversized_uploads(self.request):
                raise forms.ValidationError(_("文件超过10 MB，无法读取。"))
            raise forms.ValidationError(_("请选择要读取的文件。"))
        return upload


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _office(request)
    posted = request.method == "POST"
    form = (
        UploadForm(request.POST, request.FILES, request=request)
        if posted
        else UploadForm(request=request)
    )
    structure: list[parsing.StructureLine] = []
    nothing_found = ""
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = actions.read_document(
                user,
                kind=form.cleaned_data["kind"],
                content=upload.read(),
                filename=upload.name or "",
                source_body=form.cleaned_data["source_body"] or None,
                issued_on=form.cleaned_data["issued_on"],
                year=form.cleaned_data["year"],
            )
        except parsing.NothingFound as error:
            nothing_found, structure = error.message, error.structure
            form.add_error("file", error.message)
        except ActionError as error:
            for name, message in error.errors.items():
                if name in form.fields and name != "file":
                    form.add_error(name, message)
            form.add_error("file" if "file" in error.errors else None, error.message)
        else:
            messages.success(
                request,
                _("已读取“%(file)s”，识别出%(count)d项拟立项事项，请逐项核对后确认立项。")
                % {"file": document.filename, "count": document.proposals.count()},
            )
            return redirect("intake-document", pk=document.pk)
    drafts = IntakeDocument.objects.filter(status=DocumentStatus.DRAFT).defer("lines")[:20]
    confirmed = IntakeDocument.objects.filter(status=DocumentStatus.CONFIRMED).defer("lines")[:10]
    return render(
        request,
        "intake/home.html",
        {
            "form": form,
            "drafts": drafts,
            "confirmed": confirmed,
            "nothing_found": nothing_found,
            "structure": structure,
        },
        status=400 if form.errors else 200,
    )


# ----------------------------------------------------------------------------- review


class ProposalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("事项名称"), max_length=200)
    content = forms.CharField(
        label=gettext_lazy("工作内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    basis = forms.CharField(
        label=gettext_lazy("督办依据"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    lead_unit = forms.TypedChoiceField(
        label=gettext_lazy("承办单位"), coerce=int, required=False, empty_value=None
    )
    cooperating_units = forms.TypedMultipleChoiceField(
        label=gettext_lazy("配合单位"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    deadline_basis = forms.ChoiceField(label=gettext_lazy("时限依据"))
    deadline = forms.DateField(
        label=gettext_lazy("办结时限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("按印发后第10个工作日或当年12月31日计算时，此处不用填写。"),
    )
    office_reason = forms.CharField(
        label=gettext_lazy("时限确定理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, document: IntakeDocument, units: list[Unit], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["deadline_basis"].choices = actions.deadline_choices(document.kind)  # type: ignore[attr-defined]
        # One list of units for every proposal's form on the page.
        choices = [(unit.pk, unit.name) for unit in units]
        self.fields["lead_unit"].choices = [("", _("（未识别，请选择）")), *choices]  # type: ignore[attr-defined]
        self.fields["cooperating_units"].choices = choices  # type: ignore[attr-defined]


def _proposal_form(
    document: IntakeDocument, proposal: Proposal, units: list[Unit], data: Any = None
) -> ProposalForm:
    initial = {
        "title": proposal.title,
        "content": proposal.content,
        "basis": proposal.basis,
        "lead_unit": proposal.lead_unit_id,
        "cooperating_units": [unit.pk for unit in proposal.cooperating_units.all()],
        "deadline_basis": proposal.deadline_basis,
        "deadline": proposal.deadline,
        "office_reason": proposal.office_reason,
    }
    return ProposalForm(
        data, initial=initial, prefix=f"p{proposal.pk}", document=document, units=units
    )


def _document(pk: int) -> IntakeDocument:
    document = IntakeDocument.objects.filter(pk=pk).first()
    if document is None:
        raise Http404(_("读取记录不存在。"))
    return document


def _cards(
    document: IntakeDocument, forms_by_pk: dict[int, ProposalForm] | None = None
) -> list[dict[str, Any]]:
    units = list(Unit.objects.filter(is_active=True).only("pk", "name"))
    cards = []
    proposals = (
        document.proposals.select_related("lead_unit", "item", "merged_into")
        .prefetch_related("cooperating_units")
        .order_by("position")
    )
    today = clock.today()
    for proposal in proposals:
        form = (forms_by_pk or {}).get(proposal.pk) or _proposal_form(document, proposal, units)
        marks = [
            {**mark, "label": FIELD_LABELS.get(mark["field"], mark["field"])}
            for mark in proposal.evidence
        ]
        unrecognised = []
        if proposal.lead_unit_id is None:
            unrecognised.append(_("承办单位未识别，请选择。"))
        if proposal.deadline_basis == DeadlineBasis.TEN_WORKDAYS:
            unrecognised.append(
                _("纪要未写明时限，按印发后第10个工作日计：%(day)s。")
                % {"day": proposal.deadline.isoformat() if proposal.deadline else "-"}
            )
        if proposal.deadline and proposal.deadline < today and document.is_draft:
            unrecognised.append(_("办结时限早于今天，请由督办部门根据实际确定时限并写明理由。"))
        cards.append(
            {
                "proposal": proposal,
                "form": form,
                "pieces": parsing.highlight(proposal.source_text, proposal.evidence),
                "marks": marks,
                "unrecognised": unrecognised,
                "basis_preview": actions.item_basis(document, proposal),
            }
        )
    return cards


def _render_document(
    request: HttpRequest,
    document: IntakeDocument,
    forms_by_pk: dict[int, ProposalForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    cards = _cards(document, forms_by_pk)
    active = [card for card in cards if not card["proposal"].dropped]
    return render(
        request,
        "intake/document.html",
        {
            "document": document,
            "cards": cards,
            "active_count": len(active),
            "labels": FIELD_LABELS,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD"])
@login_required
def document_page(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    return _render_document(request, _document(pk))


def _proposal(document: IntakeDocument, proposal_pk: int) -> Proposal:
    proposal = document.proposals.filter(pk=proposal_pk).first()
    if proposal is None:
        raise Http404(_("拟立项事项不存在。"))
    return proposal


@require_POST
@login_required
def edit(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    user = _office(request)
    document = _document(pk)
    proposal = _proposal(document, proposal_pk)
    units = list(Unit.objects.filter(is_active=True).only("pk", "name"))
    form = _proposal_form(document, proposal, units, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        chosen = {unit.pk: unit for unit in Unit.objects.filter(is_active=True)}
        try:
            actions.update_proposal(
                user,
                proposal,
                actions.ProposalInput(
                    title=data["title"],
                    content=data["content"],
                    basis=data["basis"],
                    lead_unit=chosen.get(data["lead_unit"]) if data["lead_unit"] else None,
                    cooperating_units=[
                        chosen[pk] for pk in data["cooperating_units"] if pk in chosen
                    ],
                    deadline_basis=data["deadline_basis"],
                    deadline=data["deadline"],
                    office_reason=data["office_reason"],
                ),
            )
        except ActionError as error:
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
            if not error.errors:
                form.add_error(None, error.message)
        else:
            messages.success(request, _("已保存第%(label)s项。") % {"label": proposal.label})
            url = reverse("intake-document", kwargs={"pk": document.pk})
            return redirect(f"{url}#proposal-{proposal.pk}")
    return _render_document(request, document, {proposal.pk: form}, status=400)


@require_POST
@login_required
def drop(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    user = _office(request)
    document = _document(pk)
    proposal = _proposal(document, proposal_pk)
    restore = request.POST.get("restore") == "1"
    try:
        actions.drop_proposal(user, proposal, dropped=not restore)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        text = _("已恢复第%(label)s项。") if restore else _("第%(label)s项已标记为不立项。")
        messages.success(request, text % {"label": proposal.label})
    return redirect("intake-document", pk=document.pk)


@require_POST
@login_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    user = _office(request)
    document = _document(pk)
    ids = [int(value) for value in request.POST.getlist("proposal") if value.isdigit()]
    try:
        merged = actions.merge_proposals(user, document, ids)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已合并为第%(label)s项。") % {"label": merged.label})
    return redirect("intake-document", pk=document.pk)


@require_POST
@login_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = _office(request)
    document = _document(pk)
    try:
        items = actions.confirm_document(user, document)
    except ActionError as error:
        messages.error(request, _("未立项任何事项。%(message)s") % {"message": error.message})
        return _render_document(request, document, status=400)
    messages.success(request, _("已确认立项%(count)d项督办事项。") % {"count": len(items)})
    return redirect("intake-document", pk=document.pk)
