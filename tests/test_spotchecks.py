"""Spot checks (R-K1): reproducible draws, checks, rectifications, and their pages.

Recusal (R-C4): a recused person is never drawn to check an item — the item is left
out of their draw's population, and they may not record its check.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.items import actions as item_actions
from duban.items.errors import ActionError, InvalidInput, PermissionRefused, StateRefused
from duban.items.models import Item, Notice
from duban.organisation.models import Role, User
from duban.spotchecks import actions
from duban.spotchecks.models import (
    Rectification,
    RectificationReport,
    SpotCheck,
    SpotCheckDraw,
)
from duban.spotchecks.queries import annotate_rectification_lights
from duban.spotchecks.sampling import draw_sample_ids, sample_size

from .conftest import Org, advance, establish, make_person

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH_START = dt.date(2026, 3, 1)
MARCH_END = dt.date(2026, 3, 31)
APRIL_MONDAY = dt.date(2026, 4, 13)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False) as moving:
        yield moving


def at(traveller: Any, day: dt.date, hour: int = 10, minute: int = 0) -> None:
    traveller.move_to(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI))


def completed(
    org: Org, traveller: Any, day: dt.date, count: int = 1, **overrides: Any
) -> list[Item]:
    """`count` items established and completed on `day` through the real actions."""
    at(traveller, day)
    return [
        advance(org, establish(org, title=f"事项{day:%m%d}-{n}", **overrides), "completed")
        for n in range(count)
    ]


def march_items(org: Org, traveller: Any, count: int) -> list[Item]:
    items: list[Item] = []
    for n in range(count):
        items += completed(org, traveller, dt.date(2026, 3, 2 + n % 20))
    at(traveller, APRIL_MONDAY)
    return sorted(items, key=lambda item: item.pk)


def second_supervisor(org: Org) -> User:
    return make_person("office_supervisor_2", Role.OFFICE_SUPERVISOR, org.office, "李督办")


def draw(org: Org, actor: User | None = None, **size: Any) -> SpotCheckDraw:
    return actions.draw_sample(
        actor or org.office_supervisor, period_start=MARCH_START, period_end=MARCH_END, **size
    )


def sample_of(spot_check_draw: SpotCheckDraw) -> list[int]:
    return list(spot_check_draw.checks.order_by("position").values_list("item_id", flat=True))


def counts() -> dict[str, int]:
    return {
        "draws": SpotCheckDraw.objects.count(),
        "checks": SpotCheck.objects.count(),
        "rectifications": Rectification.objects.count(),
        "reports": RectificationReport.objects.count(),
        # Signing in is audited too; only the spot checks' own events count here.
        "events": AuditEvent.objects.exclude(verb="login").count(),
        "notices": Notice.objects.count(),
    }


def check_fields(check: SpotCheck) -> tuple[Any, ...]:
    check.refresh_from_db()
    return (check.method, check.finding, check.result, check.checked_by_id, check.checked_at)


# ----------------------------------------------------------------------------- sampling


def test_r_k1_the_sampling_rule_is_plain_python() -> None:
    assert draw_sample_ids(7, list(range(101, 111)), 3) == [106, 103, 107]
    assert draw_sample_ids(7, list(range(101, 111)), 3) == random.Random(7).sample(
        list(range(101, 111)), 3
    )
    # A percentage is rounded up, so any population gives at least one item.
    assert sample_size(23, count=None, percentage=10) == 3
    assert sample_size(20, count=None, percentage=10) == 2
    assert sample_size(1, count=None, percentage=1) == 1
    assert sample_size(30, count=None, percentage=100) == 30
    assert sample_size(30, count=4, percentage=None) == 4


# ----------------------------------------------------------------------------- draws


def test_r_k1_a_ten_percent_draw_takes_the_ceiling(org: Org, traveller: Any) -> None:
    items = march_items(org, traveller, 23)
    taken = draw(org, percentage=10, seed=20260701)
    assert taken.population == [item.pk for item in items]
    assert taken.sample_size == 3  # ceil(23 × 10%)
    assert (taken.method_of_size, taken.requested, taken.seed) == ("percentage", 10, 20260701)
    assert (taken.drawn_by, taken.office) == (org.office_supervisor, org.office)
    assert sample_of(taken) == random.Random(20260701).sample(taken.population, 3)
    event = AuditEvent.objects.get(verb="draw_spot_check")
    assert event.actor == org.office_supervisor
    assert event.data["seed"] == 20260701
    assert event.data["population"] == taken.population
    assert event.data["sample"] == sample_of(taken)
    assert "23项中抽取3项" in event.summary


def test_r_k1_the_same_seed_and_population_give_the_same_sample(org: Org, traveller: Any) -> None:
    items = march_items(org, traveller, 10)
    ids = [item.pk for item in items]
    first = draw(org, count=3, seed=20260701)
    again = draw(org, count=3, seed=20260701)
    other = draw(org, count=3, seed=20260702)
    # random.Random(20260701).sample(10 ids, 3) takes the 5th, 1st and 3rd ids;
    # seed 20260702 the 3rd, 2nd and 9th.
    assert sample_of(first) == [ids[4], ids[0], ids[2]]
    assert sample_of(again) == sample_of(first)
    assert sample_of(other) == [ids[2], ids[1], ids[8]]
    assert first.population == again.population == other.population == ids


def test_r_k1_a_seed_is_generated_and_stored_when_none_is_given(org: Org, traveller: Any) -> None:
    march_items(org, traveller, 5)
    taken = draw(org, count=2)
    taken.refresh_from_db()
    assert 0 <= taken.seed < 10**12
    assert sample_of(taken) == draw_sample_ids(taken.seed, taken.population, 2)


def test_r_k1_only_completed_items_of_the_period_by_local_date(org: Org, traveller: Any) -> None:
    inside = completed(org, traveller, dt.date(2026, 3, 10))[0]
    at(traveller, dt.date(2026, 2, 27))
    before = advance(org, establish(org, title="二月办结"), "completed")
    # 23:30 on 31 March, Shanghai time, is still March; 00:10 on 1 April is not, though
    # both are 31 March in UTC.
    at(traveller, MARCH_END, 23, 30)
    last_evening = advance(org, establish(org, title="月末深夜办结"), "completed")
    at(traveller, dt.date(2026, 4, 1), 0, 10)
    after = advance(org, establish(org, title="四月办结"), "completed")
    at(traveller, dt.date(2026, 3, 12))
    in_progress = advance(org, establish(org, title="办理中"), "in_progress")
    submitted = advance(org, establish(org, title="已报结"), "submitted")
    established = establish(org, title="已立项")
    at(traveller, APRIL_MONDAY)
    taken = draw(org, percentage=100)
    assert taken.population == sorted([inside.pk, last_evening.pk])
    for item in (before, after, in_progress, submitted, established):
        assert item.pk not in taken.population


def test_r_c4_a_recused_supervisor_never_draws_the_item(org: Org, traveller: Any) -> None:
    colleague = second_supervisor(org)
    items = march_items(org, traveller, 4)
    recused_in_person, recused_by_unit_member = items[0], items[1]
    item_actions.declare_recusal(
        colleague, recused_in_person, reason="配偶在承办单位任职", person=org.office_supervisor
    )
    # A unit recused from an item: every person of it is left out.
    item_actions.declare_recusal(
        colleague, recused_by_unit_member, reason="本办曾参与办理", unit=org.cooperating_unit
    )
    own = draw(org, percentage=100)
    assert own.population == [items[1].pk, items[2].pk, items[3].pk]
    theirs = draw(org, colleague, percentage=100)
    assert theirs.population == [item.pk for item in items]


def test_r_k1_refusals_change_nothing(org: Org, traveller: Any) -> None:
    refused: pytest.ExceptionInfo[ActionError]
    march_items(org, traveller, 3)
    before = counts()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"count": 4}, "抽取数量（4）超过该期间可抽查的已办结事项数（3）。"),
        ({}, "请填写抽取数量或抽取比例（二选一）。"),
        ({"count": 1, "percentage": 10}, "请填写抽取数量或抽取比例（二选一）。"),
        ({"count": 0}, "抽取数量至少为1。"),
        ({"percentage": 101}, "抽取比例应在1%至100%之间。"),
        ({"count": 1, "seed": -1}, "随机种子应为0至999999999999之间的整数。"),
    ]
    for size, message in cases:
        with pytest.raises(InvalidInput) as refused:
            draw(org, **size)
        assert refused.value.message == message
    with pytest.raises(InvalidInput) as refused:
        actions.draw_sample(
            org.office_supervisor, period_start=MARCH_END, period_end=MARCH_START, count=1
        )
    assert refused.value.message == "抽查期间的起始日期不能晚于结束日期。"
    with pytest.raises(InvalidInput) as refused:
        actions.draw_sample(
            org.office_supervisor,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            percentage=10,
        )
    assert refused.value.message == "该期间没有可抽查的已办结事项。"
    for person in (org.lead_liaison, org.leader_in_charge, org.system_admin):
        with pytest.raises(PermissionRefused) as refused:
            draw(org, person, count=1)
        assert refused.value.message == "只有党政办公室的督办员可以进行回访抽查。"
    assert counts() == before


# ----------------------------------------------------------------------------- checks


@pytest.fixture
def drawn(org: Org, traveller: Any) -> SpotCheckDraw:
    march_items(org, traveller, 3)
    return draw(org, percentage=100, seed=1)


def test_r_k1_an_ok_check_is_recorded_on_the_item(org: Org, drawn: SpotCheckDraw) -> None:
    check = drawn.checks.order_by("position").first()
    assert check is not None
    notices = Notice.objects.count()
    actions.record_check(
        org.office_supervisor, check, method="revisit", finding="电话回访，已落实。", result="ok"
    )
    check.refresh_from_db()
    assert (check.method, check.finding, check.result) == ("revisit", "电话回访，已落实。", "ok")
    assert check.checked_by == org.office_supervisor
    assert check.checked_at == dt.datetime(2026, 4, 13, 10, tzinfo=SHANGHAI)
    assert not Rectification.objects.exists()
    assert Notice.objects.count() == notices
    event = check.item.events.get(verb="record_spot_check")
    assert event.summary == "回访：未发现问题。电话回访，已落实。"


def test_r_k1_a_problem_opens_a_rectification_and_tells_the_lead_unit(
    org: Org, drawn: SpotCheckDraw
) -> None:
    check = drawn.checks.order_by("position").first()
    assert check is not None
    actions.record_check(
        org.office_supervisor,
        check,
        method="review",
        finding="复查发现制度未印发。",
        result="problem",
        rectification_deadline=dt.date(2026, 4, 30),
        rectification_requirement="4月底前印发制度文件。",
    )
    rectification = Rectification.objects.get()
    assert rectification.spot_check == check
    assert (rectification.item, rectification.unit) == (check.item, org.lead_unit)
    assert rectification.deadline == dt.date(2026, 4, 30)
    assert rectification.requirement == "4月底前印发制度文件。"
    assert rectification.status == "open"
    notices = Notice.objects.filter(title__startswith="抽查发现问题")
    assert sorted(notice.recipient.username for notice in notices) == ["lead_head", "lead_liaison"]
    assert all(notice.item == check.item for notice in notices)
    assert "整改期限：2026-04-30" in notices[0].body
    assert list(check.item.events.filter(verb__contains="spot_check").values_list("verb")) == [
        ("record_spot_check",)
    ]
    assert check.item.events.filter(verb="require_rectification").count() == 1


def test_r_k1_refused_checks_change_nothing(org: Org, drawn: SpotCheckDraw) -> None:
    refused: pytest.ExceptionInfo[ActionError]
    check = drawn.checks.order_by("position").first()
    assert check is not None
    fields = check_fields(check)
    before = counts()
    problem = {"method": "review", "finding": "发现问题", "result": "problem"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**problem, "rectification_requirement": "整改"}, "发现问题时须确定整改期限。"),
        (
            {
                **problem,
                "rectification_requirement": "整改",
                "rectification_deadline": dt.date(2026, 4, 12),
            },
            "整改期限不能早于今天。",
        ),
        ({**problem, "rectification_deadline": dt.date(2026, 4, 30)}, "请填写整改要求。"),
        ({"method": "review", "finding": " ", "result": "ok"}, "请填写抽查情况。"),
        ({"method": "call", "finding": "x", "result": "ok"}, "请选择抽查方式。"),
        ({"method": "review", "finding": "x", "result": ""}, "请选择抽查结论。"),
        (
            {"method": "review", "finding": "x", "result": "ok", "rectification_requirement": "y"},
            "未发现问题时无需填写整改要求和整改期限。",
        ),
    ]
    for arguments, message in cases:
        with pytest.raises(InvalidInput) as refused:
            actions.record_check(org.office_supervisor, check, **arguments)
        assert refused.value.message == message
    with pytest.raises(PermissionRefused) as refused:
        actions.record_check(org.lead_liaison, check, method="review", finding="x", result="ok")
    assert refused.value.message == "只有党政办公室的督办员可以进行回访抽查。"
    assert check_fields(check) == fields
    assert counts() == before


def test_r_c4_a_recused_checker_is_refused(org: Org, drawn: SpotCheckDraw) -> None:
    colleague = second_supervisor(org)
    check = drawn.checks.order_by("position").first()
    assert check is not None
    item_actions.declare_recusal(
        colleague, check.item, reason="近亲属关系", person=org.office_supervisor
    )
    fields = check_fields(check)
    before = counts()
    with pytest.raises(PermissionRefused) as refused:
        actions.record_check(
            org.office_supervisor, check, method="revisit", finding="x", result="ok"
        )
    assert refused.value.message == "您已登记回避该事项，不能对其进行抽查（回避人员不得参与抽查）。"
    assert check_fields(check) == fields
    assert counts() == before
    # A colleague who is not recused checks it.
    actions.record_check(colleague, check, method="revisit", finding="已落实", result="ok")
    assert check_fields(check)[3] == colleague.pk


def test_r_k1_a_check_is_recorded_once(org: Org, drawn: SpotCheckDraw) -> None:
    check = drawn.checks.order_by("position").first()
    assert check is not None
    actions.record_check(org.office_supervisor, check, method="revisit", finding="好", result="ok")
    fields = check_fields(check)
    before = counts()
    with pytest.raises(StateRefused) as refused:
        actions.record_check(
            org.office_supervisor, check, method="review", finding="再查", result="ok"
        )
    assert refused.value.message == "该事项的抽查结果已经记录，不能重复记录。"
    assert check_fields(check) == fields
    assert counts() == before


# ----------------------------------------------------------------------------- rectifications


def open_rectification(org: Org, drawn: SpotCheckDraw, deadline: dt.date) -> Rectification:
    check = drawn.checks.order_by("position").first()
    assert check is not None
    actions.record_check(
        org.office_supervisor,
        check,
        method="review",
        finding="台账资料不全。",
        result="problem",
        rectification_deadline=deadline,
        rectification_requirement="补齐台账资料。",
    )
    return Rectification.objects.get(spot_check=check)


def test_r_k1_rectification_submit_return_resubmit_accept(org: Org, drawn: SpotCheckDraw) -> None:
    rectification = open_rectification(org, drawn, dt.date(2026, 4, 30))
    first = actions.submit_rectification(org.lead_liaison, rectification, text="已补齐部分资料。")
    rectification.refresh_from_db()
    assert rectification.status == "submitted"
    assert (first.text, first.submitted_by) == ("已补齐部分资料。", org.lead_liaison)
    to_office = Notice.objects.get(title__startswith="整改情况待审核")
    assert to_office.recipient == org.office_supervisor

    actions.decide_rectification(
        org.office_supervisor, rectification, accept=False, comment="缺少会议记录。"
    )
    rectification.refresh_from_db()
    first.refresh_from_db()
    assert rectification.status == "returned"
    assert (first.outcome, first.comment, first.decided_by) == (
        "returned",
        "缺少会议记录。",
        org.office_supervisor,
    )
    returned = Notice.objects.filter(title__startswith="整改情况被退回")
    assert sorted(n.recipient.username for n in returned) == ["lead_head", "lead_liaison"]

    second = actions.submit_rectification(org.lead_head, rectification, text="会议记录已补齐。")
    actions.decide_rectification(org.office_supervisor, rectification, accept=True)
    rectification.refresh_from_db()
    second.refresh_from_db()
    assert rectification.status == "accepted"
    assert second.outcome == "accepted"
    assert list(rectification.reports.values_list("text", flat=True)) == [
        "已补齐部分资料。",
        "会议记录已补齐。",
    ]
    accepted = Notice.objects.filter(title__startswith="整改情况已审核通过")
    assert sorted(n.recipient.username for n in accepted) == ["lead_head", "lead_liaison"]
    verbs = list(
        rectification.item.events.filter(verb__endswith="rectification").values_list(
            "verb", flat=True
        )
    )
    assert verbs == [
        "require_rectification",
        "submit_rectification",
        "return_rectification",
        "submit_rectification",
        "accept_rectification",
    ]


def test_r_k1_rectification_refusals_change_nothing(org: Org, drawn: SpotCheckDraw) -> None:
    refused: pytest.ExceptionInfo[ActionError]
    rectification = open_rectification(org, drawn, dt.date(2026, 4, 30))
    before = counts()
    with pytest.raises(PermissionRefused) as refused:
        actions.submit_rectification(org.other_unit_liaison, rectification, text="x")
    assert refused.value.message == "只有整改单位的联络员或第一责任人可以报送整改情况。"
    with pytest.raises(PermissionRefused):
        actions.submit_rectification(org.cooperating_liaison, rectification, text="x")
    with pytest.raises(InvalidInput) as refused:
        actions.submit_rectification(org.lead_liaison, rectification, text="  ")
    assert refused.value.message == "请填写整改情况。"
    with pytest.raises(StateRefused) as refused:
        actions.decide_rectification(org.office_supervisor, rectification, accept=True)
    assert refused.value.message == "整改当前状态为“待整改”，没有待审核的整改情况。"
    assert counts() == before

    actions.submit_rectification(org.lead_liaison, rectification, text="已整改。")
    before = counts()
    with pytest.raises(StateRefused):
        actions.submit_rectification(org.lead_liaison, rectification, text="再报")
    with pytest.raises(InvalidInput) as refused:
        actions.decide_rectification(org.office_supervisor, rectification, accept=False)
    assert refused.value.message == "请填写退回理由。"
    with pytest.raises(PermissionRefused):
        actions.decide_rectification(org.lead_head, rectification, accept=True)
    rectification.refresh_from_db()
    assert rectification.status == "submitted"
    assert counts() == before


def test_r_k1_rectification_lights_follow_the_working_days(
    org: Org, drawn: SpotCheckDraw, traveller: Any
) -> None:
    # Deadline Friday 24 April 2026; three working days before is Tuesday 21 April.
    rectification = open_rectification(org, drawn, dt.date(2026, 4, 24))

    def light(day: dt.date) -> str:
        rows = annotate_rectification_lights(Rectification.objects.all(), day)
        return str(rows.get(pk=rectification.pk).light)  # type: ignore[attr-defined]

    assert light(dt.date(2026, 4, 20)) == "green"
    assert light(dt.date(2026, 4, 21)) == "yellow"
    assert light(dt.date(2026, 4, 24)) == "yellow"  # the deadline day itself
    assert light(dt.date(2026, 4, 25)) == "red"
    actions.submit_rectification(org.lead_liaison, rectification, text="已整改。")
    actions.decide_rectification(org.office_supervisor, rectification, accept=True)
    assert light(dt.date(2026, 4, 25)) == "grey"


# ----------------------------------------------------------------------------- pages


def test_page_the_office_draws_checks_and_reproduces(
    client: Client, org: Org, traveller: Any
) -> None:
    items = march_items(org, traveller, 12)
    client.force_login(org.office_supervisor)
    index = client.get(reverse("spotchecks"))
    assert index.status_code == 200
    assert "新建随机抽查" in index.content.decode()
    response = client.post(
        reverse("spotcheck-draw-new"),
        {"period_start": "2026-03-01", "period_end": "2026-03-31", "percentage": "10", "seed": "5"},
    )
    taken = SpotCheckDraw.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("spotcheck-draw", args=[taken.pk])
    assert taken.sample_size == 2
    assert sample_of(taken) == draw_sample_ids(5, [item.pk for item in items], 2)

    page = client.get(reverse("spotcheck-draw", args=[taken.pk]), {"reproduce": "1"})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-matches="yes"' in text
    assert "结果与保存的抽取结果完全一致" in text
    assert '<code id="draw-seed">5</code>' in text
    first = taken.checks.order_by("position").first()
    assert first is not None
    assert first.item.title in text

    prefix = f"check-{first.pk}"
    refused = client.post(
        reverse("spotcheck-record", args=[first.pk]),
        {
            f"{prefix}-method": "review",
            f"{prefix}-result": "problem",
            f"{prefix}-finding": "未按期印发",
            f"{prefix}-rectification_requirement": "补发文件",
            f"{prefix}-rectification_deadline": "2026-04-01",
        },
    )
    assert refused.status_code == 400
    assert "整改期限不能早于今天。" in refused.content.decode()
    assert not Rectification.objects.exists()
    recorded = client.post(
        reverse("spotcheck-record", args=[first.pk]),
        {
            f"{prefix}-method": "review",
            f"{prefix}-result": "problem",
            f"{prefix}-finding": "未按期印发",
            f"{prefix}-rectification_requirement": "补发文件",
            f"{prefix}-rectification_deadline": "2026-04-30",
        },
    )
    assert recorded.status_code == 302
    rectification = Rectification.objects.get()
    assert rectification.deadline == dt.date(2026, 4, 30)
    listing = client.get(reverse("spotcheck-rectifications")).content.decode()
    assert f'data-rectification="{rectification.pk}"' in listing
    assert 'data-light="green"' in listing


def test_page_a_refused_draw_shows_why(client: Client, org: Org, traveller: Any) -> None:
    march_items(org, traveller, 2)
    client.force_login(org.office_supervisor)
    before = counts()
    response = client.post(
        reverse("spotcheck-draw-new"),
        {"period_start": "2026-03-01", "period_end": "2026-03-31", "count": "3"},
    )
    assert response.status_code == 400
    assert "不能超过2。" in response.content.decode()
    response = client.post(
        reverse("spotcheck-draw-new"),
        {"period_start": "2026-03-01", "period_end": "2026-03-31", "count": "1", "percentage": "5"},
    )
    assert response.status_code == 400
    assert "数量与比例只填一项。" in response.content.decode()
    assert counts() == before


def test_page_draw_pages_are_the_offices_only(
    client: Client, org: Org, drawn: SpotCheckDraw
) -> None:
    check = drawn.checks.order_by("position").first()
    assert check is not None
    before = counts()
    for person in (org.lead_liaison, org.leader_in_charge):
        client.force_login(person)
        assert client.get(reverse("spotchecks")).status_code == 403
        assert client.get(reverse("spotcheck-draw", args=[drawn.pk])).status_code == 403
        refused = client.post(reverse("spotcheck-draw-new"), {"count": "1"})
        assert refused.status_code == 403
        assert "只有党政办公室的督办员可以进行回访抽查。" in refused.content.decode()
        assert client.post(reverse("spotcheck-record", args=[check.pk])).status_code == 403
    assert counts() == before


def test_page_the_lead_unit_reports_its_rectification(
    client: Client, org: Org, drawn: SpotCheckDraw
) -> None:
    rectification = open_rectification(org, drawn, dt.date(2026, 4, 30))
    client.force_login(org.lead_liaison)
    listing = client.get(reverse("spotcheck-rectifications"))
    assert listing.status_code == 200
    assert f'data-rectification="{rectification.pk}"' in listing.content.decode()
    assert "抽查整改" in client.get(reverse("my-work")).content.decode()
    detail = reverse("spotcheck-rectification", args=[rectification.pk])
    assert "补齐台账资料。" in client.get(detail).content.decode()
    before = counts()
    refused = client.post(reverse("spotcheck-rectification-submit", args=[rectification.pk]))
    assert refused.status_code == 400
    assert "请填写整改情况。" in refused.content.decode()
    assert counts() == before
    submitted = client.post(
        reverse("spotcheck-rectification-submit", args=[rectification.pk]), {"text": "已补齐。"}
    )
    assert submitted.status_code == 302
    rectification.refresh_from_db()
    assert rectification.status == "submitted"

    client.force_login(org.office_supervisor)
    refused = client.post(
        reverse("spotcheck-rectification-decide", args=[rectification.pk]), {"decision": "return"}
    )
    assert refused.status_code == 400
    assert "请填写退回理由。" in refused.content.decode()
    accepted = client.post(
        reverse("spotcheck-rectification-decide", args=[rectification.pk]), {"decision": "accept"}
    )
    assert accepted.status_code == 302
    rectification.refresh_from_db()
    assert rectification.status == "accepted"

    # Another unit sees none of it; a missing one and a hidden one look alike.
    client.force_login(org.other_unit_liaison)
    assert f'data-rectification="{rectification.pk}"' not in (
        client.get(reverse("spotcheck-rectifications")).content.decode()
    )
    assert client.get(detail).status_code == 404
    client.force_login(org.leader_in_charge)
    assert client.get(reverse("spotcheck-rectifications")).status_code == 403


def test_page_a_recused_supervisor_sees_no_details_of_the_drawn_item(
    client: Client, org: Org, drawn: SpotCheckDraw
) -> None:
    colleague = second_supervisor(org)
    check = drawn.checks.order_by("position").first()
    assert check is not None
    item_actions.declare_recusal(
        colleague, check.item, reason="近亲属关系", person=org.office_supervisor
    )
    client.force_login(org.office_supervisor)
    page = client.get(reverse("spotcheck-draw", args=[drawn.pk])).content.decode()
    assert check.item.title not in page
    assert "您已回避或无权查看此事项" in page
    assert f'action="{reverse("spotcheck-record", args=[check.pk])}"' not in page


@pytest.mark.parametrize("count", [3, 30])
def test_page_draw_queries_do_not_grow_with_the_sample(
    client: Client, org: Org, traveller: Any, count: int, django_assert_max_num_queries: Any
) -> None:
    march_items(org, traveller, count)
    taken = draw(org, count=count, seed=11)
    for _ in range(count // 3):
        draw(org, count=1)
    problems = max(2, count // 3)
    checks = list(taken.checks.order_by("position"))
    for check in checks[:problems]:
        actions.record_check(
            org.office_supervisor,
            check,
            method="review",
            finding="问题",
            result="problem",
            rectification_deadline=dt.date(2026, 4, 30),
            rectification_requirement="整改",
        )
    client.force_login(org.office_supervisor)
    # Session, person, unit; the draw, its checks, which items the viewer may see; the
    # unread-notice badge.
    with django_assert_max_num_queries(7):
        page = client.get(reverse("spotcheck-draw", args=[taken.pk]), {"reproduce": "1"})
    assert page.content.decode().count("data-check=") == count
    with django_assert_max_num_queries(6):
        listing = client.get(reverse("spotchecks"))
    assert listing.content.decode().count("data-draw=") == 1 + count // 3
    # Session, person, unit; the calendar (years, days) for the lights; the rows; badge.
    with django_assert_max_num_queries(7):
        rectifications = client.get(reverse("spotcheck-rectifications"))
    assert rectifications.content.decode().count("data-rectification=") == problems


def test_r_k1_rectification_reminded_once_on_the_ladder(
    org: Org, drawn: SpotCheckDraw, traveller: Any
) -> None:
    """R-U3 for rectifications: 3 working days before, on the day, every 3 working days
    overdue — to the rectifying unit's liaison and head, each step exactly once."""
    from duban.items.sweep import run_sweep
    from duban.spotchecks.models import RectificationReminder

    rectification = open_rectification(org, drawn, dt.date(2026, 4, 24))  # a Friday
    sent: dict[dt.date, list[str]] = {}
    for day in [
        dt.date(2026, 4, 20),  # too early
        dt.date(2026, 4, 21),  # deadline-3
        dt.date(2026, 4, 21),  # again the same day: nothing more
        dt.date(2026, 4, 24),  # deadline-0
        dt.date(2026, 4, 27),  # overdue-1
        dt.date(2026, 4, 28),
        dt.date(2026, 4, 30),  # overdue-4
    ]:
        at(traveller, day, 9)
        when = dt.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
        steps = [notice.step for notice in run_sweep(when).notices]
        sent.setdefault(day, []).extend(steps)
    assert sent == {
        dt.date(2026, 4, 20): [],
        dt.date(2026, 4, 21): ["rectification-deadline-3@2026-04-24"],
        dt.date(2026, 4, 24): ["rectification-deadline-0@2026-04-24"],
        dt.date(2026, 4, 27): ["rectification-overdue-1@2026-04-24"],
        dt.date(2026, 4, 28): [],
        dt.date(2026, 4, 30): ["rectification-overdue-4@2026-04-24"],
    }
    assert RectificationReminder.objects.filter(rectification=rectification).count() == 4
    overdue = Notice.objects.filter(title__startswith="整改已超期").order_by("pk")
    assert {notice.recipient for notice in overdue} == {org.lead_liaison, org.lead_head}
    assert overdue.first().body.startswith(  # type: ignore[union-attr]
        f"抽查发现问题的整改（台账编号{rectification.item.ledger_number}）期限为2026-04-24"
    )
    # Accepted: no more reminders.
    actions.submit_rectification(org.lead_liaison, rectification, text="已整改。")
    actions.decide_rectification(org.office_supervisor, rectification, accept=True)
    at(traveller, dt.date(2026, 5, 8), 9)
    assert run_sweep(dt.datetime(2026, 5, 8, 9, tzinfo=SHANGHAI)).sent == 0
