"""Intake's actions: read a document into proposals, edit, drop or merge them, and
confirm them — which establishes each one through `establish_item`, all or nothing.

Only the office supervisors of the General Office — the supervising office of
meeting and annual items (R-S2) — read documents and confirm their proposals.
Reading is audited (`intake_read`); each established item gets establish_item's own
event, one per item. Edits to drafts are not audited: a draft is no item, and the item
established from it records what it was established with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.items import actions as item_actions
from duban.items.deadlines import compute_deadline
from duban.items.errors import ActionError, InvalidInput, PermissionRefused
from duban.items.models import SourceBody, SourceKind
from duban.organisation.models import Role, Unit, UnitKind

from . import parsing, reading
from .models import DeadlineBasis, DocumentKind, DocumentStatus, IntakeDocument, Proposal

MINUTES_BODIES = {
    str(SourceBody.STANDING_COMMITTEE.label): SourceBody.STANDING_COMMITTEE,
    str(SourceBody.PRESIDENT_MEETING.label): SourceBody.PRESIDENT_MEETING,
    str(SourceBody.SECRETARY_MEETING.label): SourceBody.SECRETARY_MEETING,
}
PLAN_BODIES = {
    str(SourceBody.WORK_POINTS.label): SourceBody.WORK_POINTS,
    str(SourceBody.MAJOR_PLAN.label): SourceBody.MAJOR_PLAN,
}


def may_intake(actor: Any) -> bool:
    unit = getattr(actor, "unit", None)
    return bool(
        getattr(actor, "is_active", False)
        and getattr(actor, "role", None) == Role.OFFICE_SUPERVISOR
        and unit is not None
        and unit.kind == UnitKind.GENERAL_OFFICE
    )


def require_intake(actor: Any) -> None:
    if not may_intake(actor):
        raise PermissionRefused(_("只有党政办公室的督办员可以读取会议纪要、工作要点并确认立项。"))


# ----------------------------------------------------------------------------- reading


@dataclass
class Reading:
    """A document read, not yet stored: what the command's --dry-run prints."""

    kind: str
    source_body: str
    filename: str
    size: int
    sha256: str
    lines: list[str]
    parsed: parsing.ParsedDocument


def body_from_label(kind: str, label: str | None) -> str | None:
    """A source body from its Chinese name (校长办公会) or its code; None for none."""
    if not label:
        return None
    bodies = MINUTES_BODIES if kind == DocumentKind.MINUTES else PLAN_BODIES
    if label in bodies:
        return str(bodies[label])
    if label in {str(value) for value in bodies.values()}:
        return label
    message = _("具体来源“%(body)s”无效，应为%(choices)s之一。") % {
        "body": label,
        "choices": "、".join(bodies),
    }
    raise InvalidInput(message, errors={"source_body": message})


def read(
    *,
    kind: str,
    content: bytes,
    filename: str,
    source_body: str | None = None,
    issued_on: dt.date | None = None,
    year: int | None = None,
) -> Reading:
    """Read a document into proposals, storing nothing. Raises InvalidInput (naming the
    line where there is one) or parsing.NothingFound."""
    if kind not in DocumentKind.values:
        raise InvalidInput(_("文件类别无效。"), errors={"kind": _("请选择文件类别。")})
    lines = reading.read_lines(content, filename)
    directory = parsing.UnitDirectory.from_database()
    if kind == DocumentKind.MINUTES:
        body = source_body or parsing.detect_body(lines)
        if body is None:
            message = _("未能从纪要标题识别会议名称，请选择具体来源。")
            raise InvalidInput(message, errors={"source_body": message})
        if body not in MINUTES_BODIES.values():
            raise InvalidInput(_("会议纪要的具体来源应为党委常委会、校长办公会或书记办公会。"))
        issued_on = issued_on or parsing.detect_issued_on(lines)
        if issued_on is None:
            message = _("请填写纪要印发日期。")
            raise InvalidInput(message, errors={"issued_on": message})
        if issued_on > clock.today():
            message = _("纪要印发日期不能晚于今天。")
            raise InvalidInput(message, errors={"issued_on": message})
        parsed = parsing.parse_minutes(
            lines,
            issued_on=issued_on,
            body_label=str(SourceBody(body).label),
            directory=directory,
        )
    else:
        body = source_body or SourceBody.WORK_POINTS
        if body not in PLAN_BODIES.values():
            raise InvalidInput(_("工作要点的具体来源应为党政工作要点或重大规划。"))
        parsed = parsing.parse_work_plan(lines, year=year, directory=directory)
    return Reading(
        kind=kind,
        source_body=str(body),
        filename=filename,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        lines=lines,
        parsed=parsed,
    )


def basis_of(document_number: str, label: str, category: str = "") -> str:
    """依据: the document's number and the decision's own number (第三项)."""
    where = f"“{category.split(' / ')[0]}”" if category else ""
    return _("%(number)s%(where)s第%(label)s项") % {
        "number": document_number,
        "where": where,
        "label": label,
    }


@transaction.atomic
def read_document(
    actor: Any,
    *,
    kind: str,
    content: bytes,
    filename: str,
    source_body: str | None = None,
    issued_on: dt.date | None = None,
    year: int | None = None,
) -> IntakeDocument:
    """Read a document and keep its proposals as drafts for the office to confirm.
    `actor` is None when a command stores them (the drafts then name no uploader)."""
    if actor is not None:
        require_intake(actor)
    result = read(
        kind=kind,
        content=content,
        filename=filename,
        source_body=source_body,
        issued_on=issued_on,
        year=year,
    )
    return store(actor, result)


def store(actor: Any, result: Reading) -> IntakeDocument:
    parsed = result.parsed
    document = IntakeDocument.objects.create(
        kind=result.kind,
        filename=reading.validation.clean_name(result.filename),
        size=result.size,
        sha256=result.sha256,
        source_body=result.source_body,
        number=parsed.number[:200],
        number_words=parsed.number_words[:200],
        issued_on=parsed.issued_on,
        year=parsed.year,
        lines=result.lines,
        flags=parsed.flags,
        uploaded_by=actor,
        created_at=clock.now(),
    )
    for found in parsed.proposals:
        proposal = Proposal.objects.create(
            document=document,
            position=found.position,
            label=found.label[:20],
            title=found.title[:200],
            content=found.content,
            basis=basis_of(parsed.number, found.label, found.category),
            category=found.category[:300],
            source_text=found.source_text,
            first_line=found.first_line,
            last_line=found.last_line,
            lead_unit_id=found.lead_unit_id,
            deadline=found.deadline,
            deadline_basis=found.deadline_basis,
            deadline_words=found.deadline_words[:100],
            evidence=[asdict(evidence) for evidence in found.evidence],
            flags=found.flags,
        )
        proposal.cooperating_units.set(found.cooperating_unit_ids)
    record(
        actor,
        "intake_read",
        _("读取%(kind)s“%(number)s”（%(file)s），识别出%(count)d项拟立项事项")
        % {
            "kind": DocumentKind(result.kind).label,
            "number": document.number,
            "file": document.filename,
            "count": len(parsed.proposals),
        },
        data={"document": document.pk, "sha256": result.sha256, "count": len(parsed.proposals)},
    )
    return document


# ----------------------------------------------------------------------------- drafts


def _locked_draft(document: IntakeDocument) -> IntakeDocument:
    document = IntakeDocument.objects.select_for_update().get(pk=document.pk)
    if not document.is_draft:
        raise InvalidInput(_("该文件的事项已确认立项，不能再修改。"))
    return document


@dataclass
class ProposalInput:
    title: str
    content: str
    basis: str
    lead_unit: Unit | None
    cooperating_units: Sequence[Unit] = field(default_factory=list)
    deadline_basis: str = DeadlineBasis.TEN_WORKDAYS
    deadline: dt.date | None = None
    office_reason: str = ""


def deadline_choices(kind: str) -> list[tuple[str, str]]:
    if kind == DocumentKind.WORK_PLAN:
        return [(DeadlineBasis.YEAR_END.value, str(DeadlineBasis.YEAR_END.label))]
    return [
        (choice.value, str(choice.label))
        for choice in (DeadlineBasis.GIVEN, DeadlineBasis.TEN_WORKDAYS, DeadlineBasis.OFFICE)
    ]


def _deadline_for(document: IntakeDocument, data: ProposalInput) -> dt.date | None:
    allowed = [value for value, _label in deadline_choices(document.kind)]
    if data.deadline_basis not in allowed:
        message = _("时限依据无效。")
        raise InvalidInput(message, errors={"deadline_basis": message})
    if data.deadline_basis == DeadlineBasis.YEAR_END:
        return compute_deadline(SourceKind.ANNUAL, year=document.year).day  # R-D4
    if data.deadline_basis == DeadlineBasis.TEN_WORKDAYS:
        assert document.issued_on is not None
        return compute_deadline(  # R-D2
            SourceKind.MEETING, year=document.issued_on.year, minutes_issued_on=document.issued_on
        ).day
    if data.deadline is None:
        message = _("请填写办结时限。")
        raise InvalidInput(message, errors={"deadline": message})
    if data.deadline_basis == DeadlineBasis.OFFICE and not data.office_reason.strip():
        message = _("督办部门根据实际确定时限时，必须写明理由。")
        raise InvalidInput(message, errors={"office_reason": message})
    return data.deadline


@transaction.atomic
def update_proposal(actor: Any, proposal: Proposal, data: ProposalInput) -> Proposal:
    require_intake(actor)
    document = _locked_draft(proposal.document)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk, document=document)
    title = data.title.strip()
    if not title or len(title) > item_actions.TITLE_LIMIT:
        message = _("事项名称不能为空，最多%(limit)d字。") % {"limit": item_actions.TITLE_LIMIT}
        raise InvalidInput(message, errors={"title": message})
    deadline = _deadline_for(document, data)
    cooperating = [unit for unit in data.cooperating_units if unit != data.lead_unit]
    proposal.title = title
    proposal.content = data.content.strip()
    proposal.basis = data.basis.strip()
    proposal.lead_unit = data.lead_unit
    proposal.deadline_basis = data.deadline_basis
    proposal.deadline = deadline
    proposal.office_reason = (
        data.office_reason.strip() if data.deadline_basis == DeadlineBasis.OFFICE else ""
    )
    proposal.edited = True
    proposal.flags = []  # the reading's notes are superseded by the person's own choices
    proposal.save()
    proposal.cooperating_units.set(cooperating)
    return proposal


@transaction.atomic
def drop_proposal(actor: Any, proposal: Proposal, *, dropped: bool = True) -> Proposal:
    """不立项 (or take it back)."""
    require_intake(actor)
    document = _locked_draft(proposal.document)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk, document=document)
    proposal.dropped = dropped
    if not dropped:
        proposal.merged_into = None
    proposal.save(update_fields=["dropped", "merged_into"])
    return proposal


@transaction.atomic
def merge_proposals(actor: Any, document: IntakeDocument, ids: Sequence[int]) -> Proposal:
    """Merge proposals into the first of them: one item for one matter (Art.12)."""
    require_intake(actor)
    document = _locked_draft(document)
    proposals = list(
        Proposal.objects.select_for_update()
        .filter(document=document, pk__in=ids, dropped=False)
        .order_by("position")
    )
    if len(proposals) < 2:
        raise InvalidInput(_("请至少勾选两项要合并的事项。"))
    first, others = proposals[0], proposals[1:]
    evidence = list(first.evidence)
    source = first.source_text
    for other in others:
        offset = len(source) + 1
        evidence.extend(
            {**mark, "start": mark["start"] + offset, "end": mark["end"] + offset}
            for mark in other.evidence
        )
        source = f"{source}\n{other.source_text}"
    labels = "、".join(p.label for p in proposals)
    first.content = "\n".join(p.content for p in proposals)
    first.source_text = source
    first.evidence = evidence
    first.last_line = max(p.last_line for p in proposals)
    first.basis = basis_of(document.number, labels, first.category)
    if first.lead_unit_id is None:
        first.lead_unit_id = next((p.lead_unit_id for p in others if p.lead_unit_id), None)
    if first.deadline_basis == DeadlineBasis.GIVEN or any(
        p.deadline_basis == DeadlineBasis.GIVEN for p in others
    ):
        given = [p for p in proposals if p.deadline_basis == DeadlineBasis.GIVEN]
        latest = max(given, key=lambda p: p.deadline or dt.date.min)
        first.deadline, first.deadline_basis = latest.deadline, DeadlineBasis.GIVEN
        first.deadline_words = latest.deadline_words
    first.flags = [*first.flags, _("由第%(labels)s项合并而成。") % {"labels": labels}]
    first.edited = True
    first.save()
    cooperating = {unit.pk for p in proposals for unit in p.cooperating_units.all()}
    cooperating |= {p.lead_unit_id for p in others if p.lead_unit_id}
    cooperating.discard(first.lead_unit_id)  # type: ignore[arg-type]
    first.cooperating_units.set(sorted(cooperating))
    for other in others:
        other.dropped, other.merged_into = True, first
        other.save(update_fields=["dropped", "merged_into"])
    return first


# ----------------------------------------------------------------------------- confirm


def deadline_note(document: IntakeDocument, proposal: Proposal) -> str:
    """What the basis says of the deadline: given by the minutes, or R-D2, R-D3, R-D4."""
    if proposal.deadline_basis == DeadlineBasis.GIVEN:
        return _("办结时限：纪要明确（“%(words)s”）") % {
            "words": proposal.deadline_words or (proposal.deadline or "").__str__()
        }
    if proposal.deadline_basis == DeadlineBasis.TEN_WORKDAYS:
        return _("办结时限：纪要未明确，按纪要印发（%(day)s）后第10个工作日计") % {
            "day": document.issued_on.isoformat() if document.issued_on else ""
        }
    if proposal.deadline_basis == DeadlineBasis.OFFICE:
        return _("办结时限：督办部门根据实际确定")
    return _("办结时限：年度重点工作，当年12月31日")


def item_basis(document: IntakeDocument, proposal: Proposal) -> str:
    return f"{proposal.basis}；{deadline_note(document, proposal)}"


def establish_input(document: IntakeDocument, proposal: Proposal) -> item_actions.EstablishInput:
    common: dict[str, Any] = {
        "title": proposal.title,
        "content": proposal.content,
        "basis": item_basis(document, proposal),
        "source_body": document.source_body,
        "lead_unit": proposal.lead_unit,
        "cooperating_units": list(proposal.cooperating_units.all()),
    }
    if document.kind == DocumentKind.WORK_PLAN:
        return item_actions.EstablishInput(
            source_kind=SourceKind.ANNUAL, year=document.year, **common
        )
    values: dict[str, Any] = {"minutes_issued_on": document.issued_on}
    if proposal.deadline_basis == DeadlineBasis.GIVEN:
        values["minutes_deadline"] = proposal.deadline
    elif proposal.deadline_basis == DeadlineBasis.OFFICE:
        values["office_deadline"] = proposal.deadline
        values["office_reason"] = proposal.office_reason
    return item_actions.EstablishInput(source_kind=SourceKind.MEETING, **common, **values)


@transaction.atomic
def confirm_document(actor: Any, document: IntakeDocument) -> list[Any]:
    """确认立项: establish every proposal not dropped, as one batch — all or none."""
    require_intake(actor)
    document = _locked_draft(document)
    proposals = list(
        document.proposals.filter(dropped=False)
        .select_related("lead_unit")
        .prefetch_related("cooperating_units")
        .order_by("position")
    )
    if not proposals:
        raise InvalidInput(_("没有要立项的事项（全部已标记为不立项）。"))
    items = []
    for proposal in proposals:
        try:
            item = item_actions.establish_item(actor, establish_input(document, proposal))
        except ActionError as error:
            message = _("第%(label)s项“%(title)s”：%(message)s") % {
                "label": proposal.label,
                "title": proposal.title,
                "message": error.message,
            }
            raise type(error)(message, errors=error.errors) from None
        proposal.item = item
        proposal.save(update_fields=["item"])
        items.append(item)
    document.status = DocumentStatus.CONFIRMED
    document.confirmed_by = actor
    document.confirmed_at = clock.now()
    document.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return items
