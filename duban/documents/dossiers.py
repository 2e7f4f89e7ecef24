"""An archived item's dossier (案卷, R-K2): its full record as one printable document,
and a volume's index. Both are read through the visibility rule (R-C5); the dossier
reads a bounded number of queries, whatever the length of the item's history. The
same record of an item still in hand is its print view (`dossier_item` and
`build_dossier`, by duban.web.print_views; the record itself is the template
documents/pdf/_dossier_record.html, shared by the PDF and the page).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.items.models import (
    Confidentiality,
    DeadlineRule,
    Feedback,
    Item,
    ItemChange,
    SourceBody,
    SourceKind,
    WorkPlan,
)
from duban.items.states import Status

from .models import Volume, VolumeEntry


def dossier_item(user: Any, item_id: int, *, archived_only: bool = False) -> Item | None:
    """The item with what its dossier shows, if `user` may see it (and, with
    `archived_only`, it is archived); None otherwise, as if it did not exist. The
    dossier of an item still in hand is its print view (duban.web.print_views)."""
    items = Item.objects.visible_to(user).filter(pk=item_id)
    if archived_only:
        items = items.filter(status=Status.ARCHIVED)
    return items.select_related(
        "lead_unit",
        "supervising_office",
        "supervisor",
        "deciding_leader",
        "created_by",
        "volume_entry__volume__office",
        "volume_entry__volume__filed_by",
    ).first()


def archived_item(user: Any, item_id: int) -> Item | None:
    """The archived item, if `user` may see it; None otherwise, as if it did not exist."""
    return dossier_item(user, item_id, archived_only=True)


def visible_volume(user: Any, volume_id: int) -> Volume | None:
    """A volume of the office the person supervises for; None otherwise."""
    from .actions import supervising_office_of

    office = supervising_office_of(user)
    if office is None:
        return None
    return (
        Volume.objects.filter(pk=volume_id, office=office)
        .select_related("office", "filed_by")
        .first()
    )


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.full_name or user.username)


def closed_on(item: Item) -> dt.date | None:
    closed_at = item.completed_at or item.terminated_at
    return timezone.localdate(closed_at) if closed_at else None


def closing_status(item: Item) -> str:
    """How the item closed before it was filed: completed or terminated."""
    return str(Status.TERMINATED.label if item.terminated_at else Status.COMPLETED.label)


def record_fields(item: Item) -> list[tuple[str, str]]:
    """Every field of the item's record, labelled as the pages label them."""
    cooperating = "、".join(unit.name for unit in item.cooperating_units.all()) or _("无")
    leaders = "、".join(_person(leader) for leader in item.named_leaders.all())
    yes, no = _("是"), _("否")
    deadline_note = ""
    if item.deadline_extended:
        deadline_note = _("（原定%(day)s）") % {"day": item.original_deadline.isoformat()}
    return [
        (_("台账编号"), item.ledger_number),
        (_("年度"), str(item.year)),
        (_("事项名称"), item.title),
        (_("来源类别"), str(SourceKind(item.source_kind).label)),
        (_("具体来源"), str(SourceBody(item.source_body).label)),
        (_("纪要印发日期"), _day(item.minutes_issued_on)),
        (_("决定立项的校领导"), _person(item.deciding_leader)),
        (_("领导决定日期"), _day(item.decided_on)),
        (_("督办依据"), item.basis),
        (_("工作内容"), item.content),
        (_("承办单位"), item.lead_unit.name),
        (_("配合单位"), cooperating),
        (_("督办部门"), item.supervising_office.name),
        (_("督办员"), _person(item.supervisor)),
        (_("相关校领导"), leaders),
        (_("密级类别"), str(Confidentiality(item.confidentiality).label)),
        (_("紧急事项"), yes if item.urgent else no),
        (_("时限依据"), str(DeadlineRule(item.deadline_rule).label)),
        (_("时限确定理由"), item.deadline_reason),
        (_("原定办结时限"), item.original_deadline.isoformat()),
        (_("办结时限"), item.deadline.isoformat() + deadline_note),
        (_("时限按暂定日历计算"), yes if item.deadline_provisional else no),
        (_("状态"), str(Status(item.status).label)),
        (_("立项人"), _person(item.created_by)),
        (_("立项时间"), _when(item.established_at)),
        (_("交办时间"), _when(item.assigned_at)),
        (_("签收时间"), _when(item.signed_at)),
        (_("最近反馈时间"), _when(item.last_feedback_at)),
        (_("报结时间"), _when(item.submitted_at)),
        (_("办结时间"), _when(item.completed_at)),
        (_("终止时间"), _when(item.terminated_at)),
    ]


def _attachments(item: Item) -> list[Any]:
    """The item's attachments (duban.attachments), or none where that app is absent."""
    from django.apps import apps

    if not apps.is_installed("duban.attachments"):
        return []
    model = apps.get_model("attachments", "Attachment")
    return list(model.objects.filter(item=item).select_related("uploaded_by", "unit", "feedback"))


@dataclass
class Dossier:
    item: Item
    entry: VolumeEntry | None
    fields: list[tuple[str, str]]
    events: list[Any]
    plans: list[WorkPlan]
    feedback: list[Feedback]
    urges: list[Any]
    extension_request: Any
    adjustments: list[Any]
    changes: list[ItemChange]
    recusals: list[Any]
    attachments: list[Any]
    printed_at: str


def build_dossier(item: Item, printed_at: dt.datetime) -> Dossier:
    from duban.items.models import ExtensionRequest

    try:
        extension_request = ExtensionRequest.objects.select_related(
            "unit", "requested_by", "approver", "decided_by"
        ).get(item=item)
    except ExtensionRequest.DoesNotExist:
        extension_request = None
    # (A missing one-to-one raises a DoesNotExist that is also an AttributeError.)
    entry: VolumeEntry | None = getattr(item, "volume_entry", None)
    return Dossier(
        item=item,
        entry=entry,
        fields=record_fields(item),
        events=list(item.events.select_related("actor", "unit").order_by("created_at", "id")),
        plans=list(
            item.plans.select_related("author")
            .prefetch_related("milestones")
            .order_by("created_at", "id")
        ),
        feedback=list(
            item.feedback.select_related("unit", "author", "confirmed_by", "reviewed_by")
            .prefetch_related(Prefetch("contributions", queryset=Feedback.objects.order_by("id")))
            .order_by("created_at", "id")
        ),
        urges=list(item.urges.select_related("unit", "recipient", "urged_by")),
        extension_request=extension_request,
        adjustments=list(item.adjustments.select_related("leader", "recorded_by")),
        changes=list(item.changes.select_related("authorised_by", "changed_by")),
        recusals=list(item.recusals.select_related("person", "unit", "declared_by")),
        attachments=_attachments(item),
        printed_at=_when(printed_at),
    )


def volume_entries(user: Any, volume: Volume) -> QuerySet[VolumeEntry]:
    """The volume's entries whose items `user` may see (R-C5), in filing order."""
    return (
        volume.entries.filter(item__in=Item.objects.visible_to(user).values("pk"))
        .select_related("item", "item__lead_unit")
        .order_by("position")
    )


def volume_index_pdf(user: Any, volume: Volume) -> bytes:
    """The volume's index (卷内目录) as a PDF, with the entries `user` may see; raises
    `pdf.PdfUnavailable` where no PDF can be drawn. The page and the API both print it."""
    from .pdf import render_pdf

    rows = [
        {
            "entry": entry,
            "established_on": timezone.localdate(entry.item.established_at),
            "closed_on": closed_on(entry.item),
            "outcome": closing_status(entry.item),
        }
        for entry in volume_entries(user, volume)
    ]
    context = {"volume": volume, "rows": rows, "filed_at": volume.filed_at}
    return render_pdf(
        "documents/pdf/volume_index.html", context, ("documents/pdf/volume_index.css",)
    )
