"""The REST API under /api/v1/: tokens, the OpenAPI document, an item's whole life,
the ledger list and the inbox. Refusals and garbage input: test_api_refusals.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from duban.api.models import ApiToken
from duban.api.tokens import hash_token
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Item, Notice
from duban.items.states import Status
from tests.conftest import PASSWORD, Org, advance, establish
from tests.test_api_reports import NEW_OPERATIONS as REPORTS_LEDGER_CALENDAR_OPERATIONS

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)  # a working day, official calendar


def monday_clock() -> Iterator[Any]:
    """Monday 2026-09-28 10:00 in Shanghai, unless a test moves the clock."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    yield from monday_clock()


def token_for(client: Client, user: Any) -> str:
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


class Api:
    """Django's test client speaking to the API as one person."""

    def __init__(self, client: Client, user: Any) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token_for(client, user)}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=self.headers,
        )


@pytest.fixture
def as_person(client: Client) -> Any:
    return lambda user: Api(client, user)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """An error answer: the status, JSON with the code and a Chinese message."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def establish_body(org: Org, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "修订本科生培养方案",
        "content": "按校长办公会决定，完成2027版本科生培养方案修订。",
        "basis": "校长办公会纪要〔2026〕第12期",
        "source_kind": "meeting",
        "source_body": "president_meeting",
        "lead_unit": org.lead_unit.pk,
        "cooperating_units": [org.cooperating_unit.pk],
        "minutes_issued_on": "2026-09-28",
    }
    body.update(overrides)
    return body


# ----------------------------------------------------------------------------- tokens


def test_token_is_issued_for_the_right_password_and_only_its_hash_is_stored(
    client: Client, org: Org
) -> None:
    response = client.post(
        "/api/v1/auth/token",
        {"username": "lead_liaison", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert expires_at == MONDAY + dt.timedelta(hours=settings.API_TOKEN_HOURS)
    row = ApiToken.objects.get()
    assert row.user == org.lead_liaison
    assert row.key_hash == hash_token(body["token"])
    assert body["token"] not in row.key_hash
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "id": org.lead_liaison.pk,
        "username": "lead_liaison",
        "full_name": "周联络",
        "role": "liaison",
        "role_label": "联络员",
        "title": "",
        "unit": {"id": org.lead_unit.pk, "name": "教务处"},
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("lead_liaison", "wrong-password"), ("nobody", PASSWORD), ("lead_liaison", "")],
)
def test_wrong_credentials_answer_401_json(
    client: Client, org: Org, username: str, password: str
) -> None:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json() == {"code": "invalid_credentials", "message": "用户名或密码错误。"}
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token_and_loses_the_one_they_had(
    client: Client, org: Org
) -> None:
    token = token_for(client, org.lead_liaison)
    org.lead_liaison.is_active = False
    org.lead_liaison.save()

    refused = client.post(
        "/api/v1/auth/token",
        {"username": "lead_liaison", "password": PASSWORD},
        content_type="application/json",
    )
    with_old_token = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_credentials"
    assert_error(with_old_token, 401, "unauthorized")


def test_an_expired_token_is_refused(client: Client, org: Org, frozen_clock: Any) -> None:
    token = token_for(client, org.lead_liaison)
    headers = {"Authorization": f"Bearer {token}"}
    hours = settings.API_TOKEN_HOURS

    frozen_clock.shift(dt.timedelta(hours=hours) - dt.timedelta(seconds=1))
    still_valid = client.get("/api/v1/me", headers=headers)
    frozen_clock.shift(dt.timedelta(seconds=1))
    expired = client.get("/api/v1/me", headers=headers)

    assert still_valid.status_code == 200
    assert_error(expired, 401, "unauthorized")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer not-a-token",
        "Bearer " + "x" * 43,
        "Token abc",
        "Basic bGVhZF9saWFpc29uOkR1YmFuLVRlc3QtMjAyNiE=",
    ],
)
def test_a_missing_or_unknown_token_is_refused(
    client: Client, org: Org, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = client.get("/api/v1/items", headers=headers)

    body = assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == "Bearer"
    assert body["message"] == "未登录或访问令牌无效、已过期，请重新获取令牌。"


def test_the_session_cookie_does_not_authenticate_the_api(client: Client, org: Org) -> None:
    # The API takes bearer tokens only, so a browser's session cannot be used
    # against it from another site (no CSRF exposure).
    client.force_login(org.office_supervisor)

    response = client.post("/api/v1/items", establish_body(org), content_type="application/json")

    assert_error(response, 401, "unauthorized")
    assert not Item.objects.exists()


def test_last_use_of_a_token_is_recorded(client: Client, org: Org, frozen_clock: Any) -> None:
    token = token_for(client, org.lead_liaison)

    frozen_clock.shift(dt.timedelta(minutes=5))
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert ApiToken.objects.get().last_used_at == MONDAY + dt.timedelta(minutes=5)


# ----------------------------------------------------------------------------- OpenAPI


def test_openapi_document_lists_every_endpoint(client: Client, db: Any) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "督办系统 API"
    assert document["info"]["version"] == "1"
    item_paths = {
        f"/api/v1/items/{{item_id}}/{action}"
        for action in (
            "assign",
            "sign-for",
            "return",
            "reassign",
            "change",
            "plan",
            "feedback",
            "contribution",
            "completion-report",
            "decline-report",
            "confirm-report",
            "review",
            "extension",
            "extension/decide",
            "adjust",
            "terminate",
            "urge",
            "recusal",
        )
    }
    assert item_paths | {
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/units",
        "/api/v1/items",
        "/api/v1/items/{item_id}",
        "/api/v1/notices",
        "/api/v1/notices/{notice_id}/read",
        "/api/v1/items/{item_id}/attachments",
        "/api/v1/attachments/{attachment_id}",
        # 分办 (R-A4)
        "/api/v1/items/{item_id}/parts",
        "/api/v1/items/{item_id}/parts/{part_id}/sign",
        "/api/v1/items/{item_id}/parts/{part_id}/report",
        "/api/v1/items/{item_id}/parts/{part_id}/urge",
        "/api/v1/items/{item_id}/parts/{part_id}/redate",
        # Spot checks (R-K1), circulars (R-K4), volumes and dossiers (R-K2)
        "/api/v1/spotchecks/draws",
        "/api/v1/spotchecks/draws/{draw_id}",
        "/api/v1/spotchecks/checks/{check_id}/record",
        "/api/v1/spotchecks/rectifications",
        "/api/v1/spotchecks/rectifications/{rectification_id}",
        "/api/v1/spotchecks/rectifications/{rectification_id}/submit",
        "/api/v1/spotchecks/rectifications/{rectification_id}/decide",
        "/api/v1/documents/circulars",
        "/api/v1/documents/volumes",
        "/api/v1/documents/volumes/to-file",
        "/api/v1/documents/volumes/{volume_id}",
        "/api/v1/documents/volumes/{volume_id}/index",
        "/api/v1/documents/dossiers/{item_id}",
        # Webhooks (duban.hooks, docs/api.md)
        "/api/v1/webhooks",
        "/api/v1/webhooks/{endpoint_id}",
        "/api/v1/webhooks/{endpoint_id}/deactivate",
        "/api/v1/webhooks/{endpoint_id}/activate",
        "/api/v1/webhooks/{endpoint_id}/secret",
        "/api/v1/webhooks/{endpoint_id}/ping",
        "/api/v1/webhooks/{endpoint_id}/deliveries",
        # Figures, ledger file and calendar (tests/test_api_reports.py and its siblings)
        *(path for _method, path in REPORTS_LEDGER_CALENDAR_OPERATIONS),
    } == set(document["paths"])
    assert document["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert "security" not in document["paths"]["/api/v1/auth/token"]["post"]
    assert document["paths"]["/api/v1/me"]["get"]["security"] == [{"BearerAuth": []}]


def test_there_are_no_docs_pages_that_would_need_a_cdn(client: Client, db: Any) -> None:
    for path in ("/api/v1/docs", "/api/v1/", "/api/v1/nothing-here"):
        assert_error(client.get(path), 404, "not_found")


def test_a_host_the_server_does_not_serve_is_a_json_refusal(client: Client, org: Org) -> None:
    """A Host header outside ALLOWED_HOSTS: Django refuses it in its middleware, before
    any view, with its HTML 400 page; under /api/ the refusal is the API's JSON, and
    nothing is done (a token asked for is not issued). Web pages keep Django's page."""

    for path in ("/api/v1/me", "/api/v1/items", "/api/v1/nothing"):
        response = client.get(path, HTTP_HOST="K")
        assert response["Content-Type"].startswith("application/json"), path
        assert_error(response, 400, "invalid")
    before = ApiToken.objects.count()
    response = client.post(
        "/api/v1/auth/token",
        {"username": org.lead_liaison.username, "password": PASSWORD},
        content_type="application/json",
        HTTP_HOST="bad host",
    )
    assert_error(response, 400, "invalid")
    assert ApiToken.objects.count() == before
    page = client.get("/items/", HTTP_HOST="K")
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")


def test_a_path_with_a_line_break_is_a_json_not_found(client: Client, db: Any) -> None:
    """A path parameter that is no id, a line break included (%0A: the catch-all's `.`
    did not match it, and Django answered its HTML page), is the API's JSON 404."""
    for path in (
        "/api/v1/%0D%0A",
        "/api/v1/nothing%0A",
        "/api/v1/reports/leaders/%0A/x",
        "/api/v1/webhooks/%0A/deliveries/%0A",
    ):
        response = client.get(path)
        assert response["Content-Type"].startswith("application/json"), path
        assert_error(response, 404, "not_found")


# ----------------------------------------------------------------------------- an item's life


def step(frozen_clock: Any, minutes: int = 30) -> None:
    """Let some time pass between two steps, so the timeline has distinct times."""
    frozen_clock.shift(dt.timedelta(minutes=minutes))


def test_an_item_lives_its_whole_life_through_the_api(
    as_person: Any, org: Org, frozen_clock: Any
) -> None:
    office = as_person(org.office_supervisor)
    lead_liaison = as_person(org.lead_liaison)
    lead_head = as_person(org.lead_head)
    cooperating = as_person(org.cooperating_liaison)

    # 立项: a meeting item whose minutes were issued today (R-D2: +10 working days).
    created = office.post("/items", establish_body(org))
    assert created.status_code == 201, created.content
    item = created.json()
    item_id = item["id"]
    assert item["status"] == "established"
    assert item["ledger_number"] == "督会〔2026〕第0001号"
    assert item["deadline"] == "2026-10-16"
    assert item["original_deadline"] == "2026-10-16"
    assert item["deadline_rule"] == "ten_workdays"
    assert item["deadline_provisional"] is False
    assert item["minutes_issued_on"] == "2026-09-28"
    assert item["lead_unit"] == {"id": org.lead_unit.pk, "name": "教务处"}
    assert item["cooperating_units"] == [{"id": org.cooperating_unit.pk, "name": "人事处"}]
    assert item["supervising_office"] == {"id": org.office.pk, "name": "党政办公室"}
    assert item["supervisor"] == "孙督办"
    assert item["allowed_actions"] == ["assign", "change", "adjust", "terminate"]

    step(frozen_clock)
    assigned = office.post(f"/items/{item_id}/assign")
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["status"] == "assigned"

    step(frozen_clock)
    assert lead_liaison.get(f"/items/{item_id}").json()["allowed_actions"] == [
        "sign_for",
        "return",
        "request_extension",
    ]
    signed = lead_liaison.post(f"/items/{item_id}/sign-for")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "in_progress"

    step(frozen_clock)
    planned = lead_liaison.post(
        f"/items/{item_id}/plan",
        {
            "goals": "10月中旬前完成培养方案修订并报送",
            "milestones": [
                {"title": "完成调研", "due_on": "2026-10-09"},
                {"title": "提交学术委员会审议", "due_on": "2026-10-15"},
            ],
        },
    )
    assert planned.status_code == 200, planned.content
    (plan,) = planned.json()["plans"]
    assert plan["goals"] == "10月中旬前完成培养方案修订并报送"
    assert plan["author"] == "周联络"
    assert plan["current"] is True
    assert plan["milestones"] == [
        {"title": "完成调研", "due_on": "2026-10-09"},
        {"title": "提交学术委员会审议", "due_on": "2026-10-15"},
    ]

    step(frozen_clock)
    fed_back = lead_liaison.post(f"/items/{item_id}/feedback", {"text": "已完成调研。"})
    assert fed_back.status_code == 200, fed_back.content

    step(frozen_clock)
    contributed = cooperating.post(
        f"/items/{item_id}/contribution", {"text": "人事处已核定师资配置。"}
    )
    assert contributed.status_code == 200, contributed.content
    contribution = contributed.json()["feedback"][-1]
    assert contribution["kind"] == "contribution"
    assert contribution["unit"] == {"id": org.cooperating_unit.pk, "name": "人事处"}

    step(frozen_clock)
    drafted = lead_liaison.post(
        f"/items/{item_id}/completion-report", {"text": "培养方案已修订完成并印发。"}
    )
    assert drafted.status_code == 200, drafted.content
    assert drafted.json()["status"] == "in_progress"

    step(frozen_clock)
    assert "confirm_report" in lead_head.get(f"/items/{item_id}").json()["allowed_actions"]
    confirmed = lead_head.post(f"/items/{item_id}/confirm-report")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "submitted"

    step(frozen_clock)
    accepted = office.post(f"/items/{item_id}/review", {"accept": True, "comment": "同意办结。"})
    assert accepted.status_code == 200, accepted.content
    final = accepted.json()

    assert final["status"] == "completed"
    assert final["status_label"] == "已办结"
    assert final["allowed_actions"] == []
    assert final["completed_at"] == "2026-09-28T14:00:00+08:00"
    assert [(entry["verb"], entry["actor"]) for entry in final["timeline"]] == [
        ("establish", "孙督办"),
        ("assign", "孙督办"),
        ("sign_for", "周联络"),
        ("record_plan", "周联络"),
        ("submit_feedback", "周联络"),
        ("report_contribution", "郑联络"),
        ("draft_completion_report", "周联络"),
        ("confirm_report", "李处长"),
        ("accept_report", "孙督办"),
    ]
    times = [entry["created_at"] for entry in final["timeline"]]
    assert times == sorted(times)
    assert times[0] == "2026-09-28T10:00:00+08:00"
    assert (
        final["timeline"][0]["summary"] == "立项，台账编号督会〔2026〕第0001号，办结时限2026-10-16"
    )

    progress, contribution, report = final["feedback"]
    assert (progress["kind"], progress["text"]) == ("progress", "已完成调研。")
    assert report["kind"] == "completion"
    assert report["status"] == "accepted"
    assert report["author"] == "周联络"
    assert report["confirmed_by"] == "李处长"
    assert report["confirmed_at"] == "2026-09-28T13:30:00+08:00"
    assert report["reviewed_by"] == "孙督办"
    assert report["review_comment"] == "同意办结。"
    assert report["contributions"] == [contribution["id"]]  # R-F1: the report shows them

    assert Item.objects.get(pk=item_id).status == Status.COMPLETED


def test_a_returned_item_is_reassigned_and_changed_through_the_api(
    as_person: Any, org: Org, item: Item
) -> None:
    office = as_person(org.office_supervisor)
    lead_liaison = as_person(org.lead_liaison)
    office.post(f"/items/{item.pk}/assign")

    returned = lead_liaison.post(f"/items/{item.pk}/return", {"reason": "不属于本单位职责"})
    reassigned = office.post(
        f"/items/{item.pk}/reassign",
        {
            "note": "改由财务处承办",
            "lead_unit": org.other_unit.pk,
            "cooperating_units": [org.cooperating_unit.pk],
        },
    )
    changed = office.post(
        f"/items/{item.pk}/change",
        {"reason": "会议决定延后", "deadline": "2026-10-30", "title": "修订培养方案"},
    )

    assert returned.status_code == 200
    assert returned.json()["status"] == "returned"
    assert reassigned.status_code == 200, reassigned.content
    assert reassigned.json()["lead_unit"] == {"id": org.other_unit.pk, "name": "财务处"}
    assert changed.status_code == 200, changed.content
    detail = changed.json()
    assert detail["title"] == "修订培养方案"
    assert detail["deadline"] == "2026-10-30"
    assert detail["original_deadline"] == "2026-10-16"
    assert [
        (change["field"], change["old_value"], change["new_value"]) for change in detail["changes"]
    ] == [
        ("lead_unit", "教务处", "财务处"),
        ("title", "修订本科生培养方案", "修订培养方案"),
        ("deadline", "2026-10-16", "2026-10-30"),
    ]
    assert detail["changes"][-1]["changed_by"] == "孙督办"
    assert detail["changes"][-1]["reason"] == "会议决定延后"
    # The old lead unit no longer sees the item: it answers like a missing one.
    assert_error(lead_liaison.get(f"/items/{item.pk}"), 404, "not_found")


def test_the_head_declines_a_draft_report(as_person: Any, org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    as_person(org.lead_liaison).post(f"/items/{item.pk}/completion-report", {"text": "初稿"})

    declined = as_person(org.lead_head).post(
        f"/items/{item.pk}/decline-report", {"reason": "请补充数据"}
    )

    assert declined.status_code == 200, declined.content
    (report,) = declined.json()["feedback"]
    assert (report["status"], report["review_comment"]) == ("declined", "请补充数据")


def test_an_other_item_names_its_deciding_leader(as_person: Any, org: Org) -> None:
    body = establish_body(
        org,
        source_kind="other",
        source_body="instruction",
        minutes_issued_on=None,
        instruction_deadline="2026-11-30",
        deciding_leader=org.leader_in_charge.pk,
        decided_on="2026-09-25",
        urgent=True,
        cooperating_units=[],
    )

    response = as_person(org.office_supervisor).post("/items", body)

    assert response.status_code == 201, response.content
    detail = response.json()
    assert detail["ledger_number"] == "督交〔2026〕第0001号"
    assert detail["deciding_leader"] == "王校长"
    assert detail["deciding_leader_id"] == org.leader_in_charge.pk
    assert detail["decided_on"] == "2026-09-25"
    assert detail["deadline"] == "2026-11-30"
    assert detail["deadline_rule"] == "instruction"
    assert detail["urgent"] is True
    assert detail["cooperating_units"] == []


# ----------------------------------------------------------------------------- the ledger


def ledger(api: Api, **params: Any) -> list[str]:
    response = api.get("/items", **params)
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.fixture
def ledger_items(org: Org, frozen_clock: Any) -> dict[str, Item]:
    """Items of each kind, state and unit; one of them overdue by today (2026-10-20)."""
    items = {
        "meeting": establish(org, title="会议事项"),
        "annual": establish(
            org,
            title="年度重点工作",
            source_kind="annual",
            source_body="work_points",
            minutes_issued_on=None,
            year=2027,
        ),
        "other_unit": establish(
            org, title="财务处事项", lead_unit=org.other_unit, cooperating_units=[]
        ),
        "in_progress": advance(org, establish(org, title="办理中事项"), Status.IN_PROGRESS),
        "completed": advance(org, establish(org, title="已办结事项"), Status.COMPLETED),
        "keyword": establish(org, title="事项甲", content="关于实验室安全检查的安排"),
    }
    frozen_clock.move_to(dt.datetime(2026, 10, 20, 10, 0, tzinfo=SHANGHAI))
    items["later"] = establish(
        org, title="后立项事项", minutes_issued_on=dt.date(2026, 10, 20)
    )  # deadline 2026-11-03: not overdue
    return items


def test_the_ledger_filters(as_person: Any, org: Org, ledger_items: dict[str, Item]) -> None:
    office = as_person(org.office_supervisor)
    overdue = {"会议事项", "财务处事项", "办理中事项", "事项甲"}  # deadline 2026-10-16, active

    assert set(ledger(office)) == {item.title for item in ledger_items.values()}
    assert ledger(office, year=2027) == ["年度重点工作"]
    assert ledger(office, source_kind="annual") == ["年度重点工作"]
    assert ledger(office, status="in_progress") == ["办理中事项"]
    assert ledger(office, status="completed") == ["已办结事项"]
    assert ledger(office, lead_unit=org.other_unit.pk) == ["财务处事项"]
    assert set(ledger(office, overdue="true")) == overdue
    assert set(ledger(office, overdue="false")) == {
        "年度重点工作",
        "已办结事项",
        "后立项事项",
    }
    assert ledger(office, q="实验室") == ["事项甲"]
    assert ledger(office, q=ledger_items["annual"].ledger_number) == ["年度重点工作"]
    assert ledger(office, q="会议", source_kind="meeting") == ["会议事项"]
    assert ledger(office, q="没有这个词") == []
    row = office.get("/items", q="会议事项").json()["results"][0]
    assert row["overdue"] is True
    assert row["deadline"] == "2026-10-16"
    assert row["status_label"] == "已立项"
    assert row["source_kind_label"] == "会议决定事项"


def test_the_ledger_shows_only_visible_items(
    as_person: Any, org: Org, ledger_items: dict[str, Item]
) -> None:
    # R-C5: a unit sees the items it leads or cooperates on, nothing else.
    assert ledger(as_person(org.other_unit_liaison)) == ["财务处事项"]
    assert "财务处事项" not in ledger(as_person(org.cooperating_liaison))
    assert len(ledger(as_person(org.cooperating_liaison))) == len(ledger_items) - 1
    assert ledger(as_person(org.system_admin)) == []


def test_the_ledger_is_paged(as_person: Any, org: Org) -> None:
    for number in range(5):
        establish(org, title=f"事项{number}")
    office = as_person(org.office_supervisor)

    first = office.get("/items", page_size=2).json()
    third = office.get("/items", page_size=2, page=3).json()
    beyond = office.get("/items", page_size=2, page=4).json()
    default = office.get("/items").json()

    assert (first["count"], first["page"], first["page_size"]) == (5, 1, 2)
    assert [row["title"] for row in first["results"]] == ["事项4", "事项3"]
    assert [row["title"] for row in third["results"]] == ["事项0"]
    assert beyond["results"] == []
    assert beyond["count"] == 5
    assert default["page_size"] == 20
    assert len(default["results"]) == 5


def test_the_ledger_counts_up_to_a_bound_and_says_there_are_more(
    as_person: Any, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the ledger's pages (duban.web.paging): `count` stops at the bound and `more`
    says there are others; every page up to the bound still lists its rows."""
    monkeypatch.setattr("duban.api.items.COUNT_LIMIT", 3)
    for number in range(5):
        establish(org, title=f"事项{number}")
    office = as_person(org.office_supervisor)

    everything = office.get("/items", page_size=2).json()
    third = office.get("/items", page_size=2, page=3).json()
    few = office.get("/items", q="事项4").json()

    assert (everything["count"], everything["more"]) == (3, True)
    assert [row["title"] for row in third["results"]] == ["事项0"]
    assert (few["count"], few["more"]) == (1, False)


@pytest.mark.parametrize("rows", [3, 30])
def test_the_ledger_query_count_does_not_grow_with_rows(
    as_person: Any, org: Org, django_assert_max_num_queries: Any, rows: int
) -> None:
    for number in range(rows):
        establish(org, title=f"事项{number}", urgent=number % 2 == 0)
    office = as_person(org.office_supervisor)
    liaison = as_person(org.cooperating_liaison)

    # token, last-used write, the lights' calendar dates (years, days), count, page,
    # cooperating units
    with django_assert_max_num_queries(7) as queries:
        response = office.get("/items", page_size=100)
    # The page reads the columns the summary shows, not the items' long texts.
    page_sql = [q["sql"] for q in queries.captured_queries if '"items_item"."title"' in q["sql"]]
    assert len(page_sql) == 1 and '"items_item"."content"' not in page_sql[0]
    assert '"items_item"."basis"' not in page_sql[0]
    # + the units whose name or alias holds the keyword (a search matches their items)
    with django_assert_max_num_queries(8):
        liaison_response = liaison.get("/items", page_size=100, q="事项")

    assert response.json()["count"] == rows
    assert len(liaison_response.json()["results"]) == rows


@pytest.mark.parametrize("steps", [1, 10])
def test_the_detail_query_count_does_not_grow_with_its_record(
    as_person: Any, org: Org, item: Item, django_assert_max_num_queries: Any, steps: int
) -> None:
    advance(org, item, Status.IN_PROGRESS)
    milestones = [
        actions.MilestoneInput(f"节点{number}", dt.date(2026, 10, 9)) for number in range(steps)
    ]
    actions.record_plan(org.lead_liaison, item, "目标", milestones)
    actions.record_plan(org.lead_liaison, item, "新目标", milestones)
    for number in range(steps):
        actions.submit_feedback(org.lead_liaison, item, f"进展{number}")
        actions.report_contribution(org.cooperating_liaison, item, f"配合{number}")
    actions.draft_completion_report(org.lead_liaison, item, "办结")
    lead_head = as_person(org.lead_head)

    # token, last-used write, the light's calendar dates (years, days), item (with its
    # extension request), cooperating units, events, changes, plans, milestones,
    # feedback, contributions, adjustments, urges
    with django_assert_max_num_queries(15):
        response = lead_head.get(f"/items/{item.pk}")

    assert response.status_code == 200
    detail = response.json()
    assert len(detail["feedback"]) == 2 * steps + 1
    assert len(detail["feedback"][-1]["contributions"]) == 1  # the current contribution
    assert [plan["current"] for plan in detail["plans"]] == [False, True]
    assert len(detail["plans"][1]["milestones"]) == steps


def test_units_are_listed_with_their_people(as_person: Any, org: Org) -> None:
    response = as_person(org.lead_liaison).get("/units")

    assert response.status_code == 200
    assert response.json()[1] == {
        "id": org.lead_unit.pk,
        "code": "0200",
        "name": "教务处",
        "kind": "department",
        "kind_label": "职能部门",
        "is_active": True,
        "head": "李处长",
        "liaison": "周联络",
        "leader_in_charge": "王校长",
    }
    assert [unit["code"] for unit in response.json()] == ["0100", "0200", "0300", "0400"]


# ----------------------------------------------------------------------------- the inbox


def test_the_inbox_lists_notices_newest_first_and_marks_them_read(
    as_person: Any, org: Org, item: Item, frozen_clock: Any
) -> None:
    advance(org, item, Status.ASSIGNED)  # notices the lead liaison
    frozen_clock.shift(dt.timedelta(hours=1))
    second = establish(org, title="第二个事项")
    advance(org, second, Status.ASSIGNED)
    lead_liaison = as_person(org.lead_liaison)

    inbox = lead_liaison.get("/notices").json()
    newest = inbox["results"][0]
    marked = lead_liaison.post(f"/notices/{newest['id']}/read")
    marked_again = lead_liaison.post(f"/notices/{newest['id']}/read")
    after = lead_liaison.get("/notices").json()
    unread_only = lead_liaison.get("/notices", unread="true").json()

    assert (inbox["count"], inbox["unread"]) == (2, 2)
    assert newest["title"] == "新交办督办事项：第二个事项"
    assert newest["item_id"] == second.pk
    assert newest["read_at"] is None
    assert marked.status_code == 200
    assert marked.json()["read_at"] == "2026-09-28T11:00:00+08:00"
    assert marked_again.json()["read_at"] == "2026-09-28T11:00:00+08:00"
    assert (after["count"], after["unread"]) == (2, 1)
    assert [row["item_id"] for row in unread_only["results"]] == [item.pk]


def test_nobody_reads_another_persons_notice(as_person: Any, org: Org, item: Item) -> None:
    advance(org, item, Status.ASSIGNED)
    notice = Notice.objects.filter(recipient=org.lead_liaison).get()

    response = as_person(org.other_unit_liaison).post(f"/notices/{notice.pk}/read")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "通知不存在。"}
    notice.refresh_from_db()
    assert notice.read_at is None


def test_notices_about_an_item_no_longer_visible_are_hidden(
    as_person: Any, org: Org, item: Item
) -> None:
    # R-C5: notifications go through the visibility rule too.
    advance(org, item, Status.RETURNED)
    actions.reassign_item(org.office_supervisor, item, note="改派", lead_unit=org.other_unit)
    lead_liaison = as_person(org.lead_liaison)
    notice = Notice.objects.filter(recipient=org.lead_liaison).get()

    inbox = lead_liaison.get("/notices").json()
    read = lead_liaison.post(f"/notices/{notice.pk}/read")

    assert (inbox["count"], inbox["unread"]) == (0, 0)
    assert read.status_code == 404


def test_token_issue_is_audited(client: Client, org: Org) -> None:
    token_for(client, org.lead_liaison)

    event = AuditEvent.objects.get(verb="issue_api_token")
    assert event.actor == org.lead_liaison
    assert event.item is None
