"""Refusals through the API: each answers with its exact status, code and Chinese
message, and changes nothing. Hidden items answer exactly like missing ones (R-C5).
Garbage input never gets a 500 or an HTML page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from duban.api.models import ApiToken
from duban.audit.models import AuditEvent
from duban.items.models import Feedback, Item, ItemChange, LedgerCounter, Notice, WorkPlan
from duban.items.states import Status
from tests.conftest import Org, advance
from tests.test_api import Api, assert_error, establish_body, monday_clock, token_for


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    yield from monday_clock()


@pytest.fixture
def as_person(client: Client) -> Any:
    return lambda user: Api(client, user)


def snapshot(item: Item) -> tuple[Any, ...]:
    """Everything an action on `item` could change."""
    return (
        Item.objects.filter(pk=item.pk).values().get(),
        sorted(item.cooperating_units.values_list("pk", flat=True)),
        AuditEvent.objects.filter(item=item).count(),
        Notice.objects.count(),
        list(Feedback.objects.values_list("pk", "status").order_by("pk")),
        WorkPlan.objects.count(),
        ItemChange.objects.count(),
    )


def ledger_state() -> tuple[Any, ...]:
    return (
        Item.objects.count(),
        AuditEvent.objects.count(),
        list(LedgerCounter.objects.values_list("year", "source_kind", "last_number")),
    )


# ----------------------------------------------------------------------------- actions refused

REFUSALS = [
    # (who, item status, path, body, status, code, message, field errors)
    (
        "lead_liaison",
        Status.ESTABLISHED,
        "assign",
        None,
        403,
        "forbidden",
        "只有本事项的督办部门督办员可以交办。",
        None,
    ),
    (
        "cooperating_liaison",
        Status.ASSIGNED,
        "sign-for",
        None,
        403,
        "forbidden",
        "只有承办单位的联络员或第一责任人可以签收。",
        None,
    ),
    (
        "lead_liaison",
        Status.ESTABLISHED,
        "sign-for",
        None,
        409,
        "invalid_state",
        "事项当前状态为“已立项”，不能执行此操作。",
        None,
    ),
    (
        "lead_liaison",
        Status.ASSIGNED,
        "return",
        {},
        400,
        "invalid",
        "请求数据有误，请检查以下字段：reason。",
        {"reason": "此项为必填项。"},
    ),
    (
        "lead_liaison",
        Status.ASSIGNED,
        "return",
        {"reason": "   "},
        400,
        "invalid",
        "请填写退回理由。",
        {"reason": "此项为必填项。"},
    ),
    (
        "lead_liaison",
        Status.ASSIGNED,
        "return",
        None,
        400,
        "invalid",
        "请求数据有误，请检查以下字段：body。",
        {"body": "此项为必填项。"},
    ),
    (
        "lead_head",
        Status.IN_PROGRESS,
        "confirm-report",
        None,
        400,
        "invalid",
        "没有待确认的办结报告。",
        None,
    ),
    (
        "lead_liaison",
        Status.IN_PROGRESS,
        "confirm-report",
        None,
        403,
        "forbidden",
        "只有承办单位的第一责任人可以确认办结报告。",
        None,
    ),
    (
        "office_supervisor",
        Status.IN_PROGRESS,
        "review",
        {"accept": True},
        409,
        "invalid_state",
        "事项当前状态为“办理中”，不能执行此操作。",
        None,
    ),
    (
        "office_supervisor",
        Status.SUBMITTED,
        "review",
        {"accept": False, "comment": ""},
        400,
        "invalid",
        "请填写退回理由。",
        {"comment": "此项为必填项。"},
    ),
    (
        "lead_liaison",
        Status.SUBMITTED,
        "review",
        {"accept": True},
        403,
        "forbidden",
        "只有本事项的督办部门督办员可以审核办结报告。",
        None,
    ),
    (
        "cooperating_liaison",
        Status.ASSIGNED,
        "contribution",
        {"text": "配合情况"},
        409,
        "invalid_state",
        "事项当前状态为“已交办”，不能执行此操作。",
        None,
    ),
    (
        "lead_liaison",
        Status.IN_PROGRESS,
        "contribution",
        {"text": "配合情况"},
        403,
        "forbidden",
        "只有配合单位的联络员或第一责任人可以报送配合情况。",
        None,
    ),
    (
        "lead_liaison",
        Status.IN_PROGRESS,
        "plan",
        {"goals": "目标", "milestones": [{"title": "节点", "due_on": "2026-12-01"}]},
        400,
        "invalid",
        "第1个节点的日期2026-12-01晚于办结时限2026-10-16。",
        {"milestones": "节点日期不能晚于办结时限。"},
    ),
    (
        "lead_liaison",
        Status.IN_PROGRESS,
        "plan",
        {"goals": "目标", "milestones": [{"title": "节点", "due_on": "2026-02-30"}]},
        400,
        "invalid",
        "请求数据有误，请检查以下字段：milestones.0.due_on。",
        {"milestones.0.due_on": "日期无效，请使用YYYY-MM-DD格式的有效日期。"},
    ),
    (
        "lead_liaison",
        Status.IN_PROGRESS,
        "plan",
        {"goals": "目标", "milestones": []},
        400,
        "invalid",
        "工作计划至少需要一个时间节点。",
        {"milestones": "请填写时间节点。"},
    ),
    (
        "office_supervisor",
        Status.RETURNED,
        "reassign",
        {"note": "改派", "lead_unit": 999_999},
        400,
        "invalid",
        "单位不存在。",
        {"lead_unit": "没有编号为999999的单位。"},
    ),
    (
        "office_supervisor",
        Status.RETURNED,
        "reassign",
        {"note": "改派", "cooperating_units": [999_998, 999_999]},
        400,
        "invalid",
        "单位不存在。",
        {"cooperating_units": "没有编号为999998、999999的单位。"},
    ),
    (
        "office_supervisor",
        Status.ASSIGNED,
        "change",
        {"reason": "调整", "authorised_by": 999_999, "title": "新名称"},
        400,
        "invalid",
        "人员不存在。",
        {"authorised_by": "没有编号为999999的人员。"},
    ),
    (
        "office_supervisor",
        Status.ASSIGNED,
        "change",
        {"reason": "调整", "deadline": "2026-09-01"},
        400,
        "invalid",
        "新的办结时限不能早于今天。",
        {"deadline": "请填写不早于今天的日期。"},
    ),
    (
        "office_supervisor",
        Status.ASSIGNED,
        "change",
        {"reason": "调整"},
        400,
        "invalid",
        "没有需要变更的内容。",
        dict.fromkeys(("title", "content", "basis", "deadline"), "请填写与原值不同的内容。"),
    ),
    (
        "lead_head",
        Status.IN_PROGRESS,
        "decline-report",
        {"reason": "请补充"},
        400,
        "invalid",
        "没有待确认的办结报告。",
        None,
    ),
]


@pytest.mark.parametrize(
    ("who", "status", "action", "body", "http_status", "code", "message", "errors"),
    REFUSALS,
    ids=[f"{row[0]}-{row[2]}-{row[1]}-{row[4]}" for row in REFUSALS],
)
def test_a_refused_action_answers_exactly_and_changes_nothing(
    as_person: Any,
    org: Org,
    item: Item,
    who: str,
    status: str,
    action: str,
    body: Any,
    http_status: int,
    code: str,
    message: str,
    errors: dict[str, str] | None,
) -> None:
    advance(org, item, status)
    api = as_person(getattr(org, who))
    before = snapshot(item)

    response = api.post(f"/items/{item.pk}/{action}", body)

    answer = assert_error(response, http_status, code)
    assert answer["message"] == message
    assert answer.get("errors") == errors
    assert snapshot(item) == before


# ----------------------------------------------------------------------------- establishing refused


@pytest.mark.parametrize(
    ("who", "overrides", "http_status", "code", "message", "errors"),
    [
        (
            "office_supervisor",
            {"minutes_issued_on": "2026-13-45"},
            400,
            "invalid",
            "请求数据有误，请检查以下字段：minutes_issued_on。",
            {"minutes_issued_on": "日期无效，请使用YYYY-MM-DD格式的有效日期。"},
        ),
        (
            "office_supervisor",
            {"minutes_issued_on": "28/09/2026"},
            400,
            "invalid",
            "请求数据有误，请检查以下字段：minutes_issued_on。",
            {"minutes_issued_on": "日期无效，请使用YYYY-MM-DD格式的有效日期。"},
        ),
        (
            "office_supervisor",
            {"title": None, "lead_unit": "教务处"},
            400,
            "invalid",
            "请求数据有误，请检查以下字段：title、lead_unit。",
            {"title": "请填写文本。", "lead_unit": "请填写整数。"},
        ),
        (
            "office_supervisor",
            {"source_kind": "rumour"},
            400,
            "invalid",
            "请求数据有误，请检查以下字段：source_kind。",
            {"source_kind": "取值无效，可选值：meeting、annual、other。"},
        ),
        (
            "office_supervisor",
            {"title": "   "},
            400,
            "invalid",
            "请填写事项名称。",
            {"title": "此项为必填项。"},
        ),
        (
            "office_supervisor",
            {"lead_unit": 999_999},
            400,
            "invalid",
            "单位不存在。",
            {"lead_unit": "没有编号为999999的单位。"},
        ),
        (
            "office_supervisor",
            {"cooperating_units": [999_999]},
            400,
            "invalid",
            "单位不存在。",
            {"cooperating_units": "没有编号为999999的单位。"},
        ),
        (
            "office_supervisor",
            {
                "source_kind": "other",
                "source_body": "instruction",
                "instruction_deadline": "2026-11-30",
                "decided_on": "2026-09-25",
                "deciding_leader": 999_999,
            },
            400,
            "invalid",
            "人员不存在。",
            {"deciding_leader": "没有编号为999999的人员。"},
        ),
        (
            "office_supervisor",
            {"minutes_issued_on": "2026-01-05"},
            400,
            "invalid",
            "按所填信息计算的办结时限（2026-01-19）早于今天，"
            "请由督办部门根据实际确定时限并写明理由。",
            {"office_deadline": "请填写不早于今天的办结时限。"},
        ),
        (
            "lead_liaison",
            {},
            403,
            "forbidden",
            "只有党政办公室的督办员可以立项。",
            None,
        ),
    ],
)
def test_a_refused_establishment_answers_exactly_and_creates_nothing(
    as_person: Any,
    org: Org,
    who: str,
    overrides: dict[str, Any],
    http_status: int,
    code: str,
    message: str,
    errors: dict[str, str] | None,
) -> None:
    api = as_person(getattr(org, who))
    before = ledger_state()

    response = api.post("/items", establish_body(org, **overrides))

    answer = assert_error(response, http_status, code)
    assert answer["message"] == message
    assert answer.get("errors") == errors
    assert ledger_state() == before


# ----------------------------------------------------------------------------- hidden = missing


def test_an_invisible_item_answers_exactly_like_a_missing_one(
    as_person: Any, org: Org, item: Item
) -> None:
    # R-C5: other_unit_liaison's unit neither leads nor cooperates on the item.
    advance(org, item, Status.ASSIGNED)
    outsider = as_person(org.other_unit_liaison)
    missing_id = Item.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    before = snapshot(item)

    hidden_detail = outsider.get(f"/items/{item.pk}")
    missing_detail = outsider.get(f"/items/{missing_id}")
    hidden_action = outsider.post(f"/items/{item.pk}/sign-for")
    missing_action = outsider.post(f"/items/{missing_id}/sign-for")
    hidden_return = outsider.post(f"/items/{item.pk}/return", {"reason": "不是我们的"})
    listed = outsider.get("/items").json()

    expected = {"code": "not_found", "message": "督办事项不存在。"}
    for response in (hidden_detail, missing_detail, hidden_action, missing_action, hidden_return):
        assert response.status_code == 404
        assert response.json() == expected
    assert hidden_detail.content == missing_detail.content
    assert hidden_action.content == missing_action.content
    assert listed == {"count": 0, "more": False, "page": 1, "page_size": 20, "results": []}
    assert snapshot(item) == before


def test_an_unknown_item_id_is_404_for_everyone(as_person: Any, org: Org) -> None:
    office = as_person(org.office_supervisor)

    for path in ("/items/424242", "/items/0", "/items/-1"):
        body = assert_error(office.get(path), 404, "not_found")
        assert body["message"] == "督办事项不存在。"
    assert_error(office.post("/items/424242/assign"), 404, "not_found")


# ----------------------------------------------------------------------------- garbage in


def raw_post(client: Client, path: str, body: bytes | str, headers: dict[str, str]) -> Any:
    return client.post(path, body, content_type="application/json", headers=headers)


GARBAGE_QUERIES = [
    {"page": "-1"},
    {"page": "0"},
    {"page": "abc"},
    {"page": "99999999999999999999999"},
    {"page_size": "1000"},
    {"page_size": "0"},
    {"year": "abc"},
    {"year": "99999999999"},
    {"overdue": "maybe"},
    {"status": "nonsense"},
    {"source_kind": "x"},
    {"lead_unit": "99999999999999999999999"},
    {"lead_unit": "-3"},
    {"q": "a\x00b"},
    {"q": "x" * 1000},
]


@pytest.mark.parametrize(
    "params", GARBAGE_QUERIES, ids=[str(params)[:40] for params in GARBAGE_QUERIES]
)
def test_garbage_query_parameters_are_400_json(as_person: Any, org: Org, params: Any) -> None:
    response = as_person(org.office_supervisor).get("/items", **params)

    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == set(params)


GARBAGE_BODIES: list[tuple[str, bytes | str]] = [
    ("/items", "{not json"),
    ("/items", b"\xff\xfe\x00"),
    ("/items", "[]"),
    ("/items", "null"),
    ("/items", '"a string"'),
    ("/items", "12"),
    ("/items", json.dumps({"title": 123})),
    ("/items", json.dumps({"lead_unit": 10**30})),
    ("/items", json.dumps({"lead_unit": -1})),
    ("/items", json.dumps({"cooperating_units": "人事处"})),
    ("/items", json.dumps({"title": "a\x00b"})),
    ("/items", json.dumps({"urgent": "yes"})),
    ("/items", json.dumps({"year": 10**12})),
    ("/items/{item}/review", json.dumps({"accept": "yes"})),
    ("/items/{item}/review", json.dumps({"accept": None})),
    ("/items/{item}/plan", json.dumps({"goals": "g", "milestones": "tomorrow"})),
    ("/items/{item}/plan", json.dumps({"goals": "g", "milestones": [{"due_on": 3.5}]})),
    ("/items/{item}/reassign", json.dumps({"note": "n", "lead_unit": [1]})),
    ("/items/{item}/change", json.dumps({"reason": "r", "deadline": "tomorrow"})),
    ("/items/{item}/return", json.dumps({"reason": {"nested": True}})),
    ("/items/{item}/feedback", json.dumps({"text": ["a"]})),
    ("/auth/token", "{}"),
    ("/auth/token", json.dumps({"username": ["a"], "password": 1})),
    ("/auth/token", json.dumps({"username": "a\x00", "password": "b"})),
    ("/auth/token", ""),
]


@pytest.mark.parametrize(
    ("path", "body"), GARBAGE_BODIES, ids=[f"{path}:{body!r}"[:50] for path, body in GARBAGE_BODIES]
)
def test_garbage_bodies_are_400_json(
    client: Client, org: Org, item: Item, path: str, body: bytes | str
) -> None:
    headers = {"Authorization": f"Bearer {token_for(client, org.office_supervisor)}"}
    before = snapshot(item)

    response = raw_post(client, "/api/v1" + path.format(item=item.pk), body, headers)

    assert_error(response, 400, "invalid")
    assert snapshot(item) == before


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/items/abc", 404, "not_found"),
        ("get", "/api/v1/items/99999999999999999999999", 404, "not_found"),
        ("post", "/api/v1/items/1.5/assign", 404, "not_found"),
        ("post", "/api/v1/notices/abc/read", 404, "not_found"),
        ("post", "/api/v1/notices/99999999999999999999999/read", 404, "not_found"),
        ("put", "/api/v1/items", 405, "method_not_allowed"),
        ("delete", "/api/v1/items/1", 405, "method_not_allowed"),
        ("get", "/api/v1/items/1/assign", 405, "method_not_allowed"),
        ("get", "/api/v1/items/", 404, "not_found"),
        ("post", "/api/v1/items/1/archive", 404, "not_found"),
        ("get", "/api/v1/nowhere", 404, "not_found"),
    ],
)
def test_wrong_paths_and_methods_answer_json(
    client: Client, org: Org, method: str, path: str, status: int, code: str
) -> None:
    headers = {"Authorization": f"Bearer {token_for(client, org.office_supervisor)}"}

    response = getattr(client, method)(path, headers=headers)

    assert_error(response, status, code)


def test_a_post_without_csrf_token_still_gets_json(org: Org) -> None:
    # Browsers' CSRF protection is for cookie sessions; the API takes tokens only,
    # so its endpoints need no CSRF token, and unknown paths still answer JSON.
    client = Client(enforce_csrf_checks=True)
    token = token_for(client, org.office_supervisor)
    headers = {"Authorization": f"Bearer {token}"}

    created = client.post(
        "/api/v1/items", establish_body(org), content_type="application/json", headers=headers
    )
    unknown = client.post("/api/v1/unknown", {}, content_type="application/json", headers=headers)

    assert created.status_code == 201
    assert_error(unknown, 404, "not_found")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer тест", "Bearer a\tb", "Bearer " + "a" * 5000, "bearer  x  y"],
)
def test_odd_authorization_headers_are_401(client: Client, org: Org, authorization: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": authorization})

    assert_error(response, 401, "unauthorized")
    assert ApiToken.objects.count() == 0
