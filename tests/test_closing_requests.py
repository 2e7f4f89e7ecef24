"""Issue 11, section 3: a pending extension request closes with its item (R-E1).

Terminating, completing or archiving an item expires its waiting request (已失效),
with the reason, audited; nothing stays 待审批 on a closed item in the page, the API
or the approver's work list.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from duban import clock
from duban.api.tokens import issue_token
from duban.audit.models import AuditEvent
from duban.documents import actions as documents
from duban.items import actions
from duban.items.errors import StateRefused
from duban.items.models import ExtensionRequest, ExtensionStatus, Item
from duban.items.states import Status

from .conftest import Org, advance, establish


def office_work(org: Org) -> str:
    client = Client()
    client.force_login(org.office_supervisor)
    return client.get(reverse("my-work")).content.decode()


@pytest.fixture
def waiting(org: Org) -> Item:
    item = advance(
        org, establish(org, minutes_deadline=clock.today() + dt.timedelta(days=40)), "in_progress"
    )
    actions.request_extension(
        org.lead_liaison,
        item,
        requested_deadline=item.deadline + dt.timedelta(days=20),
        reason="需等待上级文件",
    )
    assert "没有待本部门审批的延期申请。" not in office_work(org)  # it is on the desk
    return item


def assert_expired(item: Item, reason: str, org: Org) -> None:
    request = ExtensionRequest.objects.get(item=item)
    assert request.status == ExtensionStatus.EXPIRED
    assert request.comment == reason
    assert request.decided_by is None
    event = AuditEvent.objects.get(item=item, verb="expire_extension")
    assert event.summary == f"延期申请已失效：{reason}"
    # The page, the API and the approver's work list show no 待审批.
    client = Client()
    client.force_login(org.office_supervisor)
    page = client.get(reverse("item-detail", args=[item.pk])).content.decode()
    assert "已失效" in page
    assert "待审批" not in page
    token = issue_token(org.office_supervisor)[0]
    detail = Client(headers={"Authorization": f"Bearer {token}"}).get(f"/api/v1/items/{item.pk}")
    assert detail.json()["extension_request"]["status"] == "expired"
    pending = Client(headers={"Authorization": f"Bearer {token}"}).get(
        "/api/v1/items", {"extension": "pending"}
    )
    assert pending.json()["count"] == 0
    work = client.get(reverse("my-work")).content.decode()
    assert "没有待本部门审批的延期申请。" in work


def test_r_e1_pending_extension_expires_when_item_terminated(org: Org, waiting: Item) -> None:
    actions.terminate_item(
        org.office_supervisor,
        waiting,
        decision_kind="leader",
        leader=org.leader_in_charge,
        basis="王校长批示",
        reason="上级政策调整",
    )
    assert_expired(waiting, "事项已终止", org)


def test_r_e1_pending_extension_expires_when_item_completed(org: Org, waiting: Item) -> None:
    actions.draft_completion_report(org.lead_liaison, waiting, "全部完成")
    actions.confirm_report(org.lead_head, waiting)
    actions.review_report(org.office_supervisor, waiting, accept=True)
    waiting.refresh_from_db()
    assert waiting.status == Status.COMPLETED
    assert_expired(waiting, "事项已办结", org)


def test_r_e1_a_request_left_waiting_on_a_closed_item_expires_when_archived(
    org: Org, waiting: Item
) -> None:
    actions.draft_completion_report(org.lead_liaison, waiting, "全部完成")
    actions.confirm_report(org.lead_head, waiting)
    actions.review_report(org.office_supervisor, waiting, accept=True)
    # As a closed item of an earlier release could have it: still waiting.
    ExtensionRequest.objects.filter(item=waiting).update(status=ExtensionStatus.PENDING)
    documents.file_volume(org.office_supervisor, clock.today().year)
    waiting.refresh_from_db()
    assert waiting.status == Status.ARCHIVED
    request = ExtensionRequest.objects.get(item=waiting)
    assert request.status == ExtensionStatus.EXPIRED
    assert request.comment == "事项已归档"
    assert AuditEvent.objects.filter(item=waiting, verb="expire_extension").count() == 2


def test_r_e1_an_expired_request_still_uses_up_the_one_application(org: Org, waiting: Item) -> None:
    """R-E1 is one application per item, ever; an expired one counts."""
    ExtensionRequest.objects.filter(item=waiting).update(status=ExtensionStatus.EXPIRED)
    with pytest.raises(StateRefused):
        actions.request_extension(
            org.lead_liaison,
            waiting,
            requested_deadline=waiting.deadline + dt.timedelta(days=10),
            reason="再次申请",
        )
