"""Issue 4's "Done when", tried as a new user would:

- a liaison of an unrelated unit cannot find a sensitive item by list, search, id,
  export or API (R-C1, R-C5) — while a liaison of its lead unit finds it every way;
- a recused office supervisor cannot open an item they could otherwise run, and every
  POST on it is refused with nothing changed (R-C4);
- editing an audit row in the database by hand is caught by `verify_audit`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse

from duban.api.tokens import issue_token
from duban.audit.models import AuditEvent
from duban.items import actions, policy
from duban.items.models import Item
from duban.items.states import Status
from duban.organisation.models import Role, User

from .conftest import Org, advance, establish, make_person
from .test_authorization_matrix import (
    ACTION,
    ATTACH,
    CASES,
    OFFICE_URGE,
    RECUSAL,
    a_file,
    api_body,
    concrete,
    differences,
    page_form,
    spreadsheet_text,
    state,
)

MISSING_ID = 999_999
KEYWORD = "招生投诉"
# A page's CSRF token is masked afresh for every answer (64 letters and digits).
CSRF_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_token(user)[0]}"})


def text_of(response: Any) -> str:
    """What a person gets to read: the page, the JSON, or a spreadsheet's cells."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        return spreadsheet_text(content)
    return CSRF_TOKEN.sub("", content.decode())


@pytest.fixture
def sensitive(org: Org) -> Item:
    """A petition (信访) item: R-C1 restricts it to its units' heads and liaisons."""
    item = establish(
        org,
        title=f"信访件：某学院{KEYWORD}处理",
        content="核实来访人反映的招生问题，按期答复来访人。",
        confidentiality="sensitive",
    )
    return advance(org, item, Status.IN_PROGRESS)


# ----------------------------------------------------------------------------- R-C1


def finds(client: Client, api: Client, item: Item) -> dict[str, bool]:
    """Every way a new user would look for `item`: does it show the item?"""

    def shows(response: Any, *, typed: str = "") -> bool:
        # What the person typed comes back in the search box; it is not a finding.
        text = text_of(response).replace(f'value="{typed}"', "") if typed else text_of(response)
        return item.title in text or item.ledger_number in text

    ways: dict[str, Callable[[], Any]] = {
        "ledger": lambda: client.get(reverse("ledger")),
        "ledger search": lambda: client.get(reverse("ledger"), {"q": KEYWORD}),
        "ledger search by number": lambda: (
            client.get(reverse("ledger"), {"q": item.ledger_number}),
            item.ledger_number,
        ),
        "my work": lambda: client.get(reverse("my-work")),
        "inbox": lambda: client.get(reverse("inbox")),
        "item page": lambda: client.get(reverse("item-detail", args=[item.pk])),
        "api list": lambda: api.get("/api/v1/items"),
        "api search": lambda: api.get("/api/v1/items", {"q": KEYWORD}),
        "api by id": lambda: api.get(f"/api/v1/items/{item.pk}"),
        "api notices": lambda: api.get("/api/v1/notices"),
    }
    # Every export there is (R-C5 "exports"): the ledger's spreadsheet, whole and searched.
    if _exists("ledger-export"):
        ways["ledger export"] = lambda: client.get(reverse("ledger-export"))
        ways["ledger export searched"] = lambda: client.get(
            reverse("ledger-export"), {"q": KEYWORD}
        )
    found = {}
    for way, look in ways.items():
        answer = look()
        response, typed = answer if isinstance(answer, tuple) else (answer, "")
        found[way] = shows(response, typed=typed)
    return found


def _exists(url_name: str) -> bool:
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


def test_r_c1_the_lead_liaison_finds_the_sensitive_item_every_way(
    org: Org, sensitive: Item
) -> None:
    liaison = org.lead_liaison
    found = finds(page_client(liaison), api_client(liaison), sensitive)
    assert [way for way, shown in found.items() if not shown] == []


def test_r_c1_an_unrelated_liaison_cannot_find_the_sensitive_item(
    org: Org, sensitive: Item
) -> None:
    outsider = org.other_unit_liaison
    found = finds(page_client(outsider), api_client(outsider), sensitive)
    assert [way for way, shown in found.items() if shown] == []


def test_r_c5_the_sensitive_item_answers_like_a_missing_id(org: Org, sensitive: Item) -> None:
    client, api = page_client(org.other_unit_liaison), api_client(org.other_unit_liaison)
    hidden = client.get(reverse("item-detail", args=[sensitive.pk]))
    missing = client.get(reverse("item-detail", args=[MISSING_ID]))
    assert (hidden.status_code, text_of(hidden)) == (404, text_of(missing))
    hidden = api.get(f"/api/v1/items/{sensitive.pk}")
    missing = api.get(f"/api/v1/items/{MISSING_ID}")
    assert (hidden.status_code, hidden.content) == (404, missing.content)
    assert json.loads(hidden.content) == {"code": "not_found", "message": "督办事项不存在。"}


def test_the_audit_log_export_is_the_audit_administrators_only(org: Org, sensitive: Item) -> None:
    refused = page_client(org.other_unit_liaison).get(reverse("audit-export"))
    assert refused.status_code == 403
    assert "只有审计管理员可以访问此页面。" in refused.content.decode()
    auditor = make_person("audit_admin", Role.AUDIT_ADMIN, None, "审计管理员")
    exported = page_client(auditor).get(reverse("audit-export"))
    assert exported.status_code == 200
    assert sensitive.ledger_number in text_of(exported)


# ----------------------------------------------------------------------------- R-C4


@pytest.fixture
def recused_person(org: Org) -> User:
    """A second supervisor of the General Office: they could run any of its items."""
    return make_person("recused_supervisor", Role.OFFICE_SUPERVISOR, org.office, "回避督办员")


ITEM_POSTS = [
    case
    for case in CASES
    if case.rule is not None and case.rule.access in (ACTION, OFFICE_URGE, RECUSAL, ATTACH)
]


def post_body(org: Org, case: Any, item: Item, person: User) -> Any:
    assert case.rule is not None
    if case.rule.access == ACTION:
        action = case.rule.action or case.variant
        if case.route.is_api:
            return api_body(action, item, org.leader_in_charge, org.lead_liaison)
        return page_form(action, item, org.leader_in_charge)
    if case.rule.access == ATTACH:
        return {"file": a_file()}
    if case.rule.access == RECUSAL:
        if case.route.is_api:
            return {"person": person.pk, "reason": "再次登记回避"}
        return {"who": "self", "reason": "再次登记回避"}
    return {}


def send_post(client: Client, case: Any, url: str, body: Any) -> Any:
    if case.route.is_api and not (isinstance(body, dict) and "file" in body):
        data = json.dumps(body) if body is not None else ""
        return client.post(url, data, content_type="application/json")
    return client.post(url, body or {})


def test_r_c4_a_recused_supervisor_cannot_open_or_run_an_item_they_could_otherwise_run(
    org: Org, recused_person: User, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    item = advance(org, establish(org), Status.IN_PROGRESS)
    pages, api = page_client(recused_person), api_client(recused_person)
    # Before the recusal they could run it: the page opens and offers the office's work.
    assert pages.get(reverse("item-detail", args=[item.pk])).status_code == 200
    assert {"change", "urge", "adjust", "terminate"} <= set(
        policy.allowed_actions(recused_person, item)
    )

    actions.declare_recusal(
        org.office_supervisor, item, reason="配偶在承办单位任职", person=recused_person
    )

    assert pages.get(reverse("item-detail", args=[item.pk])).status_code == 404
    hidden = api.get(f"/api/v1/items/{item.pk}")
    assert (hidden.status_code, hidden.content) == (
        404,
        api.get(f"/api/v1/items/{MISSING_ID}").content,
    )
    assert item.title not in pages.get(reverse("ledger")).content.decode()
    assert api.get("/api/v1/items").json()["count"] == 0
    assert policy.allowed_actions(recused_person, item) == []

    before = state()
    answers = {}
    for case in ITEM_POSTS:
        values = {"action": case.variant, "pk": str(item.pk), "item_id": str(item.pk)}
        url = concrete(case.route.path, values)
        client = api if case.route.is_api else pages
        response = send_post(client, case, url, post_body(org, case, item, recused_person))
        answers[str(case)] = response.status_code
        assert differences(before, state()) == [], f"{case} changed something"
    # Every one of them answers as for a missing item; the attention page's urge asks
    # first whether the person is a supervisor (they are), then finds no item.
    assert {case: status for case, status in answers.items() if status != 404} == {}
    assert len(answers) >= 40


def test_r_c4_the_recused_supervisor_still_runs_the_office_s_other_items(
    org: Org, recused_person: User
) -> None:
    recused_from = advance(org, establish(org), Status.IN_PROGRESS)
    other = advance(org, establish(org, title="修订研究生培养方案"), Status.IN_PROGRESS)
    actions.declare_recusal(
        org.office_supervisor, recused_from, reason="本人参与起草", person=recused_person
    )
    visible = set(Item.objects.visible_to(recused_person).values_list("pk", flat=True))
    assert visible == {other.pk}
    assert (
        page_client(recused_person).get(reverse("item-detail", args=[other.pk])).status_code == 200
    )


# ----------------------------------------------------------------------------- audit


def verify_audit(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue().strip()
    return 0, out.getvalue().strip()


def edit_by_hand(sql: str, params: list[Any]) -> None:
    """As someone with database access would: on PostgreSQL, with the append-only
    trigger switched off for the session first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_editing_an_audit_row_by_hand_is_caught_by_verify_audit(org: Org, sensitive: Item) -> None:
    events = AuditEvent.objects.count()
    assert verify_audit() == (0, f"ok {events}")
    # Someone rewrites what the sign-for said, to hide who signed.
    target = AuditEvent.objects.get(item=sensitive, verb="sign_for")
    table = AuditEvent._meta.db_table
    edit_by_hand(
        f"UPDATE {table} SET summary = %s WHERE id = %s",
        ["财务处签收", target.pk],
    )

    # The first verification left a checkpoint after the edited event: reading every
    # event (`--full`, weekly) finds it; the nightly run reads only what came since.
    code, message = verify_audit("--full")

    assert code == 1
    assert message == (
        f"broken at event #{target.sequence} (id {target.pk}, sign_for): its content was altered"
    )
