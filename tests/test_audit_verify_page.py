"""校验 on the audit page: the audit administrator queues a verification of the chain
for a worker, and the page shows its verdict; nobody else may."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent, AuditVerification, VerificationStatus, record
from duban.audit.tasks import verify_on_request
from duban.items.models import Notice
from duban.organisation.models import Role, User
from tests.conftest import Org, make_person
from tests.test_audit_checkpoints import by_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(org: Org) -> User:
    return make_person("auditor", Role.AUDIT_ADMIN, None, "马审计")


def test_the_auditor_verifies_from_the_page_and_sees_the_verdict(
    client: Client, org: Org, auditor: User, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(3):
        record(org.office_supervisor, "login", f"登录{n}")
    client.force_login(auditor)
    page = client.get(reverse("audit-log")).content.decode()
    assert "尚未从本页发起过校验" in page and "verify_audit" not in page
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("audit-verify"), {"full": "1"})
    assert response.status_code == 302
    assert len(queued) == 1  # the task goes to the queue once the request commits
    verification = AuditVerification.objects.get()
    assert (verification.status, verification.full) == (VerificationStatus.QUEUED, True)
    assert AuditEvent.objects.filter(verb="verify_audit", actor=auditor).count() == 1
    page = client.get(reverse("audit-log")).content.decode()
    assert "正在进行" in page and 'hx-trigger="every 3s"' in page

    verify_on_request.call(verification.pk)  # as a worker runs it
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.INTACT
    assert verification.events_read == AuditEvent.objects.count()
    fragment = client.get(reverse("audit-verification")).content.decode()
    assert f"核验{verification.events_read}条记录，哈希链完整。" in fragment
    assert "every 3s" not in fragment  # the page stops asking


def test_a_broken_chain_is_shown_and_the_administrators_are_told(
    client: Client, org: Org, auditor: User
) -> None:
    record(org.office_supervisor, "login", "登录")
    old = AuditEvent.objects.order_by("sequence").first()
    assert old is not None
    by_hand(f"UPDATE audit_auditevent SET summary = '改过' WHERE id = {old.pk}")
    client.force_login(auditor)
    client.post(reverse("audit-verify"), {"full": "1"})
    verification = AuditVerification.objects.get()
    verify_on_request.call(verification.pk)
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.BROKEN
    page = client.get(reverse("audit-log")).content.decode()
    assert "不完整" in page and "校验发现问题" in page
    assert Notice.objects.filter(recipient=auditor, title="审计日志核验未通过").exists()


@pytest.mark.parametrize("persona", ["office_supervisor", "system_admin", "lead_head"])
def test_only_the_audit_administrator_may_verify(client: Client, org: Org, persona: str) -> None:
    client.force_login(getattr(org, persona))
    events = AuditEvent.objects.count()
    response = client.post(reverse("audit-verify"))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    assert AuditVerification.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert client.get(reverse("audit-verification")).status_code == 403
