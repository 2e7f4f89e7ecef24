"""The one visibility rule (R-C5): may this person see this item?

Everything that shows items gets its rows from `Item.objects.visible_to(user)`, which
filters with `visible_items_filter`; `policy.check` asks `is_visible_to` before any
action, so a person who may not see an item cannot act on it either.

Who sees what:
- ordinary items: the supervising office's supervisors, every school leader, and the
  people of the lead and cooperating units;
- sensitive items (R-C1): the item's own supervisor, the heads and liaisons of the lead
  and cooperating units, and the leaders named on the item (named leaders and the
  leader whose decision established it);
- discipline items (R-C2): the staff of 纪委办公室/监察处 and the lead unit's head and
  liaison;
- classified items (R-C3), a registration only: the staff of 保密办公室 and the lead
  unit's head and liaison;
- a recusal (R-C4) of the person, or of the person's unit, hides the item whatever the
  role.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from duban.organisation.models import Role

from .models import Confidentiality, Item, Recusal

UNIT_PEOPLE = (Role.UNIT_HEAD, Role.LIAISON, Role.UNIT_MEMBER)


def _contact_of(prefix: str, user: Any) -> Q:
    """The person is the head or the liaison of the unit at `prefix`."""
    return Q(**{f"{prefix}__head_id": user.pk}) | Q(**{f"{prefix}__liaison_id": user.pk})


def visible_items_filter(user: Any) -> Q:
    nothing = Q(pk__in=[])
    # Not Q(): an empty Q vanishes when combined with |, taking "everything" with it.
    everything = Q(pk__isnull=False)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing

    through = Item.cooperating_units.through.objects
    lead_contact = _contact_of("lead_unit", user)
    cooperating_contact = Q(
        Exists(
            through.filter(item_id=OuterRef("pk")).filter(
                Q(unit__head_id=user.pk) | Q(unit__liaison_id=user.pk)
            )
        )
    )
    unit_people = nothing
    if user.role in UNIT_PEOPLE and user.unit_id:
        unit_people = Q(lead_unit_id=user.unit_id) | Q(
            Exists(through.filter(item_id=OuterRef("pk"), unit_id=user.unit_id))
        )
    office = nothing
    if user.role == Role.OFFICE_SUPERVISOR and user.unit_id:
        office = Q(supervising_office_id=user.unit_id)
    leader = user.role == Role.SCHOOL_LEADER
    named_leader = Q(deciding_leader_id=user.pk) | Q(
        Exists(Item.named_leaders.through.objects.filter(item_id=OuterRef("pk"), user_id=user.pk))
    )

    ordinary = Q(confidentiality=Confidentiality.ORDINARY) & (
        office | unit_people | (everything if leader else nothing)
    )
    sensitive = Q(confidentiality=Confidentiality.SENSITIVE) & (
        Q(supervisor_id=user.pk)
        | lead_contact
        | cooperating_contact
        | (named_leader if leader else nothing)
    )
    restricted = Q(confidentiality__in=(Confidentiality.DISCIPLINE, Confidentiality.CLASSIFIED)) & (
        office | lead_contact
    )

    recusals = Recusal.objects.filter(item_id=OuterRef("pk")).filter(
        Q(person_id=user.pk) | (Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[]))
    )
    return (ordinary | sensitive | restricted) & ~Q(Exists(recusals))


def is_visible_to(user: Any, item: Item) -> bool:
    return Item.objects.visible_to(user).filter(pk=item.pk).exists()


def is_recused(user: Any, item: Item) -> bool:
    return (
        Recusal.objects.filter(item=item)
        .filter(Q(person_id=user.pk) | (Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[])))
        .exists()
    )


def note_read(user: Any, item: Item, via: str) -> None:
    """Reading a restricted item (sensitive, discipline, classified) is audited."""
    if item.confidentiality == Confidentiality.ORDINARY:
        return
    from duban.audit.models import record

    record(
        user,
        "read_restricted",
        f"查阅{Confidentiality(item.confidentiality).label}事项{item.ledger_number}（{via}）",
        item=item,
        data={"via": via},
    )
