"""Issue 10's "done when" for personal work notices: an assignment produces a 企业微信
application message to the lead unit's liaison and head on the stand-in server
(tests/platform_standin.py), exactly once with two workers, and survives one
expired-token answer.

Its transactional test restores the database by serialized rollback, which must not
follow a transactional test without it (that one's flush recreates the content types
under new ids): this file's name sorts it before tests/test_notify.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from duban.audit.models import AuditEvent
from duban.items import actions as item_actions
from duban.notify.models import AccountSource, Channel, Delivery, DeliveryStatus, PlatformAccount
from tests.conftest import Org, establish
from tests.platform_standin import WECOM_AGENT_ID, WECOM_SEND, PlatformStandIn, running_standin
from tests.test_notify_platforms import NOTHING, on_platforms, run_two_workers, wants


@pytest.fixture
def standin(settings: Any) -> Iterator[PlatformStandIn]:
    with running_standin(settings) as server:
        yield server


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r_a1_assignment_reaches_liaison_and_head_in_wecom_once_with_two_workers(
    org: Org, standin: PlatformStandIn
):
    userids = on_platforms(standin, org.lead_liaison, org.lead_head)
    for person in (org.lead_liaison, org.lead_head):
        wants(person, wecom_app=True)
    item = establish(org)
    standin.expire_next_send = True  # the first message meets an expired token

    item_actions.assign_item(org.office_supervisor, item)

    queued = Delivery.objects.filter(channel=Channel.WECOM_APP).order_by("id")
    assert sorted(d.address for d in queued) == sorted(
        [org.lead_liaison.phone, org.lead_head.phone]
    )
    reports = run_two_workers()
    assert sum(report["sent"] for report in reports) == 2
    assert sum(report["retrying"] + report["failed"] for report in reports) == 0

    messages = standin.delivered(WECOM_SEND)
    assert sorted(message["touser"] for message in messages) == sorted(
        [userids[org.lead_liaison.pk], userids[org.lead_head.pk]]
    )
    for message in messages:
        assert message["agentid"] == WECOM_AGENT_ID
        assert message["msgtype"] == "textcard"
        card = message["textcard"]
        assert card["title"] == "[督办系统] 新交办督办事项：修订本科生培养方案"
        assert card["url"] == f"https://duban.example.edu.cn/items/{item.pk}/"
        assert f"台账编号：{item.ledger_number}" in card["description"]
        assert card["btntxt"] == "详情"
    # The token expired once and was answered 42001 (to each worker that still held
    # it: both, when they run at once on PostgreSQL), replaced, and the message sent.
    assert 1 <= standin.answered(WECOM_SEND, 42001) <= 2
    assert len(standin.to("/cgi-bin/gettoken")) >= 2
    assert all(d.status == DeliveryStatus.SENT and d.attempts == 1 for d in queued.all())

    # Nothing is left to send, however often the workers run.
    assert run_two_workers() == [NOTHING, NOTHING]
    assert len(standin.delivered(WECOM_SEND)) == 2
    # Both accounts were found by 手机 and kept, each with an audit event.
    accounts = PlatformAccount.objects.filter(platform="wecom").order_by("user_id")
    assert [(a.user_id, a.account_id, a.source) for a in accounts] == sorted(
        (pk, userid, AccountSource.MOBILE) for pk, userid in userids.items()
    )
    assert AuditEvent.objects.filter(verb="map_platform_account").count() == 2
