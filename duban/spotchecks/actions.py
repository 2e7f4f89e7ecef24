"""Every change to spot checks happens here, one function per action (DESIGN.md).

Each action checks who may act, validates its input, changes the rows, writes its
audit event and its notices in one transaction; a refusal raises an `ActionError`
(with a message in Chinese) and changes nothing.

- `draw_sample` — an office supervisor of the General Office draws a sample of the
  office's completed items of a period (R-K1). The population is every item of the
  office with status completed or archived whose completion date (local day) falls
  within the period, that the supervisor may see (`Item.objects.visible_to`, R-C5) and
  is not recused from, in person or through their unit (R-C4: a recused person is
  never drawn to check an item). See `sampling` for how the sample is drawn.
- `record_check` — a supervisor of the office records the check of one drawn item:
  method (回访/复查), finding and result; a problem needs a rectification with a
  requirement and a deadline, which the lead unit's liaison and head are told of.
- `submit_rectification` — the lead unit's liaison or head reports the rectification.
- `decide_rectification` — the office accepts the report or returns it with a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.items import plausible
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.items.lights import start_of
from duban.items.models import Item, Recusal
from duban.items.states import Status
from duban.items.visibility import is_recused, is_visible_to
from duban.notify.outbox import notify
from duban.organisation.models import Role, UnitKind

from .models import (
    CheckMethod,
    CheckResult,
    Rectification,
    RectificationReport,
    RectificationStatus,
    ReportOutcome,
    SizeMethod,
    SpotCheck,
    SpotCheckDraw,
)
from .sampling import SEED_LIMIT, draw_sample_ids, new_seed, sample_size

TEXT_LIMIT = plausible.TEXT_LIMIT
CHECKED_STATUSES = (Status.COMPLETED, Status.ARCHIVED)

NOT_OFFICE = "只有党政办公室的督办员可以进行回访抽查。"
RECUSED_CHECKER = "您已登记回避该事项，不能对其进行抽查（回避人员不得参与抽查）。"


# ----------------------------------------------------------------------------- who may act


def may_spot_check(user: Any) -> bool:
    """Office supervisors of the General Office draw and check (R-K1)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.OFFICE_SUPERVISOR
        and user.unit_id is not None
        and user.unit.kind == UnitKind.GENERAL_OFFICE
    )


def is_rectifying_contact(user: Any, rectification: Rectification) -> bool:
    """The liaison or the head (第一责任人) of the unit that must put things right."""
    unit = rectification.unit
    return user.pk is not None and user.pk in (unit.liaison_id, unit.head_id)


def _check_office_checker(actor: Any, draw: SpotCheckDraw, item: Item) -> None:
    """The actor checks for the draw's office, is not recused and may see the item."""
    if not may_spot_check(actor) or actor.unit_id != draw.office_id:
        raise PermissionRefused(_(NOT_OFFICE))
    if is_recused(actor, item):
        raise PermissionRefused(_(RECUSED_CHECKER))
    if not is_visible_to(actor, item):
        raise PermissionRefused(_("您无权查看该事项，不能进行此操作。"))


def _required_text(value: str | None, field_name: str, label: str) -> str:
    return plausible.required_text(value, field_name, label, TEXT_LIMIT)


def _unit_contacts(rectification: Rectification) -> list[Any]:
    unit = rectification.unit
    return [unit.liaison, unit.head]


# ----------------------------------------------------------------------------- draw


def population_items(actor: Any, period_start: dt.date, period_end: dt.date) -> QuerySet[Item]:
    """The items a draw by `actor` over the period draws from, in id order."""
    recused = Recusal.objects.filter(item_id=OuterRef("pk")).filter(
        Q(person_id=actor.pk) | Q(unit_id=actor.unit_id)
    )
    return (
        Item.objects.visible_to(actor)
        .filter(
            supervising_office_id=actor.unit_id,
            status__in=CHECKED_STATUSES,
            completed_at__gte=start_of(period_start),
            completed_at__lt=start_of(period_end + dt.timedelta(days=1)),
        )
        # The visibility rule hides recused items already; said again here because it
        # is the rule of the draw (R-C4), whatever becomes of visibility.
        .exclude(Exists(recused))
        .order_by("pk")
    )


@transaction.atomic
def draw_sample(
    actor: Any,
    *,
    period_start: dt.date | None,
    period_end: dt.date | None,
    count: int | None = None,
    percentage: int | None = None,
    seed: int | None = None,
) -> SpotCheckDraw:
    """随机抽查: draw `count` items, or `percentage` per cent rounded up (R-K1)."""
    if not may_spot_check(actor):
        raise PermissionRefused(_(NOT_OFFICE))
    if period_start is None or period_end is None:
        raise InvalidInput(
            _("请填写抽查期间。"),
            errors={
                name: _("此项为必填项。")
                for name, value in (("period_start", period_start), ("period_end", period_end))
                if value is None
            },
        )
    if period_start > period_end:
        raise InvalidInput(
            _("抽查期间的起始日期不能晚于结束日期。"),
            errors={"period_end": _("结束日期不能早于起始日期。")},
        )
    if (count is None) == (percentage is None):
        raise InvalidInput(
            _("请填写抽取数量或抽取比例（二选一）。"),
            errors={"count": _("数量与比例只填一项。")},
        )
    if count is not None and count < 1:
        raise InvalidInput(_("抽取数量至少为1。"), errors={"count": _("至少为1。")})
    if percentage is not None and not 1 <= percentage <= 100:
        raise InvalidInput(
            _("抽取比例应在1%至100%之间。"), errors={"percentage": _("应在1至100之间。")}
        )
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise InvalidInput(
            _("随机种子应为0至%(limit)d之间的整数。") % {"limit": SEED_LIMIT - 1},
            errors={"seed": _("请填写较小的非负整数，或留空由系统生成。")},
        )

    population = list(
        population_items(actor, period_start, period_end).values_list("pk", flat=True)
    )
    if not population:
        raise InvalidInput(
            _("该期间没有可抽查的已办结事项。"),
            errors={"period_start": _("该期间没有可抽查的已办结事项。")},
        )
    size = sample_size(len(population), count=count, percentage=percentage)
    if size > len(population):
        raise InvalidInput(
            _("抽取数量（%(size)d）超过该期间可抽查的已办结事项数（%(total)d）。")
            % {"size": size, "total": len(population)},
            errors={"count": _("不能超过%(total)d。") % {"total": len(population)}},
        )
    if seed is None:
        seed = new_seed()
    sample = draw_sample_ids(seed, population, size)
    method, requested = (
        (SizeMethod.COUNT, count) if count is not None else (SizeMethod.PERCENTAGE, percentage)
    )
    assert requested is not None

    draw = SpotCheckDraw.objects.create(
        office_id=actor.unit_id,
        period_start=period_start,
        period_end=period_end,
        method_of_size=method,
        requested=requested,
        seed=seed,
        population=population,
        sample_size=size,
        drawn_by=actor,
        drawn_at=clock.now(),
    )
    SpotCheck.objects.bulk_create(
        SpotCheck(draw=draw, item_id=item_id, position=position)
        for position, item_id in enumerate(sample)
    )
    record(
        actor,
        "draw_spot_check",
        _("随机抽查：%(start)s至%(end)s办结的%(total)d项中抽取%(size)d项，随机种子%(seed)d")
        % {
            "start": period_start.isoformat(),
            "end": period_end.isoformat(),
            "total": len(population),
            "size": size,
            "seed": seed,
        },
        unit=actor.unit,
        data={
            "draw": draw.pk,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "method_of_size": draw.method_of_size,
            "requested": draw.requested,
            "seed": seed,
            "population": population,
            "sample": sample,
        },
    )
    return draw


# ----------------------------------------------------------------------------- checks


def _locked_check(spot_check: SpotCheck) -> SpotCheck:
    return (
        SpotCheck.objects.select_for_update(of=("self",))
        .select_related("draw", "item__lead_unit__liaison", "item__lead_unit__head")
        .get(pk=spot_check.pk)
    )


@transaction.atomic
def record_check(
    actor: Any,
    spot_check: SpotCheck,
    *,
    method: str,
    finding: str,
    result: str,
    rectification_deadline: dt.date | None = None,
    rectification_requirement: str = "",
) -> SpotCheck:
    """Record the check of one drawn item; a problem opens a rectification (R-K1)."""
    spot_check = _locked_check(spot_check)
    item = spot_check.item
    _check_office_checker(actor, spot_check.draw, item)
    if spot_check.is_recorded:
        raise StateRefused(_("该事项的抽查结果已经记录，不能重复记录。"))
    if method not in CheckMethod.values:
        raise InvalidInput(_("请选择抽查方式。"), errors={"method": _("请选择回访或复查。")})
    if result not in CheckResult.values:
        raise InvalidInput(_("请选择抽查结论。"), errors={"result": _("请选择抽查结论。")})
    finding = _required_text(finding, "finding", _("抽查情况"))
    requirement = plausible.clean_text(rectification_requirement)
    if result == CheckResult.PROBLEM:
        requirement = _required_text(requirement, "rectification_requirement", _("整改要求"))
        if rectification_deadline is None:
            raise InvalidInput(
                _("发现问题时须确定整改期限。"),
                errors={"rectification_deadline": _("请填写整改期限。")},
            )
        if rectification_deadline < clock.today():
            raise InvalidInput(
                _("整改期限不能早于今天。"),
                errors={"rectification_deadline": _("整改期限不能早于今天。")},
            )
        plausible.check_date_ahead(rectification_deadline, "rectification_deadline", _("整改期限"))
    elif requirement or rectification_deadline is not None:
        raise InvalidInput(
            _("未发现问题时无需填写整改要求和整改期限。"),
            errors={"rectification_requirement": _("结论为发现问题时才填写。")},
        )

    now = clock.now()
    spot_check.method = method
    spot_check.finding = finding
    spot_check.result = result
    spot_check.checked_by = actor
    spot_check.checked_at = now
    spot_check.save(update_fields=["method", "finding", "result", "checked_by", "checked_at"])
    record(
        actor,
        "record_spot_check",
        _("%(method)s：%(result)s。%(finding)s")
        % {
            "method": CheckMethod(method).label,
            "result": CheckResult(result).label,
            "finding": finding,
        },
        item=item,
        data={"draw": spot_check.draw_id, "spot_check": spot_check.pk, "result": result},
    )
    if result == CheckResult.PROBLEM:
        assert rectification_deadline is not None
        rectification = Rectification.objects.create(
            spot_check=spot_check,
            item=item,
            unit=item.lead_unit,
            requirement=requirement,
            deadline=rectification_deadline,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        record(
            actor,
            "require_rectification",
            _("抽查发现问题，要求%(unit)s于%(deadline)s前整改：%(requirement)s")
            % {
                "unit": item.lead_unit.name,
                "deadline": rectification_deadline.isoformat(),
                "requirement": requirement,
            },
            item=item,
            unit=item.lead_unit,
            data={
                "rectification": rectification.pk,
                "deadline": rectification_deadline.isoformat(),
            },
        )
        notify(
            _unit_contacts(rectification),
            item,
            _("抽查发现问题，请限期整改：%(title)s") % {"title": item.title},
            _("整改要求：%(requirement)s\n整改期限：%(deadline)s")
            % {"requirement": requirement, "deadline": rectification_deadline.isoformat()},
        )
    return spot_check


# ----------------------------------------------------------------------------- rectifications


def _locked_rectification(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related(
            "item", "unit__liaison", "unit__head", "spot_check__draw", "spot_check__checked_by"
        )
        .get(pk=rectification.pk)
    )


@transaction.atomic
def submit_rectification(
    actor: Any, rectification: Rectification, *, text: str
) -> RectificationReport:
    """The lead unit reports what it has put right; a returned one is reported again."""
    rectification = _locked_rectification(rectification)
    item = rectification.item
    if not is_visible_to(actor, item) or not is_rectifying_contact(actor, rectification):
        raise PermissionRefused(_("只有整改单位的联络员或第一责任人可以报送整改情况。"))
    if rectification.status not in (RectificationStatus.OPEN, RectificationStatus.RETURNED):
        raise StateRefused(
            _("整改当前状态为“%(status)s”，不能报送整改情况。")
            % {"status": RectificationStatus(rectification.status).label}
        )
    text = _required_text(text, "text", _("整改情况"))
    now = clock.now()
    report = RectificationReport.objects.create(
        rectification=rectification, text=text, submitted_by=actor, submitted_at=now
    )
    rectification.status = RectificationStatus.SUBMITTED
    rectification.updated_at = now
    rectification.save(update_fields=["status", "updated_at"])
    record(
        actor,
        "submit_rectification",
        _("报送整改情况：%(text)s") % {"text": text},
        item=item,
        unit=rectification.unit,
        data={"rectification": rectification.pk, "report": report.pk},
    )
    checker = rectification.spot_check.checked_by
    notify(
        [checker],
        item,
        _("整改情况待审核：%(title)s") % {"title": item.title},
        text,
    )
    return report


@transaction.atomic
def decide_rectification(
    actor: Any, rectification: Rectification, *, accept: bool, comment: str = ""
) -> Rectification:
    """The office accepts the reported rectification, or returns it with a reason."""
    rectification = _locked_rectification(rectification)
    item = rectification.item
    _check_office_checker(actor, rectification.spot_check.draw, item)
    if rectification.status != RectificationStatus.SUBMITTED:
        raise StateRefused(
            _("整改当前状态为“%(status)s”，没有待审核的整改情况。")
            % {"status": RectificationStatus(rectification.status).label}
        )
    comment = plausible.clean_text(comment)
    if not accept:
        comment = _required_text(comment, "comment", _("退回理由"))
    elif len(comment) > TEXT_LIMIT:
        comment = _required_text(comment, "comment", _("审核意见"))
    report = rectification.reports.order_by("-submitted_at", "-id").first()
    assert report is not None  # a submitted rectification has its report
    now = clock.now()
    report.outcome = ReportOutcome.ACCEPTED if accept else ReportOutcome.RETURNED
    report.comment = comment
    report.decided_by = actor
    report.decided_at = now
    report.save(update_fields=["outcome", "comment", "decided_by", "decided_at"])
    rectification.status = RectificationStatus.ACCEPTED if accept else RectificationStatus.RETURNED
    rectification.updated_at = now
    rectification.save(update_fields=["status", "updated_at"])
    if accept:
        summary = _("整改情况审核通过。%(comment)s") % {"comment": comment}
        title = _("整改情况已审核通过：%(title)s") % {"title": item.title}
    else:
        summary = _("整改情况退回，理由：%(comment)s") % {"comment": comment}
        title = _("整改情况被退回，请继续整改：%(title)s") % {"title": item.title}
    record(
        actor,
        "accept_rectification" if accept else "return_rectification",
        summary.strip(),
        item=item,
        unit=rectification.unit,
        data={"rectification": rectification.pk, "report": report.pk},
    )
    notify(_unit_contacts(rectification), item, title, comment)
    return rectification
