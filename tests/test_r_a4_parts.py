"""R-A4 (分办): the lead unit divides the work among the cooperating units, each part with
its own date no later than the item's deadline; the cooperating unit signs for and
reports on its part (R-F1); the lead unit urges it (recorded, counted apart); parts have
lights and climb the reminder ladder; they are flagged when the deadline moves before
them and close with the item. Each rule in the API and the pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.api.tokens import issue_token
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.items.models import FeedbackKind, Item, Notice, PartStatus, Urge, WorkPart
from duban.items.parts import item_parts
from duban.items.sweep import run_sweep
from duban.items.urges import counted_urges, part_urges
from duban.organisation.models import User

from .conftest import Org, advance, establish
from .test_authorization_matrix import differences, state

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)  # a Tuesday
DEADLINE = dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def september() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def item(org: Org) -> Item:
    item = establish(
        org,
        minutes_deadline=DEADLINE,
        cooperating_units=[org.cooperating_unit, org.other_unit],
    )
    return advance(org, item, "in_progress")


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_token(user)[0]}"})


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def divide(org: Org, item: Item, unit: Any = None, day: dt.date = dt.date(2026, 9, 20)) -> WorkPart:
    return actions.divide_item(
        org.lead_liaison,
        item,
        unit=unit or org.cooperating_unit,
        task="提供近三年人才引进数据",
        deadline=day,
    )


# ----------------------------------------------------------------------------- dividing


def test_r_a4_lead_liaison_divides_by_api_and_the_cooperating_unit_is_told(
    org: Org, item: Item
) -> None:
    client = api(org.lead_liaison)
    response = post_json(
        client,
        f"/api/v1/items/{item.pk}/parts",
        {"unit": org.cooperating_unit.pk, "task": "提供人才引进数据", "deadline": "2026-09-20"},
    )
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert (body["unit"], body["deadline"], body["status"], body["light"]) == (
        "人事处",
        "2026-09-20",
        "assigned",
        "green",
    )
    assert set(body["allowed_actions"]) == {"redate_part", "urge_part"}
    part = WorkPart.objects.get()
    assert AuditEvent.objects.filter(item=item, verb="divide").count() == 1
    told = Notice.objects.filter(item=item, title__startswith="承办单位分办了工作")
    assert {notice.recipient for notice in told} == {org.cooperating_liaison, org.cooperating_head}
    assert part.created_by == org.lead_liaison


def test_r_a4_part_date_not_after_deadline(org: Org, item: Item) -> None:
    client, lead_page = api(org.lead_liaison), page(org.lead_liaison)
    before = state()
    response = post_json(
        client,
        f"/api/v1/items/{item.pk}/parts",
        {"unit": org.cooperating_unit.pk, "task": "提供数据", "deadline": "2026-10-01"},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "分工的完成时限2026-10-01晚于事项的办结时限2026-09-30。"
    assert response.json()["errors"] == {"deadline": "不能晚于事项的办结时限。"}
    # The page says the same, keeps what was typed, and creates nothing either.
    response = lead_page.post(
        reverse("item-part-divide", args=[item.pk]),
        {"unit": org.cooperating_unit.pk, "task": "提供数据", "deadline": "2026-10-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "晚于事项的办结时限2026-09-30" in html
    assert "提供数据" in html
    assert not WorkPart.objects.exists()
    assert differences(before, state()) == []


def test_r_a4_only_a_cooperating_unit_gets_a_part(org: Org, item: Item) -> None:
    from duban.organisation.models import Unit

    stranger = Unit.objects.create(code="0900", name="研究生院", kind="department")
    with pytest.raises(InvalidInput) as refused:
        divide(org, item, unit=stranger)
    assert refused.value.message == "只能分办给本事项的配合单位。"
    assert not WorkPart.objects.exists()


def test_r_a4_the_office_and_cooperating_units_do_not_divide(org: Org, item: Item) -> None:
    for person in (org.office_supervisor, org.cooperating_liaison):
        client = api(person)
        before = state()
        response = post_json(
            client,
            f"/api/v1/items/{item.pk}/parts",
            {"unit": org.cooperating_unit.pk, "task": "数据", "deadline": "2026-09-20"},
        )
        assert response.status_code == 403
        assert response.json()["message"] == "只有承办单位的联络员或第一责任人可以分办。"
        assert not WorkPart.objects.exists()
        assert differences(before, state()) == []


# ----------------------------------------------------------------------------- acting on parts


def test_r_a4_cooperating_unit_signs_and_reports_its_part_as_a_contribution(
    org: Org, item: Item
) -> None:
    part = divide(org, item)
    client = api(org.cooperating_liaison)
    signed = post_json(client, f"/api/v1/items/{item.pk}/parts/{part.pk}/sign")
    assert signed.status_code == 200, signed.content.decode()
    assert signed.json()["status"] == "signed"
    reported = post_json(
        client, f"/api/v1/items/{item.pk}/parts/{part.pk}/report", {"text": "数据已整理报送。"}
    )
    assert reported.status_code == 200, reported.content.decode()
    assert (reported.json()["status"], reported.json()["light"]) == ("reported", "grey")
    contribution = item.feedback.get(kind=FeedbackKind.CONTRIBUTION)
    assert (contribution.part, contribution.unit, contribution.text) == (
        part,
        org.cooperating_unit,
        "数据已整理报送。",
    )
    # The lead unit's completion report includes it (R-F1).
    report = actions.draft_completion_report(org.lead_liaison, item, "全部完成")
    assert list(report.contributions.all()) == [contribution]


def test_r_a4_cooperating_unit_cannot_act_on_another_units_part(org: Org, item: Item) -> None:
    theirs = divide(org, item, unit=org.other_unit)
    client, coop_page = api(org.cooperating_liaison), page(org.cooperating_liaison)
    before = state()
    for action, body in (("sign", {}), ("report", {"text": "冒名报送"})):
        response = post_json(client, f"/api/v1/items/{item.pk}/parts/{theirs.pk}/{action}", body)
        assert response.status_code == 404
        assert response.json()["message"] == "分工不存在。"
    response = coop_page.post(reverse("item-part-action", args=[item.pk, theirs.pk, "sign_part"]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PartStatus.ASSIGNED
    assert differences(before, state()) == []


def test_r_a4_cooperating_unit_cannot_take_the_lead_steps(org: Org, item: Item) -> None:
    part = divide(org, item)
    client = api(org.cooperating_liaison)
    before = state()
    urged = post_json(
        client, f"/api/v1/items/{item.pk}/parts/{part.pk}/urge", {"channel": "phone", "note": "x"}
    )
    assert urged.status_code == 403
    assert urged.json()["message"] == "只有承办单位的联络员或第一责任人可以催办配合单位。"
    redated = post_json(
        client, f"/api/v1/items/{item.pk}/parts/{part.pk}/redate", {"deadline": "2026-09-25"}
    )
    assert redated.status_code == 403
    feedback = post_json(client, f"/api/v1/items/{item.pk}/feedback", {"text": "进展"})
    assert feedback.status_code == 403  # nor the item's own lead steps
    assert differences(before, state()) == []


def test_r_a4_the_office_sees_the_division_but_does_not_act(org: Org, item: Item) -> None:
    part = divide(org, item)
    listed = api(org.office_supervisor).get(f"/api/v1/items/{item.pk}/parts")
    assert listed.status_code == 200
    assert [(row["unit"], row["allowed_actions"]) for row in listed.json()] == [("人事处", [])]
    with pytest.raises(PermissionRefused):
        actions.urge_part(org.office_supervisor, part, channel="phone", note="电话")
    html = page(org.office_supervisor).get(reverse("item-detail", args=[item.pk])).content.decode()
    assert "提供近三年人才引进数据" in html
    assert reverse("item-part-action", args=[item.pk, part.pk, "urge_part"]) not in html


# ----------------------------------------------------------------------------- urging


def test_r_a4_lead_urges_cooperating_unit_recorded(org: Org, item: Item) -> None:
    part = divide(org, item)
    response = post_json(
        api(org.lead_head),
        f"/api/v1/items/{item.pk}/parts/{part.pk}/urge",
        {"channel": "phone", "note": "电话催促尽快报送数据"},
    )
    assert response.status_code == 200, response.content.decode()
    urge = Urge.objects.get(part=part)
    assert (urge.unit, urge.urged_by, urge.channel, urge.note) == (
        org.cooperating_unit,
        org.lead_head,
        "phone",
        "电话催促尽快报送数据",
    )
    told = Notice.objects.filter(item=item, title__startswith="承办单位催办")
    assert {notice.recipient for notice in told} == {org.cooperating_liaison, org.cooperating_head}
    # Counted apart: not an urge of the office against any unit.
    assert list(part_urges()) == [urge]
    assert not counted_urges().filter(pk=urge.pk).exists()
    assert AuditEvent.objects.filter(item=item, verb="urge_part").count() == 1


def test_r_a4_an_urge_by_page(org: Org, item: Item) -> None:
    part = divide(org, item)
    response = page(org.lead_liaison).post(
        reverse("item-part-action", args=[item.pk, part.pk, "urge_part"]),
        {"channel": "system", "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Urge.objects.get(part=part).note.startswith("请抓紧办理教务处分办的工作")


# ----------------------------------------------------------------------------- lights, ladder


def test_r_a4_parts_have_lights_on_their_own_date(org: Org, item: Item, september: Any) -> None:
    part = divide(org, item, day=dt.date(2026, 9, 10))
    assert item_parts(item, dt.date(2026, 9, 1)).get().light == "green"
    assert item_parts(item, dt.date(2026, 9, 7)).get().light == "yellow"
    assert item_parts(item, dt.date(2026, 9, 10)).get().light == "yellow"
    assert item_parts(item, dt.date(2026, 9, 11)).get().light == "red"
    assert part.pk


def test_r_a4_the_sweep_reminds_the_cooperating_unit_on_the_ladder(
    org: Org, item: Item, september: Any
) -> None:
    part = divide(org, item, day=dt.date(2026, 9, 10))  # a Thursday
    sent: dict[str, list[str]] = {}
    for day in (7, 10, 11, 14, 16):
        moment = dt.datetime(2026, 9, day, 9, 0, tzinfo=SHANGHAI)
        september.move_to(moment)
        for notice in run_sweep(moment).notices:
            if notice.step.startswith("part"):
                sent.setdefault(notice.step, []).extend(notice.recipients)
    prefix = f"part{part.pk}-"
    assert sent == {
        f"{prefix}deadline-3@2026-09-10": ["郑联络", "吴处长"],
        f"{prefix}deadline-0@2026-09-10": ["郑联络", "吴处长"],
        # Overdue: the lead unit's liaison is copied.
        f"{prefix}overdue-1@2026-09-10": ["郑联络", "吴处长", "周联络"],
        f"{prefix}overdue-4@2026-09-10": ["郑联络", "吴处长", "周联络"],
    }
    # Each step once, however often the sweep runs.
    assert run_sweep(dt.datetime(2026, 9, 16, 9, 0, tzinfo=SHANGHAI)).sent == 0
    # The page says each step in words, never its key.
    html = page(org.lead_liaison).get(reverse("item-detail", args=[item.pk])).content.decode()
    assert "系统自动提醒（分工超期4个工作日催办（时限2026-09-10））" in html
    assert f"{prefix}overdue" not in html
    event = AuditEvent.objects.filter(item=item, verb="reminder").last()
    assert event is not None and "分工超期4个工作日催办" in event.summary


# ----------------------------------------------------------------------------- deadline, closing


def test_r_a4_a_part_past_a_moved_deadline_is_flagged_for_redating(org: Org, item: Item) -> None:
    part = divide(org, item, day=dt.date(2026, 9, 25))
    actions.change_item(
        org.office_supervisor, item, reason="会议决定提前", deadline=dt.date(2026, 9, 18)
    )
    part.refresh_from_db()
    assert part.needs_redate is True
    response = post_json(
        api(org.lead_liaison),
        f"/api/v1/items/{item.pk}/parts/{part.pk}/redate",
        {"deadline": "2026-09-17"},
    )
    assert response.status_code == 200, response.content.decode()
    assert (response.json()["deadline"], response.json()["needs_redate"]) == ("2026-09-17", False)


def test_r_a4_parts_close_with_the_item_and_take_no_more_reports(org: Org, item: Item) -> None:
    part = divide(org, item)
    actions.sign_part(org.cooperating_liaison, part)
    actions.terminate_item(
        org.office_supervisor,
        item,
        decision_kind="leader",
        leader=org.leader_in_charge,
        basis="王校长批示",
        reason="上级政策调整",
    )
    part.refresh_from_db()
    assert part.status == PartStatus.CLOSED
    client = api(org.cooperating_liaison)
    before = state()
    response = post_json(
        client,
        f"/api/v1/items/{item.pk}/parts/{part.pk}/report",
        {"text": "迟到的报送"},
    )
    assert response.status_code == 409
    assert response.json()["message"] == "该分工已关闭，不能再办理。"
    with pytest.raises(StateRefused):
        actions.report_part(org.cooperating_liaison, part, "再试一次")
    assert not item.feedback.filter(kind=FeedbackKind.CONTRIBUTION).exists()
    assert differences(before, state()) == []


def test_r_a4_the_page_divides_and_the_cooperating_unit_signs_and_reports(
    org: Org, item: Item
) -> None:
    lead = page(org.lead_liaison)
    html = lead.get(reverse("item-detail", args=[item.pk])).content.decode()
    assert "分办" in html
    response = lead.post(
        reverse("item-part-divide", args=[item.pk]),
        {"unit": org.cooperating_unit.pk, "task": "提供人才引进数据", "deadline": "2026-09-20"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    part = WorkPart.objects.get()
    coop = page(org.cooperating_liaison)
    assert (
        coop.post(reverse("item-part-action", args=[item.pk, part.pk, "sign_part"])).status_code
        == 302
    )
    response = coop.post(
        reverse("item-part-action", args=[item.pk, part.pk, "report_part"]), {"text": "已报送。"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    part.refresh_from_db()
    assert part.status == PartStatus.REPORTED
    html = lead.get(reverse("item-detail", args=[item.pk])).content.decode()
    assert "已报送" in html and "提供人才引进数据" in html


def test_r_a4_the_item_page_queries_do_not_grow_with_parts(org: Org, item: Item) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = page(org.lead_liaison)
    counts = []
    for _round in range(2):
        divide(org, item)
        divide(org, item, unit=org.other_unit)
        client.get(reverse("item-detail", args=[item.pk]))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("item-detail", args=[item.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts  # 2 parts and 4 parts: the same queries


def test_r_a4_parts_count_in_the_cooperation_figures_never_in_the_completion_rate(
    org: Org, item: Item, september: Any
) -> None:
    from duban.reports import figures

    on_time = divide(org, item, day=dt.date(2026, 9, 10))
    late = divide(org, item, unit=org.other_unit, day=dt.date(2026, 9, 10))
    early = divide(org, item, unit=org.other_unit, day=dt.date(2026, 9, 25))
    actions.sign_part(org.cooperating_liaison, on_time)
    september.move_to(dt.datetime(2026, 9, 9, 10, 0, tzinfo=SHANGHAI))
    actions.report_part(org.cooperating_liaison, on_time, "按期报送。")
    # The other unit never reports; from the day after its date it is late.
    september.move_to(dt.datetime(2026, 9, 11, 10, 0, tzinfo=SHANGHAI))

    def counts(unit: Any) -> dict[str, int]:
        table = figures.compute_assessment(
            org.office_supervisor, item.year, figures.assessment_units(org.office_supervisor)
        )
        return next(row.counts for row in table.rows if row.unit == unit)

    coop, other, lead = counts(org.cooperating_unit), counts(org.other_unit), counts(item.lead_unit)
    assert (coop["parts_on_time"], coop["parts_late"]) == (1, 0)
    assert (other["parts_on_time"], other["parts_late"]) == (0, 1)
    # The completion rate is the lead unit's own: parts neither lead nor complete an item.
    assert (coop["led"], other["led"], lead["led"]) == (0, 0, 1)
    assert (lead["parts_on_time"], lead["parts_late"]) == (0, 0)
    # Each number opens on exactly its parts.
    rows = figures.figure_rows(
        org.office_supervisor, item.year, org.other_unit.pk, "parts_late", dt.date(2026, 9, 11)
    )
    assert list(rows) == [late]
    # Closed with the item before its date, an unreported part is not late; one closed
    # after its date stays late.
    actions.terminate_item(
        org.office_supervisor,
        item,
        decision_kind="leader",
        leader=org.leader_in_charge,
        basis="王校长批示",
        reason="上级政策调整",
    )
    september.move_to(dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))
    early.refresh_from_db()
    assert early.status == PartStatus.CLOSED
    assert counts(org.other_unit)["parts_late"] == 1  # still only the first part
    assert list(
        figures.figure_rows(org.office_supervisor, item.year, org.other_unit.pk, "parts_late")
    ) == [late]
