"""Issue 11, section 6: the audit administrator sees that an event about a sensitive,
discipline or classified item happened — who, when, what operation, which item — but
not what it said, on the page and in the export; the chain keeps the full record."""

from __future__ import annotations

import csv
import io
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.organisation.models import Role, User
from tests.conftest import Org, establish, make_person

SECRET_TITLE = "关于某教师信访举报的核查"
SECRET_REASON = "举报人要求对其身份保密"
MASK = "敏感事项，内容已隐去"


@pytest.fixture(autouse=True)
def password_sign_in_only(settings: Any) -> None:
    settings.OTP_REQUIRED = False


@pytest.fixture
def auditor(org: Org) -> Client:
    client = Client()
    client.force_login(make_person("audit_admin", Role.AUDIT_ADMIN, None, "马审计"))
    return client


@pytest.fixture
def sensitive(org: Org) -> Any:
    item = establish(org, title=SECRET_TITLE, confidentiality="sensitive")
    actions.change_item(
        org.office_supervisor, item, reason=SECRET_REASON, title=SECRET_TITLE + "（续）"
    )
    return item


def test_r_c1_the_audit_page_masks_a_sensitive_items_events(
    auditor: Client, org: Org, sensitive: Any
) -> None:
    ordinary = establish(org, title="修订本科生培养方案")
    page = auditor.get(reverse("audit-log")).content.decode()
    assert SECRET_TITLE not in page
    assert SECRET_REASON not in page
    assert page.count(MASK) == AuditEvent.objects.filter(item=sensitive).count() == 2
    # Who, when, what and which item stay visible.
    assert sensitive.ledger_number in page
    assert "变更" in page and "立项" in page
    # An ordinary item's events are shown in full.
    assert AuditEvent.objects.get(item=ordinary).summary in page
    assert ordinary.ledger_number in page
    # The chain keeps the full record and still verifies.
    assert SECRET_REASON in AuditEvent.objects.get(item=sensitive, verb="change").summary
    out = StringIO()
    call_command("verify_audit", "--no-anchor", stdout=out)
    assert out.getvalue().strip() == f"ok {AuditEvent.objects.count()}"


def test_r_c2_a_keyword_search_cannot_find_masked_content(
    auditor: Client, org: Org, sensitive: Any
) -> None:
    response = auditor.get(reverse("audit-log"), {"q": "信访举报"})
    assert response.status_code == 200
    assert response.context["events"] == []


def test_r_c5_the_export_applies_the_same_mask(auditor: Client, org: Org, sensitive: Any) -> None:
    response = auditor.get(reverse("audit-export"), {"ledger_number": sensitive.ledger_number})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert SECRET_TITLE not in body and SECRET_REASON not in body
    rows = list(csv.reader(io.StringIO(body[1:])))[1:]
    assert [row[5] for row in rows] == ["establish", "change"]
    assert all(row[6] == MASK for row in rows)
    assert all(row[7] == sensitive.ledger_number for row in rows)
    assert rows[1][9] == MASK  # the data column ({"reason": ...}) too


@pytest.mark.parametrize("count", [3, 30])
def test_masking_adds_no_query_per_row(
    auditor: Client, org: Org, count: int, django_assert_max_num_queries: Any
) -> None:
    for number in range(count):
        establish(org, title=f"敏感事项{number}", confidentiality="sensitive")
    with django_assert_max_num_queries(8):
        response = auditor.get(reverse("audit-log"))
    assert len(response.context["events"]) >= count
    assert User.objects.filter(role=Role.AUDIT_ADMIN).count() == 1
