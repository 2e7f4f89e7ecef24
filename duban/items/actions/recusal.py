"""Recusal (回避, R-C4): a person or a unit with an interest in an item is recorded,
with the reason and who declared it. From then on the visibility rule hides the item
from them, which also bars every action and approval (policy.check asks it)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.organisation.models import Unit

from .. import policy
from ..errors import InvalidInput, PermissionRefused
from ..models import Item, Recusal
from ..visibility import is_visible_to
from .core import _locked, _required_text


def may_declare_recusal(user: Any, item: Item) -> bool:
    """The item's supervising office records recusals; anyone who sees an item may
    declare their own."""
    return policy.is_active_person(user) and is_visible_to(user, item)


@transaction.atomic
def declare_recusal(
    actor: Any, item: Item, *, reason: str, person: Any = None, unit: Unit | None = None
) -> Recusal:
    item = _locked(item)
    if not may_declare_recusal(actor, item):
        raise PermissionRefused(_(policy.NOT_VISIBLE))
    if (person is None) == (unit is None):
        raise InvalidInput(
            _("请选择回避的人员或单位（二选一）。"), errors={"person": _("请选择人员或单位。")}
        )
    declaring_self = person is not None and person.pk == actor.pk
    if not declaring_self and not policy.is_office_supervisor_of(actor, item):
        raise PermissionRefused(_("只有本事项的督办部门督办员可以登记他人或单位回避。"))
    if unit is not None and unit.pk == item.lead_unit_id:
        raise InvalidInput(
            _("承办单位需要回避时，请先重新确定承办单位。"),
            errors={"unit": _("不能登记承办单位回避。")},
        )
    reason = _required_text(reason, "reason", _("回避理由"))
    if item.recusals.filter(person=person, unit=unit).exists():
        raise InvalidInput(_("已登记过该回避。"))
    recusal = Recusal.objects.create(
        item=item,
        person=person,
        unit=unit,
        reason=reason,
        declared_by=actor,
        created_at=clock.now(),
    )
    who = unit.name if unit is not None else str(person)
    record(
        actor,
        "declare_recusal",
        _("登记回避：%(who)s，理由：%(reason)s") % {"who": who, "reason": reason},
        item=item,
        unit=unit,
        data={"person": person.pk if person else None, "unit": unit.pk if unit else None},
    )
    return recusal


def recused_units(item: Item) -> list[Unit]:
    """Units recused from the item that are named on it — the office is warned (R-C4)."""
    named = [item.lead_unit_id, *item.cooperating_units.values_list("pk", flat=True)]
    return list(Unit.objects.filter(recusals__item=item, pk__in=named))
