"""Issue 14, sections 4 and 6: odd input answers 4xx with a clear message and changes
nothing; implausible input (invisible titles, direction overrides, far-off dates and
years, endless plans) is refused where the rule lives, for pages and API alike.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from duban import clock
from duban.api.tokens import issue_token
from duban.items.models import Item, WorkPlan
from duban.items.plausible import MAX_MILESTONES
from duban.organisation.models import User

from .conftest import Org, advance, establish
from .test_authorization_matrix import differences, state

SURROGATE_JSON = '"\\ud800"'  # a lone UTF-16 surrogate, as JSON writes it


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_token(user)[0]}"})


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def establish_body(org: Org, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
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


# ----------------------------------------------------------------------------- section 4


def test_a_lone_surrogate_in_the_token_request_is_400_not_500(org: Org) -> None:
    before = state()
    body = '{"username": ' + SURROGATE_JSON + ', "password": "x"}'
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "无法识别的字符" in response.json()["message"]
    assert differences(before, state()) == []


@pytest.mark.parametrize("field", ["title", "content", "basis"])
def test_a_lone_surrogate_in_a_text_field_is_400_and_creates_nothing(org: Org, field: str) -> None:
    client = api(org.office_supervisor)
    before = state()
    body = json.dumps(establish_body(org), ensure_ascii=False)
    body = body.replace(f'"{field}": ', f'"{field}": {SURROGATE_JSON}, "_x": ', 1)
    response = client.post("/api/v1/items", body, content_type="application/json")
    assert response.status_code == 400
    assert "无法识别的字符" in response.json()["message"]
    assert Item.objects.count() == 0
    assert differences(before, state()) == []


def test_a_broken_utf8_sequence_in_a_page_form_is_never_a_500(org: Org) -> None:
    client = page(org.office_supervisor)
    form = establish_body(org)
    encoded = "&".join(f"{key}={value}" for key, value in form.items() if key != "title")
    # %ED%A0%80 is the UTF-8-style encoding of U+D800, which no UTF-8 text may hold.
    response = client.post(
        reverse("item-new"),
        "title=%ED%A0%80&" + encoded,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (302, 400)
    for item in Item.objects.all():
        item.title.encode("utf-8")  # whatever was stored can be stored


def test_multipart_without_a_boundary_is_400_and_stores_nothing(org: Org, settings: Any) -> None:
    item = advance(org, establish(org), "in_progress")
    client = api(org.lead_liaison)
    before = state()
    response = client.post(
        f"/api/v1/items/{item.pk}/attachments",
        b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\nabc\r\n--x--\r\n",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "boundary" in response.json()["message"]
    assert differences(before, state()) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_json_under_another_content_type_is_415(org: Org, content_type: str) -> None:
    client = api(org.office_supervisor)
    before = state()
    response = client.generic(
        "POST",
        "/api/v1/items",
        json.dumps(establish_body(org)),
        content_type=content_type,
    )
    assert response.status_code == 415
    assert response.json() == {
        "code": "unsupported_media_type",
        "message": "请求体须为JSON，并注明 Content-Type: application/json。",
    }
    assert differences(before, state()) == []


def test_json_with_a_charset_parameter_is_still_json(org: Org) -> None:
    response = api(org.office_supervisor).post(
        "/api/v1/items",
        json.dumps(establish_body(org)),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201, response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lead_unit": True}, "lead_unit"),
        ({"lead_unit": False}, "lead_unit"),
        ({"cooperating_units": [True]}, "cooperating_units.0"),
        ({"source_kind": "annual", "source_body": "work_points", "year": True}, "year"),
    ],
)
def test_booleans_are_not_ids(org: Org, overrides: dict[str, Any], field: str) -> None:
    api_office_supervisor = api(org.office_supervisor)
    before = state()
    response = api_office_supervisor.post(
        "/api/v1/items",
        json.dumps(establish_body(org, **overrides)),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {field: "请填写整数。"}
    assert differences(before, state()) == []


# ----------------------------------------------------------------------------- section 6

INVISIBLE_TITLES = ["\u200b\u200b\u200b", " \u200c\u200d\ufeff ", "\u202e\u2066", "\u3000"]


@pytest.mark.parametrize("title", INVISIBLE_TITLES)
def test_a_title_without_visible_characters_is_refused_by_the_api(org: Org, title: str) -> None:
    api_office_supervisor = api(org.office_supervisor)
    before = state()
    response = api_office_supervisor.post(
        "/api/v1/items",
        json.dumps(establish_body(org, title=title)),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "请填写事项名称。"
    assert response.json()["errors"] == {"title": "此项为必填项。"}
    assert differences(before, state()) == []


@pytest.mark.parametrize("title", INVISIBLE_TITLES)
def test_a_title_without_visible_characters_is_refused_by_the_page(org: Org, title: str) -> None:
    page_office_supervisor = page(org.office_supervisor)
    before = state()
    response = page_office_supervisor.post(reverse("item-new"), establish_body(org, title=title))
    assert response.status_code == 400
    assert "事项名称" in response.content.decode()
    assert differences(before, state()) == []


def test_direction_overrides_are_stripped_from_titles_and_texts(org: Org) -> None:
    response = api(org.office_supervisor).post(
        "/api/v1/items",
        json.dumps(
            establish_body(org, title="修订\u202e培养方案\u202c", content="\u2067完成修订\u2069。")
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    item = Item.objects.get()
    assert item.title == "修订培养方案"
    assert item.content == "完成修订。"


def test_a_deadline_more_than_ten_years_ahead_is_refused(org: Org) -> None:
    today = clock.today()
    far = today.replace(year=today.year + 10) + dt.timedelta(days=1)
    api_office_supervisor = api(org.office_supervisor)
    page_office_supervisor = page(org.office_supervisor)
    before = state()
    response = api_office_supervisor.post(
        "/api/v1/items",
        json.dumps(establish_body(org, minutes_deadline=far.isoformat())),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"纪要明确的时限（{far.isoformat()}）不能晚于今天起10年。"
    )
    assert response.json()["errors"] == {"minutes_deadline": "请填写10年以内的日期。"}
    assert differences(before, state()) == []
    # 9999-12-31 on the page too
    response = page_office_supervisor.post(
        reverse("item-new"), establish_body(org, minutes_deadline="9999-12-31")
    )
    assert response.status_code == 400
    assert "不能晚于今天起10年" in response.content.decode()
    assert differences(before, state()) == []


def test_a_deadline_exactly_ten_years_ahead_is_accepted(org: Org) -> None:
    today = clock.today()
    far = today.replace(year=today.year + 10)
    response = api(org.office_supervisor).post(
        "/api/v1/items",
        json.dumps(establish_body(org, minutes_deadline=far.isoformat())),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    assert Item.objects.get().deadline == far


@pytest.mark.parametrize("offset", [-11, 11, 7973])
def test_a_year_beyond_ten_years_of_today_is_refused(org: Org, offset: int) -> None:
    year = clock.today().year + offset
    api_office_supervisor = api(org.office_supervisor)
    before = state()
    response = api_office_supervisor.post(
        "/api/v1/items",
        json.dumps(establish_body(org, source_kind="annual", source_body="work_points", year=year)),
        content_type="application/json",
    )
    assert response.status_code == 400
    low, high = clock.today().year - 10, clock.today().year + 10
    assert response.json()["errors"]["year"] in (
        f"年度应在{low}至{high}之间。",
        "不能大于9999。",
    )
    assert differences(before, state()) == []


def test_an_extension_far_in_the_future_is_refused(org: Org) -> None:
    item = advance(
        org, establish(org, minutes_deadline=clock.today() + dt.timedelta(days=60)), "in_progress"
    )
    api_lead_liaison = api(org.lead_liaison)
    before = state()
    response = api_lead_liaison.post(
        f"/api/v1/items/{item.pk}/extension",
        json.dumps({"requested_deadline": "9999-01-01", "reason": "需要更多时间"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"requested_deadline": "请填写10年以内的日期。"}
    assert differences(before, state()) == []


def _milestones(count: int, deadline: dt.date) -> list[dict[str, str]]:
    return [{"title": f"节点{n}", "due_on": deadline.isoformat()} for n in range(1, count + 1)]


def test_a_plan_of_more_than_fifty_milestones_is_refused_by_api_and_page(org: Org) -> None:
    item = advance(org, establish(org), "in_progress")
    api_lead_liaison = api(org.lead_liaison)
    page_lead_liaison = page(org.lead_liaison)
    before = state()
    response = api_lead_liaison.post(
        f"/api/v1/items/{item.pk}/plan",
        json.dumps({"goals": "按期完成", "milestones": _milestones(10_000, item.deadline)}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "milestones" in response.json()["errors"]
    assert differences(before, state()) == []

    form: dict[str, str] = {"goals": "按期完成"}
    for n in range(1, MAX_MILESTONES + 2):
        form[f"milestone_title_{n}"] = f"节点{n}"
        form[f"milestone_due_{n}"] = item.deadline.isoformat()
    response = page_lead_liaison.post(reverse("item-action", args=[item.pk, "record_plan"]), form)
    assert response.status_code == 400
    assert "最多50个时间节点" in response.content.decode()
    assert differences(before, state()) == []


def test_a_plan_of_fifty_milestones_is_accepted(org: Org) -> None:
    item = advance(org, establish(org), "in_progress")
    response = api(org.lead_liaison).post(
        f"/api/v1/items/{item.pk}/plan",
        json.dumps({"goals": "按期完成", "milestones": _milestones(MAX_MILESTONES, item.deadline)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content.decode()
    assert WorkPlan.objects.get().milestones.count() == MAX_MILESTONES


def test_the_openapi_document_states_the_limits(client: Client) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    milestones = schemas["PlanIn"]["properties"]["milestones"]
    assert milestones["maxItems"] == MAX_MILESTONES
    establish_in = schemas["EstablishIn"]["properties"]
    assert "10年" in json.dumps(establish_in["minutes_deadline"], ensure_ascii=False)
    assert "前后10年" in json.dumps(establish_in["year"], ensure_ascii=False)
    assert "可见文字" in json.dumps(establish_in["title"], ensure_ascii=False)
    assert "10年" in json.dumps(
        schemas["ExtensionIn"]["properties"]["requested_deadline"], ensure_ascii=False
    )
