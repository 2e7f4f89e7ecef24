"""Spot checks (R-K1), circulars (R-K4), volumes and dossiers (R-K2) over the API:
the pages' reads and actions with the pages' rules. Every refusal answers the JSON
error shape with a Chinese message and the right status, and changes nothing; a row
the reader may not see answers exactly like a missing one (R-C5); list endpoints'
queries do not grow with their rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duban.audit.models import AuditEvent
from duban.documents import actions as document_actions
from duban.documents.models import Circular, Volume, VolumeEntry
from duban.documents.pdf import pdf_available
from duban.items import actions as item_actions
from duban.items.models import Item
from duban.items.states import Status
from duban.organisation.models import Role
from duban.spotchecks import actions
from duban.spotchecks.models import (
    Rectification,
    RectificationReport,
    SpotCheck,
    SpotCheckDraw,
)
from tests.conftest import Org, advance, establish, make_person
from tests.test_api import Api, assert_error

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH_START = dt.date(2026, 3, 1)
MARCH_END = dt.date(2026, 3, 31)
APRIL_MONDAY = dt.date(2026, 4, 13)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False) as moving:
        yield moving


def at(traveller: Any, day: dt.date) -> None:
    traveller.move_to(dt.datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI))


def march_items(org: Org, traveller: Any, count: int) -> list[Item]:
    """`count` items completed in March 2026 through the real actions; then April."""
    items = []
    for n in range(count):
        at(traveller, dt.date(2026, 3, 2 + n))
        items.append(advance(org, establish(org, title=f"三月事项{n}"), "completed"))
    at(traveller, APRIL_MONDAY)
    return items


@pytest.fixture
def as_person(client: Client) -> Any:
    return lambda user: Api(client, user)


def rows() -> dict[str, int]:
    """Everything an action here could write."""
    return {
        "draws": SpotCheckDraw.objects.count(),
        "recorded": SpotCheck.objects.exclude(result="").count(),
        "rectifications": Rectification.objects.count(),
        "reports": RectificationReport.objects.count(),
        "decided": RectificationReport.objects.exclude(outcome="").count(),
        "circulars": Circular.objects.count(),
        "volumes": Volume.objects.count(),
        "archived": Item.objects.filter(status=Status.ARCHIVED).count(),
        "events": AuditEvent.objects.exclude(verb__in=("login", "read_restricted")).count(),
    }


def draw_body(**overrides: Any) -> dict[str, Any]:
    return {"period_start": str(MARCH_START), "period_end": str(MARCH_END), **overrides}


PROBLEM = {
    "method": "revisit",
    "result": "problem",
    "finding": "台账记录不全。",
    "rectification_requirement": "补齐台账记录。",
    "rectification_deadline": "2026-04-30",
}


# ----------------------------------------------------------------------------- spot checks


def test_r_k1_draw_check_and_rectify_over_the_api(org: Org, traveller: Any, as_person: Any) -> None:
    items = march_items(org, traveller, 4)
    office = as_person(org.office_supervisor)
    liaison = as_person(org.lead_liaison)

    drawn = office.post("/spotchecks/draws", draw_body(count=2, seed=42))

    assert drawn.status_code == 201, drawn.content
    draw = drawn.json()
    assert draw["population"] == sorted(item.pk for item in items)
    assert draw["sample_size"] == 2 and draw["seed"] == 42
    assert draw["method_of_size"] == "count" and draw["method_of_size_label"] == "按数量"
    assert draw["reproduction"]["matches"] is True
    assert [check["item_id"] for check in draw["checks"]] == draw["reproduction"]["recomputed"]
    assert all(check["allowed_actions"] == ["record"] for check in draw["checks"])
    assert office.get(f"/spotchecks/draws/{draw['id']}").json() == draw
    listed = office.get("/spotchecks/draws").json()
    assert [(row["id"], row["checked"], row["problems"]) for row in listed] == [(draw["id"], 0, 0)]

    check_id = draw["checks"][0]["id"]
    recorded = office.post(f"/spotchecks/checks/{check_id}/record", PROBLEM)

    assert recorded.status_code == 200, recorded.content
    check = recorded.json()
    assert (check["result"], check["result_label"], check["allowed_actions"]) == (
        "problem",
        "发现问题",
        [],
    )
    rectification_id = check["rectification_id"]
    assert liaison.get("/spotchecks/rectifications").json()[0]["id"] == rectification_id
    row = liaison.get(f"/spotchecks/rectifications/{rectification_id}").json()
    assert (row["status"], row["allowed_actions"], row["requirement"]) == (
        "open",
        ["submit"],
        "补齐台账记录。",
    )

    submitted = liaison.post(
        f"/spotchecks/rectifications/{rectification_id}/submit", {"text": "已补齐。"}
    )
    assert submitted.json()["status"] == "submitted"
    returned = office.post(
        f"/spotchecks/rectifications/{rectification_id}/decide",
        {"accept": False, "comment": "仍缺三月记录。"},
    )
    assert returned.json()["status"] == "returned"
    liaison.post(f"/spotchecks/rectifications/{rectification_id}/submit", {"text": "三月已补。"})
    accepted = office.post(
        f"/spotchecks/rectifications/{rectification_id}/decide", {"accept": True}
    )

    assert accepted.status_code == 200, accepted.content
    final = accepted.json()
    assert final["status"] == "accepted" and final["light"] == "grey"
    assert [(report["outcome"], report["comment"]) for report in final["reports"]] == [
        ("returned", "仍缺三月记录。"),
        ("accepted", ""),
    ]


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "code", "message"),
    [
        (
            "lead_liaison",
            "get",
            "/spotchecks/draws",
            None,
            403,
            "forbidden",
            "只有党政办公室的督办员可以进行回访抽查。",
        ),
        (
            "lead_liaison",
            "post",
            "/spotchecks/draws",
            draw_body(count=1),
            403,
            "forbidden",
            "只有党政办公室的督办员可以进行回访抽查。",
        ),
        (
            "office_supervisor",
            "post",
            "/spotchecks/draws",
            draw_body(count=1, percentage=10),
            400,
            "invalid",
            "请填写抽取数量或抽取比例（二选一）。",
        ),
        (
            "office_supervisor",
            "post",
            "/spotchecks/draws",
            draw_body(count=9),
            400,
            "invalid",
            "抽取数量（9）超过该期间可抽查的已办结事项数（2）。",
        ),
        (
            "other_unit_liaison",
            "get",
            "/spotchecks/rectifications",
            None,
            200,
            "",
            "",
        ),
        (
            "system_admin",
            "get",
            "/spotchecks/rectifications",
            None,
            403,
            "forbidden",
            "只有督办部门和承办单位可以查看抽查整改。",
        ),
    ],
)
def test_r_k1_draw_refusals_answer_exactly_and_change_nothing(
    org: Org,
    traveller: Any,
    as_person: Any,
    who: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    message: str,
) -> None:
    march_items(org, traveller, 2)
    api = as_person(getattr(org, who))
    before = rows()

    response = api.get(path) if method == "get" else api.post(path, body)

    if status == 200:
        assert response.status_code == 200 and response.json() == []
    else:
        assert assert_error(response, status, code)["message"] == message
    assert rows() == before


@pytest.fixture
def rectification(org: Org, traveller: Any) -> Rectification:
    march_items(org, traveller, 2)
    draw = actions.draw_sample(
        org.office_supervisor, period_start=MARCH_START, period_end=MARCH_END, count=1
    )
    check = draw.checks.get()
    actions.record_check(
        org.office_supervisor,
        check,
        method="revisit",
        finding="台账记录不全。",
        result="problem",
        rectification_requirement="补齐台账记录。",
        rectification_deadline=dt.date(2026, 4, 30),
    )
    return Rectification.objects.get()


def test_r_k1_check_and_rectification_refusals_change_nothing(
    org: Org, rectification: Rectification, as_person: Any
) -> None:
    office = as_person(org.office_supervisor)
    liaison = as_person(org.lead_liaison)
    stranger = as_person(org.other_unit_liaison)
    check_id = rectification.spot_check_id
    before = rows()

    again = office.post(f"/spotchecks/checks/{check_id}/record", PROBLEM)
    assert assert_error(again, 409, "invalid_state")["message"] == (
        "该事项的抽查结果已经记录，不能重复记录。"
    )
    by_liaison = liaison.post(f"/spotchecks/checks/{check_id}/record", PROBLEM)
    assert assert_error(by_liaison, 403, "forbidden")["message"] == (
        "只有党政办公室的督办员可以进行回访抽查。"
    )
    by_office = office.post(f"/spotchecks/rectifications/{rectification.pk}/submit", {"text": "好"})
    assert assert_error(by_office, 403, "forbidden")["message"] == (
        "只有整改单位的联络员或第一责任人可以报送整改情况。"
    )
    early = office.post(f"/spotchecks/rectifications/{rectification.pk}/decide", {"accept": True})
    assert assert_error(early, 409, "invalid_state")["message"] == (
        "整改当前状态为“待整改”，没有待审核的整改情况。"
    )
    blank = liaison.post(f"/spotchecks/rectifications/{rectification.pk}/submit", {"text": " "})
    assert assert_error(blank, 400, "invalid")["errors"] == {"text": "此项为必填项。"}
    # Another unit's rectification answers exactly like a missing one (R-C5).
    hidden = stranger.get(f"/spotchecks/rectifications/{rectification.pk}")
    missing = stranger.get("/spotchecks/rectifications/999999")
    assert assert_error(hidden, 404, "not_found") == assert_error(missing, 404, "not_found")
    assert hidden.json()["message"] == "整改不存在。"
    hidden_submit = stranger.post(
        f"/spotchecks/rectifications/{rectification.pk}/submit", {"text": "好"}
    )
    assert hidden_submit.json() == missing.json()
    assert rows() == before


def test_r_c4_a_recused_supervisor_sees_no_details_of_the_drawn_item(
    org: Org, rectification: Rectification, as_person: Any
) -> None:
    other = make_person("office_supervisor_2", Role.OFFICE_SUPERVISOR, org.office, "李督办")
    item_actions.declare_recusal(other, rectification.item, reason="亲属关系", person=other)
    draw_id = rectification.spot_check.draw_id

    answer = as_person(other).get(f"/spotchecks/draws/{draw_id}").json()

    assert [(check["item_id"], check["item"], check["finding"]) for check in answer["checks"]] == [
        (None, None, "")
    ]
    assert rectification.item.title not in str(answer)
    assert answer["checks"][0]["allowed_actions"] == []


def test_spot_check_lists_do_not_grow_in_queries_with_their_rows(
    org: Org, traveller: Any, as_person: Any
) -> None:
    march_items(org, traveller, 6)
    office = as_person(org.office_supervisor)
    liaison = as_person(org.lead_liaison)

    def record_problems(count: int) -> None:
        draw = actions.draw_sample(
            org.office_supervisor, period_start=MARCH_START, period_end=MARCH_END, count=count
        )
        for check in draw.checks.all():
            actions.record_check(
                org.office_supervisor,
                check,
                **{**PROBLEM, "rectification_deadline": dt.date(2026, 4, 30)},
            )

    def queries(api: Any, path: str) -> int:
        api.get(path)  # (a token's first use of the minute notes it: not the list's)
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    record_problems(1)
    few = (queries(office, "/spotchecks/draws"), queries(liaison, "/spotchecks/rectifications"))
    record_problems(4)
    record_problems(1)
    many = (queries(office, "/spotchecks/draws"), queries(liaison, "/spotchecks/rectifications"))

    assert len(office.get("/spotchecks/draws").json()) == 3
    assert len(liaison.get("/spotchecks/rectifications").json()) == 6
    assert few == many


# ----------------------------------------------------------------------------- documents


def test_r_k4_a_circular_is_generated_as_the_page_does(
    org: Org, traveller: Any, as_person: Any
) -> None:
    march_items(org, traveller, 2)
    office = as_person(org.office_supervisor)

    response = office.post(
        "/documents/circulars", {"start": "2026-03-01", "end": "2026-03-31", "file_format": "docx"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content[:2] == b"PK"
    circular = Circular.objects.get()
    assert office.get("/documents/circulars").json() == [
        {
            "id": circular.pk,
            "document_number": "校办督〔2026〕1号",
            "year": 2026,
            "number": 1,
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "created_by": "孙督办",
            "created_at": "2026-04-13T10:00:00+08:00",
        }
    ]


@pytest.mark.parametrize(
    ("who", "body", "status", "code", "message", "errors"),
    [
        (
            "lead_liaison",
            {"start": "2026-03-01", "end": "2026-03-31", "file_format": "docx"},
            403,
            "forbidden",
            "只有督办部门的督办员可以使用通报与归档。",
            None,
        ),
        (
            "office_supervisor",
            {"start": "2026-03-31", "end": "2026-03-01", "file_format": "docx"},
            400,
            "invalid",
            "通报期间的结束日期不能早于开始日期。",
            {"end": "请填写不早于开始日期的日期。"},
        ),
        (
            "office_supervisor",
            {"start": "2026-03-01", "end": "2026-03-31", "file_format": "odt"},
            400,
            "invalid",
            "请求数据有误，请检查以下字段：file_format。",
            {"file_format": "取值无效，可选值：docx、pdf。"},
        ),
    ],
)
def test_r_k4_circular_refusals_change_nothing(
    org: Org,
    traveller: Any,
    as_person: Any,
    who: str,
    body: dict[str, Any],
    status: int,
    code: str,
    message: str,
    errors: dict[str, str] | None,
) -> None:
    march_items(org, traveller, 1)
    api = as_person(getattr(org, who))
    before = rows()

    response = api.post("/documents/circulars", body)

    answer = assert_error(response, status, code)
    assert (answer["message"], answer.get("errors")) == (message, errors)
    assert rows() == before


def test_r_k2_filing_a_volume_needs_exactly_the_items_to_file(
    org: Org, traveller: Any, as_person: Any
) -> None:
    items = march_items(org, traveller, 3)
    office = as_person(org.office_supervisor)

    pending = office.get("/documents/volumes").json()
    to_file = office.get("/documents/volumes/to-file", year=2026).json()

    assert pending == {"pending": [{"year": 2026, "count": 3}], "volumes": []}
    assert sorted(row["id"] for row in to_file) == sorted(item.pk for item in items)
    before = rows()
    partial = office.post("/documents/volumes", {"year": 2026, "items": [items[0].pk]})
    answer = assert_error(partial, 409, "changed")
    assert answer["message"] == "待归档的事项已有变化，请重新获取待归档事项并确认。"
    assert rows() == before

    filed = office.post(
        "/documents/volumes", {"year": 2026, "items": [row["id"] for row in to_file]}
    )

    assert filed.status_code == 201, filed.content
    volume = filed.json()
    assert volume["title"] == "党政办公室2026年度督办事项案卷（第1卷）"
    assert [entry["item"]["id"] for entry in volume["entries"]] == [row["id"] for row in to_file]
    assert all(entry["item"]["status"] == "archived" for entry in volume["entries"])
    assert office.get(f"/documents/volumes/{volume['id']}").json() == volume
    assert VolumeEntry.objects.count() == 3


def test_r_k2_volumes_and_dossiers_follow_the_pages_visibility(
    org: Org, traveller: Any, as_person: Any
) -> None:
    items = march_items(org, traveller, 1)
    volume = document_actions.file_volume(org.office_supervisor, 2026)
    liaison = as_person(org.lead_liaison)
    stranger = as_person(org.other_unit_liaison)
    before = rows()

    listing = liaison.get("/documents/volumes")
    assert assert_error(listing, 403, "forbidden")["message"] == (
        "只有督办部门的督办员可以使用通报与归档。"
    )
    hidden = liaison.get(f"/documents/volumes/{volume.pk}")
    assert hidden.json() == liaison.get("/documents/volumes/999999").json()
    assert assert_error(hidden, 404, "not_found")["message"] == "案卷不存在。"
    dossier_hidden = stranger.get(f"/documents/dossiers/{items[0].pk}")
    assert dossier_hidden.json() == stranger.get("/documents/dossiers/999999").json()
    assert assert_error(dossier_hidden, 404, "not_found")["message"] == "归档事项不存在。"
    assert rows() == before
    if not pdf_available():
        assert_error(liaison.get(f"/documents/dossiers/{items[0].pk}"), 503, "pdf_unavailable")
        return
    dossier = liaison.get(f"/documents/dossiers/{items[0].pk}")
    assert dossier.status_code == 200
    assert dossier["Content-Type"] == "application/pdf"
    assert dossier.content.startswith(b"%PDF")
    index = as_person(org.office_supervisor).get(f"/documents/volumes/{volume.pk}/index")
    assert index.status_code == 200 and index.content.startswith(b"%PDF")


def test_document_lists_do_not_grow_in_queries_with_their_rows(
    org: Org, traveller: Any, as_person: Any
) -> None:
    items = march_items(org, traveller, 5)
    office = as_person(org.office_supervisor)

    def queries(path: str, **params: Any) -> int:
        office.get(path, **params)  # (a token's first use of the minute notes it)
        with CaptureQueriesContext(connection) as captured:
            assert office.get(path, **params).status_code == 200
        return len(captured)

    def generate(day: int) -> None:
        document_actions.generate_circular(
            org.office_supervisor,
            start=dt.date(2026, 3, day),
            end=dt.date(2026, 3, 31),
            file_format="docx",
        )

    generate(1)
    document_actions.file_volume(org.office_supervisor, 2026, items=[items[0]])
    few = (
        queries("/documents/circulars"),
        queries("/documents/volumes"),
        queries("/documents/volumes/to-file", year=2026),
    )
    for day in (2, 3, 4):
        generate(day)
    for item in items[1:3]:
        document_actions.file_volume(org.office_supervisor, 2026, items=[item])
    many = (
        queries("/documents/circulars"),
        queries("/documents/volumes"),
        queries("/documents/volumes/to-file", year=2026),
    )

    assert len(office.get("/documents/circulars").json()) == 4
    assert len(office.get("/documents/volumes").json()["volumes"]) == 3
    assert few == many
