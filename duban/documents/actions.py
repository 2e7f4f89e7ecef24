"""The documents' actions: generating a circular (R-K4) and filing a volume (R-K2).

Like every action (DESIGN.md), each checks who may act, validates, writes its rows
and its audit events in one transaction; a refusal raises an `ActionError` and
changes nothing.

Who: the supervisors of a supervising office (the General Office, 党政办公室, and
likewise 纪委办公室/监察处 or 保密办公室 for their own items), each for their own
office's items as the visibility rule shows them (R-C5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.items import policy
from duban.items.actions.closing import close_with_item
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.models import Item
from duban.items.states import MOVES, Status, apply_move
from duban.organisation.models import SUPERVISING_OFFICE_KINDS, Role, Unit

from .circulars import CircularContent, build_circular
from .models import Circular, Volume, VolumeEntry

FORMATS = {"docx": "Word", "pdf": "PDF"}
# The longest period one circular covers.
LONGEST_PERIOD = dt.timedelta(days=366)
FIRST_YEAR = 2000

CIRCULAR_REFUSAL = "只有督办部门的督办员可以生成通报。"
# The same words as policy.ACTORS["archive"], so a refusal reads alike either way.
VOLUME_REFUSAL = "只有本事项的督办部门督办员可以立卷归档。"


def supervising_office_of(user: Any) -> Unit | None:
    """The supervising office `user` works for as a supervisor, or None."""
    if not policy.is_active_person(user) or user.role != Role.OFFICE_SUPERVISOR:
        return None
    unit = user.unit
    if unit is None or unit.kind not in SUPERVISING_OFFICE_KINDS or not unit.is_active:
        return None
    return unit


def _lock_office(office: Unit) -> None:
    """Serialise the numbering of the office's circulars and volumes."""
    Unit.objects.select_for_update().filter(pk=office.pk).exists()


# ----------------------------------------------------------------------------- circulars


def check_period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    if start is None or end is None:
        raise InvalidInput(
            _("请填写通报期间的起止日期。"),
            errors={"start" if start is None else "end": _("此项为必填项。")},
        )
    if end < start:
        raise InvalidInput(
            _("通报期间的结束日期不能早于开始日期。"),
            errors={"end": _("请填写不早于开始日期的日期。")},
        )
    if start > clock.today():
        raise InvalidInput(
            _("通报期间的开始日期不能晚于今天。"),
            errors={"start": _("请填写不晚于今天的日期。")},
        )
    if end - start > LONGEST_PERIOD:
        raise InvalidInput(_("一期通报最长涵盖一年。"), errors={"end": _("请缩短通报期间。")})
    return start, end


@transaction.atomic
def generate_circular(
    actor: Any, *, start: dt.date | None, end: dt.date | None, file_format: str
) -> CircularContent:
    """生成通报: the circular of the actor's office for [start, end], numbered at the
    period's first generation; every generation is audited with its format."""
    office = supervising_office_of(actor)
    if office is None:
        raise PermissionRefused(_(CIRCULAR_REFUSAL))
    if file_format not in FORMATS:
        raise InvalidInput(_("文件格式无效。"), errors={"file_format": _("请选择 Word 或 PDF。")})
    start, end = check_period(start, end)
    _lock_office(office)
    today = clock.today()
    circular = Circular.objects.filter(office=office, period_start=start, period_end=end).first()
    if circular is None:
        last = Circular.objects.filter(office=office, year=today.year).aggregate(Max("number"))
        circular = Circular.objects.create(
            office=office,
            year=today.year,
            number=(last["number__max"] or 0) + 1,
            period_start=start,
            period_end=end,
            created_by=actor,
            created_at=clock.now(),
        )
    circular.office = office
    content = build_circular(actor, circular, issued_on=today)
    record(
        actor,
        "generate_circular",
        _("生成通报%(number)s《%(title)s》（%(format)s）")
        % {
            "number": content.document_number,
            "title": content.title,
            "format": FORMATS[file_format],
        },
        unit=office,
        data={
            "circular": circular.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "format": file_format,
            "led": content.total.led,
            "completed": content.total.completed,
            "overdue": content.total.overdue,
        },
    )
    return content


# ----------------------------------------------------------------------------- volumes

ARCHIVABLE_STATUSES = MOVES["archive"].sources


def closed_in(year: int) -> Q:
    """Closed (completed or terminated) within `year`, local time: 跨年度的事项按办结年度立卷."""
    return Q(completed_at__year=year) | Q(terminated_at__year=year)


def archivable_items(user: Any, office: Unit) -> QuerySet[Item]:
    """The office's closed items not yet filed, as `user` may see them (R-C5)."""
    return Item.objects.visible_to(user).filter(
        supervising_office=office,
        status__in=ARCHIVABLE_STATUSES,
        volume_entry__isnull=True,
    )


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= clock.today().year:
        raise InvalidInput(
            _("年度无效：只能为%(first)d年至今年已结束的事项立卷。") % {"first": FIRST_YEAR},
            errors={"year": _("请选择不晚于今年的年度。")},
        )


@transaction.atomic
def file_volume(actor: Any, year: int, *, items: Sequence[Item] | None = None) -> Volume:
    """立卷归档 (R-K2): file the office's items closed in `year` into a new volume and
    move each to archived, read-only from then on.

    By default every such item not yet filed is taken. `items` names the ones to file
    instead (a supplementary filing of particular items); each must be an item the
    actor may archive — seen, of the actor's office, closed in `year`, not yet filed.
    An item is filed once: a second filing takes only what the first left.
    """
    if items is None:
        office = supervising_office_of(actor)
        if office is None:
            raise PermissionRefused(_(VOLUME_REFUSAL))
        _check_year(year)
        chosen = list(
            archivable_items(actor, office)
            .filter(closed_in(year))
            .select_for_update(of=("self",))
            .select_related("lead_unit", "supervising_office")
            .order_by("source_kind", "year", "serial", "pk")
        )
    else:
        chosen = []
        for given in items:
            item = (
                Item.objects.select_for_update(of=("self",))
                .select_related("lead_unit", "supervising_office")
                .get(pk=given.pk)
            )
            policy.check(actor, item, "archive")
            chosen.append(item)
        office = supervising_office_of(actor)
        if office is None:  # policy.check let an office supervisor through
            raise PermissionRefused(_(VOLUME_REFUSAL))
        _check_year(year)
        filed = set(
            VolumeEntry.objects.filter(item__in=[item.pk for item in chosen]).values_list(
                "item_id", flat=True
            )
        )
        for item in chosen:
            closed_at = item.completed_at or item.terminated_at
            if item.pk in filed or closed_at is None or timezone.localdate(closed_at).year != year:
                raise InvalidInput(
                    _("%(number)s不是%(year)d年办结或终止、尚未归档的事项。")
                    % {"number": item.ledger_number, "year": year}
                )
        chosen.sort(key=lambda item: (item.source_kind, item.year, item.serial, item.pk))
    if not chosen:
        raise InvalidInput(
            _("%(year)d年没有可归档的已办结或已终止事项。") % {"year": year},
            errors={"year": _("该年度没有待归档的事项。")},
        )

    _lock_office(office)
    last = Volume.objects.filter(office=office, year=year).aggregate(Max("number"))
    volume = Volume.objects.create(
        office=office,
        year=year,
        number=(last["number__max"] or 0) + 1,
        filed_by=actor,
        filed_at=clock.now(),
    )
    record(
        actor,
        "file_volume",
        _("立卷归档：%(title)s，共%(count)d件") % {"title": volume.title, "count": len(chosen)},
        unit=office,
        data={"volume": volume.pk, "year": year, "count": len(chosen)},
    )
    entries = []
    for position, item in enumerate(chosen, start=1):
        policy.check(actor, item, "archive")
        apply_move(item, "archive")
        close_with_item(actor, item, _("事项已归档"))
        entries.append(VolumeEntry(volume=volume, item=item, position=position))
        record(
            actor,
            "archive",
            _("归档：%(volume)s第%(position)d件") % {"volume": volume.title, "position": position},
            item=item,
            data={"volume": volume.pk, "position": position},
        )
    VolumeEntry.objects.bulk_create(entries)
    Item.objects.filter(pk__in=[item.pk for item in chosen]).update(
        status=Status.ARCHIVED, updated_at=clock.now()
    )
    return volume
