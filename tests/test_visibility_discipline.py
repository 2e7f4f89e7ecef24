"""R-C2: a discipline item is supervised by 纪委办公室/监察处 and seen by its staff and
the lead unit, not by the General Office or the school leaders."""

from __future__ import annotations

from duban.items.models import Item
from duban.organisation.models import Role, Unit, UnitKind

from .conftest import Org, establish, make_person


def test_r_c2_discipline_item_is_seen_only_by_its_office_and_lead_unit(org: Org) -> None:
    discipline_office = Unit.objects.create(
        code="0150", name="纪委办公室/监察处", kind=UnitKind.DISCIPLINE_OFFICE
    )
    discipline_supervisor = make_person(
        "discipline_supervisor", Role.OFFICE_SUPERVISOR, discipline_office, "纪委督办员"
    )
    ordinary = establish(org)
    from duban.items import actions
    from tests.conftest import meeting_input

    discipline = actions.establish_item(
        discipline_supervisor,
        meeting_input(org, confidentiality="discipline", cooperating_units=[]),
    )
    assert discipline.supervising_office == discipline_office

    def visible(person: object) -> set[int]:
        return set(Item.objects.visible_to(person).values_list("pk", flat=True))

    assert visible(discipline_supervisor) == {discipline.pk}
    assert visible(org.office_supervisor) == {ordinary.pk}
    assert visible(org.leader_in_charge) == {ordinary.pk}
    assert visible(org.lead_liaison) == {ordinary.pk, discipline.pk}
    assert visible(org.lead_head) == {ordinary.pk, discipline.pk}
    assert visible(org.other_unit_liaison) == set()
