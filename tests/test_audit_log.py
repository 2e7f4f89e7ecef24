"""The audit log's pages (audit administrator only): search by time range, person,
operation, item and keyword; CSV export for Excel, itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent, record
from duban.items import actions
from duban.items.models import Item
from duban.organisation.models import Role, User
from tests.conftest import Org, establish, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password_sign_in_only(settings: Any) -> None:
    # Two-factor sign-in has its own tests (test_accounts_two_factor.py).
    settings.OTP_REQUIRED = False


# 10:00 in Shanghai on three days.
DAY1 = dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 9, 29, 2, 0, tzinfo=dt.UTC)
DAY3 = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    with time_machine.travel(DAY3, tick=False) as moved:
        yield moved


@pytest.fixture
def auditor(org: Org) -> User:
    return make_person("audit_admin", Role.AUDIT_ADMIN, None, "马审计")


@pytest.fixture
def story(org: Org) -> dict[str, Any]:
    """Three days: an item established and assigned, a login, a failed login."""
    with time_machine.travel(DAY1, tick=False):
        item = establish(org, title="修订培养方案")
        record(org.lead_liaison, "login", "登录成功", data={"username": "lead_liaison"})
    with time_machine.travel(DAY2, tick=False):
        actions.assign_item(org.office_supervisor, item)
        record(
            None, "login_failed", "登录失败（用户名或密码错误）：ghost", data={"username": "ghost"}
        )
    other = establish(org, title="另一事项")
    return {"item": item, "other": other}


@pytest.fixture
def signed_in(client: Client, auditor: User) -> Client:
    client.force_login(auditor)
    return client


def sequences(client: Client, **query: str) -> list[int]:
    response = client.get(reverse("audit-log"), query)
    assert response.status_code == 200
    return [event.sequence for event in response.context["events"]]


def expected(**filters: Any) -> list[int]:
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
    )


# ----------------------------------------------------------------------------- search


def test_the_log_lists_every_event_newest_first(signed_in: Client, story: dict[str, Any]) -> None:
    page = signed_in.get(reverse("audit-log")).content.decode()
    assert "<h1>审计日志</h1>" in page
    assert sequences(signed_in) == expected()
    assert "登录失败（用户名或密码错误）：ghost" in page
    assert story["item"].ledger_number in page


def test_search_by_time_range(signed_in: Client, story: dict[str, Any]) -> None:
    day2 = dt.date(2026, 9, 29)
    assert sequences(signed_in, start="2026-09-29", end="2026-09-29") == expected(
        created_at__date=day2
    )
    assert sequences(signed_in, start="2026-09-29") == expected(created_at__date__gte=day2)
    assert sequences(signed_in, end="2026-09-28") == expected(created_at__date=dt.date(2026, 9, 28))


def test_search_by_person_name_username_or_attempted_username(
    signed_in: Client, org: Org, story: dict[str, Any]
) -> None:
    assert sequences(signed_in, actor="office_supervisor") == expected(actor=org.office_supervisor)
    assert sequences(signed_in, actor="孙督") == expected(actor=org.office_supervisor)
    assert sequences(signed_in, actor="ghost") == expected(verb="login_failed")


def test_search_by_operation_item_and_keyword(signed_in: Client, story: dict[str, Any]) -> None:
    item = story["item"]
    assert sequences(signed_in, verb="assign") == expected(verb="assign")
    assert sequences(signed_in, ledger_number=item.ledger_number) == expected(item=item)
    assert sequences(signed_in, q="ghost") == expected(verb="login_failed")
    assert sequences(signed_in, verb="establish", ledger_number=item.ledger_number) == expected(
        verb="establish", item=item
    )
    page = signed_in.get(reverse("audit-log")).content.decode()
    assert '<option value="assign">交办</option>' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13-01"}, "请按“年-月-日”填写日期"),
        ({"start": "2026-09-30", "end": "2026-09-01"}, "截止日期不能早于起始日期。"),
        ({"verb": "drop table"}, "选择一个有效的选项"),
    ],
)
def test_a_bad_filter_is_shown_and_ignored(
    signed_in: Client, story: dict[str, Any], query: dict[str, str], message: str
) -> None:
    response = signed_in.get(reverse("audit-log"), query)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_text_from_events_is_escaped(signed_in: Client, org: Org) -> None:
    record(org.lead_liaison, "return", "<script>alert(1)</script>")
    page = signed_in.get(reverse("audit-log")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_log_queries_do_not_grow_with_rows(
    signed_in: Client, org: Org, count: int, django_assert_max_num_queries: Any
) -> None:
    for number in range(count):
        establish(org, title=f"事项{number}")
    with django_assert_max_num_queries(8):
        response = signed_in.get(reverse("audit-log"))
    assert len(response.context["events"]) == count + 1  # and the auditor's own login


# ----------------------------------------------------------------------------- export


def export(client: Client, **query: str) -> tuple[Any, str]:
    response = client.get(reverse("audit-export"), query)
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, body


def test_the_export_is_a_utf8_csv_for_excel(
    signed_in: Client, org: Org, story: dict[str, Any]
) -> None:
    item: Item = story["item"]
    response, body = export(signed_in, ledger_number=item.ledger_number)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-log-20260930-1000.csv"'
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == [
        "序号",
        "时间",
        "操作人用户名",
        "操作人姓名",
        "操作",
        "操作代码",
        "摘要",
        "台账编号",
        "相关单位",
        "数据",
        "摘要值",
    ]
    events = list(AuditEvent.objects.filter(item=item).order_by("sequence"))
    assert [row[0] for row in rows[1:]] == [str(event.sequence) for event in events]
    established = rows[1]
    assert established[1] == "2026-09-28 10:00:00"
    assert established[2:6] == ["office_supervisor", "孙督办", "立项", "establish"]
    assert established[6] == events[0].summary
    assert established[7] == item.ledger_number
    assert established[10] == events[0].hash
    assigned = rows[2]
    assert assigned[4:6] == ["交办", "assign"]


def test_the_export_is_audited_and_holds_what_existed_when_asked(
    signed_in: Client, auditor: User, story: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()

    _response, body = export(signed_in, verb="login_failed")

    rows = list(csv.reader(io.StringIO(body[1:])))
    assert len(rows) == 1 + 1
    event = AuditEvent.objects.get(verb="export_audit_log")
    assert event.actor == auditor
    assert event.summary == "导出审计日志（1条）"
    assert event.data["filters"] == {"verb": "login_failed"}
    assert event.data["count"] == 1
    assert AuditEvent.objects.count() == before + 1
    # A later export without filters includes the first export, not itself.
    _response, everything = export(signed_in)
    assert len(list(csv.reader(io.StringIO(everything[1:])))) == 1 + before + 1


def test_a_cell_that_excel_would_run_as_a_formula_is_defused(signed_in: Client, org: Org) -> None:
    record(org.lead_liaison, "return", '=HYPERLINK("http://evil")')
    record(org.lead_liaison, "return", "+1-2")
    _response, body = export(signed_in, verb="return")
    summaries = [row[6] for row in csv.reader(io.StringIO(body[1:]))][1:]
    assert summaries == ['\'=HYPERLINK("http://evil")', "'+1-2"]


def test_an_export_with_a_bad_filter_is_refused_and_not_audited(
    signed_in: Client, story: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()
    response = signed_in.get(reverse("audit-export"), {"start": "not-a-date"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('audit-log')}?start=not-a-date"
    page = signed_in.get(response["Location"]).content.decode()
    assert "筛选条件有误，未导出。请修改后再试。" in page
    assert AuditEvent.objects.count() == before


def test_the_export_link_keeps_the_filters(signed_in: Client, story: dict[str, Any]) -> None:
    page = signed_in.get(reverse("audit-log"), {"verb": "assign", "q": "交办"}).content.decode()
    assert 'href="/audit/export/?verb=assign&amp;q=%E4%BA%A4%E5%8A%9E"' in page
