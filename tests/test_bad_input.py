"""Bad input (issue 4, "Tests"): script injection in every text field, SQL-looking
filters, oversized and malformed input, malformed dates, unknown and malformed ids.
Each gets a clear 4xx with a Chinese message and changes nothing; every text that is
stored comes back escaped wherever it is shown.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from duban import clock
from duban.api.tokens import issue_token
from duban.attachments.models import Attachment
from duban.items.models import Item, Notice
from duban.organisation.models import User

from .conftest import Org
from .test_authorization_matrix import differences, state

CHINESE_MESSAGE = "请"  # every refusal asks the person to do something: 请填写…, 请选择…
RAW_MARKUP = ("<script>alert(", "<img src=x onerror")


def payload(field: str) -> str:
    """Both classic injections, marked with the field they were typed into."""
    return f'{field}:<script>alert("{field}")</script>"><img src=x onerror=alert("{field}")>'


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_token(user)[0]}"})


class People:
    """Everyone of `org`, signed in once, on the pages and (with a token) the API,
    before a test takes its snapshot: signing in is not a change under test."""

    def __init__(self, org: Org) -> None:
        names = [
            "office_supervisor",
            "lead_liaison",
            "lead_head",
            "cooperating_liaison",
            "other_unit_liaison",
        ]
        self.pages = {name: page_client(getattr(org, name)) for name in names}
        self.apis = {name: api_client(getattr(org, name)) for name in names}

    def page(self, name: str) -> Client:
        return self.pages[name]

    def api(self, name: str) -> Client:
        return self.apis[name]


@pytest.fixture
def people(org: Org) -> People:
    return People(org)


@pytest.fixture(autouse=True)
def attachments_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENT_ROOT = tmp_path


# ----------------------------------------------------------------------------- every text field


@dataclass
class Step:
    """One action of an item's life, with the text fields it stores."""

    actor: str  # the Org attribute of who takes it
    page: tuple[str, dict[str, Any]]  # (item action, form) on the item page
    api: tuple[str, dict[str, Any] | None]  # (endpoint after /items/<id>/, JSON body)
    fields: tuple[str, ...] = ()


def lifecycle(org: Org, deadline: dt.date) -> list[Step]:
    """Every text field of every action form and body, in an order the item can take."""
    v = payload
    today = clock.today().isoformat()
    later = (deadline + dt.timedelta(days=20)).isoformat()
    change = {
        "reason": v("change_reason"),
        "title": v("change_title"),
        "content": v("change_content"),
        "basis": v("change_basis"),
    }
    adjust = {
        "decision_kind": "meeting",
        "meeting_date": today,
        "meeting_name": v("adjust_meeting"),
        "basis": v("adjust_basis"),
        "reason": v("adjust_reason"),
        "new_content": v("adjust_content"),
    }
    return [
        Step("office_supervisor", ("assign", {}), ("assign", None)),
        Step(
            "lead_liaison",
            ("return", {"reason": v("return")}),
            ("return", {"reason": v("return")}),
            ("return",),
        ),
        Step(
            "office_supervisor",
            ("reassign", {"note": v("reassign")}),
            ("reassign", {"note": v("reassign")}),
            ("reassign",),
        ),
        Step("lead_liaison", ("sign_for", {}), ("sign-for", None)),
        Step(
            "office_supervisor",
            ("change", change),
            ("change", change),
            ("change_reason", "change_title", "change_content", "change_basis"),
        ),
        Step(
            "lead_liaison",
            (
                "record_plan",
                {
                    "goals": v("goals"),
                    "milestone_title_1": v("milestone"),
                    "milestone_due_1": today,
                },
            ),
            (
                "plan",
                {"goals": v("goals"), "milestones": [{"title": v("milestone"), "due_on": today}]},
            ),
            ("goals", "milestone"),
        ),
        Step(
            "lead_liaison",
            ("submit_feedback", {"text": v("feedback")}),
            ("feedback", {"text": v("feedback")}),
            ("feedback",),
        ),
        Step(
            "cooperating_liaison",
            ("report_contribution", {"text": v("contribution")}),
            ("contribution", {"text": v("contribution")}),
            ("contribution",),
        ),
        Step(
            "lead_liaison",
            ("draft_completion_report", {"text": v("draft")}),
            ("completion-report", {"text": v("draft")}),
            ("draft",),
        ),
        Step(
            "lead_head",
            ("decline_report", {"reason": v("decline")}),
            ("decline-report", {"reason": v("decline")}),
            ("decline",),
        ),
        Step(
            "lead_liaison",
            ("draft_completion_report", {"text": v("completion")}),
            ("completion-report", {"text": v("completion")}),
            ("completion",),
        ),
        Step("lead_head", ("confirm_report", {}), ("confirm-report", None)),
        Step(
            "office_supervisor",
            ("return_report", {"comment": v("review")}),
            ("review", {"accept": False, "comment": v("review")}),
            ("review",),
        ),
        Step(
            "office_supervisor",
            ("urge", {"channel": "phone", "recipient": "liaison", "note": v("urge")}),
            ("urge", {"channel": "phone", "recipient": org.lead_liaison.pk, "note": v("urge")}),
            ("urge",),
        ),
        Step(
            "lead_liaison",
            ("request_extension", {"requested_deadline": later, "reason": v("extension")}),
            ("extension", {"requested_deadline": later, "reason": v("extension")}),
            ("extension",),
        ),
        Step(
            "office_supervisor",
            ("decide_extension", {"decision": "reject", "comment": v("decide")}),
            ("extension/decide", {"approve": False, "comment": v("decide")}),
            ("decide",),
        ),
        Step(
            "office_supervisor",
            ("adjust", adjust),
            ("adjust", adjust),
            ("adjust_meeting", "adjust_basis", "adjust_reason", "adjust_content"),
        ),
    ]


def terminate_step() -> Step:
    v = payload
    body = {
        "decision_kind": "meeting",
        "meeting_date": clock.today().isoformat(),
        "meeting_name": v("terminate_meeting"),
        "basis": v("terminate_basis"),
        "reason": v("terminate_reason"),
    }
    return Step(
        "office_supervisor",
        ("terminate", body),
        ("terminate", body),
        ("terminate_meeting", "terminate_basis", "terminate_reason"),
    )


ESTABLISH_FIELDS = ("title", "content", "basis", "office_reason")


def establish_form(org: Org) -> dict[str, Any]:
    today = clock.today()
    return {
        "title": payload("title"),
        "content": payload("content"),
        "basis": payload("basis"),
        "source_kind": "meeting",
        "source_body": "president_meeting",
        "lead_unit": org.lead_unit.pk,
        "cooperating_units": [org.cooperating_unit.pk],
        "confidentiality": "ordinary",
        "minutes_issued_on": today.isoformat(),
        # R-D3: the office sets the deadline itself, and says why.
        "office_deadline": (today + dt.timedelta(days=40)).isoformat(),
        "office_reason": payload("office_reason"),
    }


def run_by_page(org: Org, people: People) -> Item:
    office = people.page("office_supervisor")
    created = office.post(reverse("item-new"), establish_form(org))
    assert created.status_code == 302, created.content.decode()[:2000]
    item = Item.objects.get()
    steps = [*lifecycle(org, item.deadline)]
    for step in steps:
        action, form = step.page
        response = people.page(step.actor).post(
            reverse("item-action", args=[item.pk, action]), {"confirmed": "1", **form}
        )
        assert response.status_code == 302, (action, response.content.decode()[:3000])
    # R-C4's reason, by the office for an unrelated unit, and a file's name.
    recusal = office.post(
        reverse("item-recusal", args=[item.pk]),
        {"who": "unit", "unit": org.other_unit.pk, "reason": payload("recusal")},
    )
    assert recusal.status_code == 302
    upload = people.page("lead_liaison").post(
        reverse("item-attachments", args=[item.pk]), {"file": injected_file()}
    )
    assert upload.status_code == 302, upload.content.decode()[:2000]
    return item


def run_by_api(org: Org, people: People) -> Item:
    office = people.api("office_supervisor")
    body = establish_form(org)
    body["cooperating_units"] = [org.cooperating_unit.pk]
    created = office.post("/api/v1/items", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content.decode()
    item = Item.objects.get()
    for step in lifecycle(org, item.deadline):
        endpoint, data = step.api
        response = people.api(step.actor).post(
            f"/api/v1/items/{item.pk}/{endpoint}",
            json.dumps(data) if data is not None else "",
            content_type="application/json",
        )
        assert response.status_code == 200, (endpoint, response.content.decode())
    recusal = office.post(
        f"/api/v1/items/{item.pk}/recusal",
        json.dumps({"unit": org.other_unit.pk, "reason": payload("recusal")}),
        content_type="application/json",
    )
    assert recusal.status_code == 201, recusal.content.decode()
    upload = people.api("lead_liaison").post(
        f"/api/v1/items/{item.pk}/attachments", {"file": injected_file()}
    )
    assert upload.status_code == 201, upload.content.decode()
    return item


INJECTED_FILE_NAME = '<script>alert("file")</script>"><img src=x onerror=alert("file")>.txt'


def injected_file() -> SimpleUploadedFile:
    return SimpleUploadedFile(INJECTED_FILE_NAME, "阶段性工作说明。".encode(), "text/plain")


def stored_fields(org: Org) -> list[str]:
    steps = [*lifecycle(org, clock.today()), terminate_step()]
    return [*ESTABLISH_FIELDS, *(name for step in steps for name in step.fields), "recusal"]


def pages_shown(org: Org, people: People, item: Item) -> Iterator[tuple[str, str]]:
    """Every page that shows the item's texts, as each person who works on it."""
    for persona in ("office_supervisor", "lead_liaison", "lead_head", "cooperating_liaison"):
        client = people.page(persona)
        for name, url in (
            ("item page", reverse("item-detail", args=[item.pk])),
            ("ledger", reverse("ledger")),
            ("my work", reverse("my-work")),
            ("inbox", reverse("inbox")),
        ):
            response = client.get(url)
            assert response.status_code == 200, (persona, name)
            yield f"{name} as {persona}", response.content.decode()


def api_answers(org: Org, people: People, item: Item) -> Iterator[tuple[str, bytes, Any]]:
    for persona in ("office_supervisor", "lead_liaison", "cooperating_liaison"):
        client = people.api(persona)
        for name, url in (
            ("detail", f"/api/v1/items/{item.pk}"),
            ("list", "/api/v1/items"),
            ("notices", "/api/v1/notices"),
            ("attachments", f"/api/v1/items/{item.pk}/attachments"),
        ):
            response = client.get(url)
            assert response.status_code == 200, (persona, name)
            assert response["Content-Type"].startswith("application/json")
            assert response["X-Content-Type-Options"] == "nosniff"
            yield f"api {name} as {persona}", response.content, response.json()


@pytest.mark.parametrize("run", [run_by_page, run_by_api], ids=["page", "api"])
def test_every_stored_text_is_escaped_wherever_it_is_shown(
    org: Org, people: People, run: Callable[[Org, People], Item]
) -> None:
    item = run(org, people)
    shown = list(pages_shown(org, people, item))
    # Once more after termination (R-T1), whose texts the closed item shows.
    terminate = terminate_step()
    action, form = terminate.page
    if run is run_by_page:
        answer = people.page("office_supervisor").post(
            reverse("item-action", args=[item.pk, action]), {"confirmed": "1", **form}
        )
        assert answer.status_code == 302
    else:
        answer = people.api("office_supervisor").post(
            f"/api/v1/items/{item.pk}/terminate",
            json.dumps(terminate.api[1]),
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content.decode()
    shown += list(pages_shown(org, people, item))

    for page, html in shown:
        assert [raw for raw in RAW_MARKUP if raw in html] == [], page
    everything = "\n".join(html for _page, html in shown)
    never_shown = [
        field for field in stored_fields(org) if escape(payload(field)) not in everything
    ]
    # The office's own reason for the deadline it set (R-D3) and the recused unit's
    # reason are shown too; every text typed in comes back, escaped.
    assert never_shown == []
    # The uploaded file's name, as stored (cleaned of path characters), shows escaped.
    stored_name = Attachment.objects.get(item=item).original_name
    assert "<img src=x onerror" in stored_name
    assert escape(stored_name) in everything

    for name, content, _data in api_answers(org, people, item):
        # No markup in any JSON answer (<, > and & travel as \\u003c, \\u003e, \\u0026)…
        assert b"<" not in content and b">" not in content, name
    detail = people.api("office_supervisor").get(f"/api/v1/items/{item.pk}").json()
    # …and the values come back exactly as typed.
    assert detail["title"] == payload("change_title")
    assert detail["basis"] == payload("change_basis")
    assert payload("feedback") in [entry["text"] for entry in detail["feedback"]]
    assert detail["plans"][-1]["goals"] == payload("goals")
    assert detail["plans"][-1]["milestones"][0]["title"] == payload("milestone")
    assert detail["urges"][-1]["note"] == payload("urge")
    assert detail["extension_request"]["reason"] == payload("extension")
    assert detail["extension_request"]["comment"] == payload("decide")


# ----------------------------------------------------------------------------- SQL-looking filters

SQL_LOOKING = ("' OR 1=1 --", "1; DROP TABLE items_item", '" OR ""="', "%' UNION SELECT 1 --")


@pytest.fixture
def items(org: Org) -> list[Item]:
    from .conftest import establish

    return [establish(org), establish(org, title="修订研究生培养方案")]


@pytest.mark.parametrize("text", SQL_LOOKING)
def test_sql_looking_ledger_filters_find_nothing_and_break_nothing(
    org: Org, people: People, items: list[Item], text: str
) -> None:
    client = people.page("office_supervisor")
    for name in ("q", "year", "source_kind", "status", "lead_unit", "overdue", "light", "page"):
        response = client.get(reverse("ledger"), {name: text})
        assert response.status_code == 200, name
        html = response.content.decode()
        assert all(raw not in html for raw in RAW_MARKUP)
    searched = client.get(reverse("ledger"), {"q": text}).content.decode()
    assert all(item.ledger_number not in searched for item in items)  # nothing matches
    assert Item.objects.count() == 2  # the table is there, and whole


@pytest.mark.parametrize("text", SQL_LOOKING)
def test_sql_looking_api_filters_find_nothing_or_answer_400(
    org: Org, people: People, items: list[Item], text: str
) -> None:
    api = people.api("office_supervisor")
    searched = api.get("/api/v1/items", {"q": text})
    assert searched.status_code == 200
    assert searched.json()["count"] == 0
    for name in ("year", "source_kind", "status", "lead_unit", "overdue", "light", "page"):
        response = api.get("/api/v1/items", {name: text})
        assert response.status_code == 400, name
        body = response.json()
        assert body["code"] == "invalid"
        assert name in body["errors"]
        assert CHINESE_MESSAGE in body["message"]
    assert api.get("/api/v1/items").json()["count"] == 2


# ----------------------------------------------------------------------------- oversized input

TITLE_10K = "题" * 10_000
TEXT_1MB = "文" * (1024 * 1024 // 3)  # 1 MB of UTF-8


def establish_body(org: Org, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "修订本科生培养方案",
        "content": "完成2027版培养方案修订。",
        "basis": "校长办公会纪要〔2026〕第12期",
        "source_kind": "meeting",
        "source_body": "president_meeting",
        "lead_unit": org.lead_unit.pk,
        "confidentiality": "ordinary",
        "minutes_issued_on": clock.today().isoformat(),
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", TITLE_10K, "不超过 200"),
        ("content", TEXT_1MB, "最多20000字"),
        ("basis", TEXT_1MB, "最多20000字"),
    ],
)
def test_oversized_input_to_the_establish_page_is_refused(
    org: Org, people: People, field: str, value: str, message: str
) -> None:
    before = state()
    response = people.page("office_supervisor").post(
        reverse("item-new"), establish_body(org, **{field: value})
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert differences(before, state()) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", TITLE_10K, "事项名称过长（最多200字）。"),
        ("content", TEXT_1MB, "工作内容过长（最多20000字）。"),
        ("basis", TEXT_1MB, "督办依据过长（最多20000字）。"),
    ],
)
def test_oversized_input_to_the_api_is_refused(
    org: Org, people: People, field: str, value: str, message: str
) -> None:
    before = state()
    response = people.api("office_supervisor").post(
        "/api/v1/items",
        json.dumps(establish_body(org, **{field: value}), ensure_ascii=False),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert field in response.json()["errors"]
    assert differences(before, state()) == []


def test_a_text_too_long_for_feedback_is_refused_by_page_and_api(org: Org, people: People) -> None:
    from .conftest import advance, establish

    item = advance(org, establish(org), "in_progress")
    before = state()
    page = people.page("lead_liaison").post(
        reverse("item-action", args=[item.pk, "submit_feedback"]), {"text": TEXT_1MB}
    )
    assert page.status_code == 400
    assert "最多20000字" in page.content.decode()
    api = people.api("lead_liaison").post(
        f"/api/v1/items/{item.pk}/feedback",
        json.dumps({"text": TEXT_1MB}, ensure_ascii=False),
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json()["errors"] == {"text": "最多20000字。"}
    assert differences(before, state()) == []


def test_a_body_over_the_upload_limit_is_refused_with_413_not_a_server_error(
    org: Org, people: People
) -> None:
    before = state()
    response = people.api("office_supervisor").post(
        "/api/v1/items",
        json.dumps(establish_body(org, content="文" * 1_000_000), ensure_ascii=False),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["message"].startswith("请求数据过大")
    assert differences(before, state()) == []


def test_a_page_post_over_the_upload_limit_is_refused_in_chinese(org: Org, people: People) -> None:
    before = state()
    response = people.page("office_supervisor").post(
        reverse("item-new"), establish_body(org, content="文" * 1_000_000)
    )
    assert response.status_code == 400
    assert "请求无法处理：提交的数据过大或格式有误。" in response.content.decode()
    assert differences(before, state()) == []


# ----------------------------------------------------------------------------- malformed dates

BAD_DATES = ("2026-02-30", "2026-13-01", "tomorrow", "")


@pytest.mark.parametrize("day", BAD_DATES)
def test_a_malformed_date_on_the_establish_page_names_its_field(
    org: Org, people: People, day: str
) -> None:
    before = state()
    response = people.page("office_supervisor").post(
        reverse("item-new"), establish_body(org, minutes_issued_on=day)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "纪要印发日期" in html  # the field's label, beside its error
    expected = (
        "请填写会议纪要印发日期。" if day == "" else "请按“年-月-日”填写日期，例如 2026-10-16。"
    )
    assert expected in html
    assert differences(before, state()) == []


@pytest.mark.parametrize("day", BAD_DATES)
def test_a_malformed_date_in_the_api_names_its_field(org: Org, people: People, day: str) -> None:
    before = state()
    response = people.api("office_supervisor").post(
        "/api/v1/items",
        json.dumps(establish_body(org, minutes_issued_on=day)),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {"minutes_issued_on": "日期无效，请使用YYYY-MM-DD格式的有效日期。"}
    assert "minutes_issued_on" in body["message"]
    assert differences(before, state()) == []


@pytest.mark.parametrize("day", BAD_DATES)
@pytest.mark.parametrize(
    ("actor", "action", "endpoint", "field", "extra"),
    [
        (
            "lead_liaison",
            "request_extension",
            "extension",
            "requested_deadline",
            {"reason": "需要更多时间"},
        ),
        ("office_supervisor", "change", "change", "deadline", {"reason": "按领导要求提前"}),
        (
            "office_supervisor",
            "adjust",
            "adjust",
            "meeting_date",
            {
                "decision_kind": "meeting",
                "meeting_name": "校长办公会",
                "basis": "纪要",
                "reason": "客观原因",
            },
        ),
    ],
)
def test_a_malformed_date_in_an_action_names_its_field(
    org: Org,
    people: People,
    day: str,
    actor: str,
    action: str,
    endpoint: str,
    field: str,
    extra: dict[str, Any],
) -> None:
    from .conftest import advance, establish

    item = advance(org, establish(org), "in_progress")
    before = state()
    page = people.page(actor).post(
        reverse("item-action", args=[item.pk, action]), {**extra, field: day}
    )
    assert page.status_code == 400
    assert CHINESE_MESSAGE in page.content.decode()
    api = people.api(actor).post(
        f"/api/v1/items/{item.pk}/{endpoint}",
        json.dumps({**extra, field: day}),
        content_type="application/json",
    )
    assert api.status_code == 400
    assert field in api.json()["errors"], api.json()
    assert differences(before, state()) == []


def test_a_malformed_milestone_date_is_named(org: Org, people: People) -> None:
    from .conftest import advance, establish

    item = advance(org, establish(org), "in_progress")
    before = state()
    page = people.page("lead_liaison").post(
        reverse("item-action", args=[item.pk, "record_plan"]),
        {"goals": "完成修订", "milestone_title_1": "初稿", "milestone_due_1": "2026-02-30"},
    )
    assert page.status_code == 400
    assert "节点日期“2026-02-30”无效" in page.content.decode()
    api = people.api("lead_liaison").post(
        f"/api/v1/items/{item.pk}/plan",
        json.dumps(
            {"goals": "完成修订", "milestones": [{"title": "初稿", "due_on": "2026-02-30"}]}
        ),
        content_type="application/json",
    )
    assert api.status_code == 400
    assert list(api.json()["errors"]) == ["milestones.0.due_on"]
    assert differences(before, state()) == []


# ----------------------------------------------------------------------------- unknown ids


def test_unknown_ids_answer_404_or_400_never_500(org: Org, people: People) -> None:
    from .conftest import establish

    establish(org)
    pages, api = people.page("office_supervisor"), people.api("office_supervisor")
    before = state()
    # Unknown items, notices and attachments: 404, in Chinese.
    for response in (
        pages.get("/items/999999/"),
        pages.post("/items/999999/assign/"),
        pages.post("/inbox/999999/read/"),
        pages.get("/attachments/999999/"),
        pages.get("/items/99999999999999999999/"),
    ):
        assert response.status_code == 404
        assert "不存在" in response.content.decode()
    for response in (
        api.get("/api/v1/items/999999"),
        api.post("/api/v1/items/999999/assign"),
        api.post("/api/v1/notices/999999/read"),
        api.get("/api/v1/attachments/999999"),
        api.get("/api/v1/items/99999999999999999999"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert "不存在" in response.json()["message"]
    # An unknown unit in a body: 400, naming the field.
    page = pages.post(reverse("item-new"), establish_body(org, lead_unit=999999))
    assert page.status_code == 400
    assert "选择一个有效的选项" in page.content.decode()
    answer = api.post(
        "/api/v1/items",
        json.dumps(establish_body(org, lead_unit=999999)),
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"lead_unit": "没有编号为999999的单位。"}
    assert differences(before, state()) == []


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "1e3", "%20"])
def test_non_integer_ids_in_paths_are_404(org: Org, people: People, bad_id: str) -> None:
    pages, api = people.page("office_supervisor"), people.api("office_supervisor")
    before = state()
    for response in (
        pages.get(f"/items/{bad_id}/"),
        pages.post(f"/items/{bad_id}/assign/"),
        pages.post(f"/inbox/{bad_id}/read/"),
        pages.get(f"/attachments/{bad_id}/"),
    ):
        assert response.status_code == 404
    for response in (
        api.get(f"/api/v1/items/{bad_id}"),
        api.post(f"/api/v1/items/{bad_id}/assign"),
        api.post(f"/api/v1/notices/{bad_id}/read"),
        api.get(f"/api/v1/attachments/{bad_id}"),
    ):
        assert response.status_code == 404, response.content.decode()
        assert response.json()["code"] == "not_found"
    assert differences(before, state()) == []


def test_unknown_notice_of_someone_else_is_404(org: Org, people: People) -> None:
    from .conftest import advance, establish

    advance(org, establish(org), "assigned")
    notice = Notice.objects.filter(recipient=org.lead_liaison).first()
    assert notice is not None
    before = state()
    assert people.page("other_unit_liaison").post(f"/inbox/{notice.pk}/read/").status_code == 404
    answer = people.api("other_unit_liaison").post(f"/api/v1/notices/{notice.pk}/read")
    assert answer.status_code == 404
    assert differences(before, state()) == []
