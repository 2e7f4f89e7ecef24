"""Personal work notices: 企业微信 application messages and 钉钉 work notices, channels of
the one outbox, against the stand-in server of tests/platform_standin.py (a real HTTP
server on 127.0.0.1 speaking the platforms' documented shapes; the clouds cannot run
here)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import checks
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.notify import actions, delivery
from duban.notify.models import (
    AccountSource,
    ChannelPreference,
    Delivery,
    DeliveryStatus,
    PlatformAccount,
)
from duban.notify.outbox import notify
from duban.notify.tasks import deliver_due
from duban.organisation.models import User
from tests.conftest import PASSWORD, Org, establish
from tests.platform_standin import (
    DINGTALK_AGENT_ID,
    DINGTALK_SEND,
    WECOM_SEND,
    PlatformStandIn,
    running_standin,
)

GETUSERID = "/cgi-bin/user/getuserid"
GETBYMOBILE = "/topapi/v2/user/getbymobile"
NOTHING = {"sent": 0, "retrying": 0, "failed": 0}


@pytest.fixture
def standin(settings: Any) -> Iterator[PlatformStandIn]:
    with running_standin(settings) as server:
        yield server


def wants(person: User, **channels: bool) -> None:
    choices = {"email": False, "sms": False, "wecom": False, "dingtalk": False}
    choices.update(channels)
    actions.set_channel_preferences(person, **choices)


def on_platforms(standin: PlatformStandIn, *people: User) -> dict[int, str]:
    """Give each person a 手机 the platforms know; returns their userids by person."""
    userids = {}
    for person in people:
        mobile = f"1390000{person.pk:04d}"
        User.objects.filter(pk=person.pk).update(phone=mobile)
        person.refresh_from_db()
        userids[person.pk] = f"u{person.pk}"
        standin.wecom_users[mobile] = f"u{person.pk}"
        standin.dingtalk_users[mobile] = f"u{person.pk}"
    return userids


def run_two_workers() -> list[dict[str, int]]:
    """Two workers run deliver_due at once (threads with their own connections; truly
    concurrent on PostgreSQL, one after the other on SQLite's in-memory database)."""
    reports: list[dict[str, int]] = []
    errors: list[BaseException] = []
    concurrent = connection.vendor == "postgresql"
    barrier = threading.Barrier(2, timeout=30)

    def worker() -> None:
        try:
            if concurrent:
                barrier.wait()
            reports.append(deliver_due.call())
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
        if not concurrent:
            thread.join(timeout=120)
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return reports


# ----------------------------------------------------------------------------- 企业微信


def test_a_rate_limit_is_retried_later_and_never_dropped(org: Org, standin: PlatformStandIn):
    on_platforms(standin, org.lead_liaison)
    wants(org.lead_liaison, wecom_app=True)
    standin.rate_limit_sends = delivery.MAX_ATTEMPTS + 2  # more than any failure allows
    moment = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        notify([org.lead_liaison], establish(org), "催办", "请尽快反馈。")
    for step in range(delivery.MAX_ATTEMPTS + 2):
        now = moment + step * (delivery.RATE_LIMIT_WAIT + dt.timedelta(seconds=1))
        with time_machine.travel(now, tick=False):
            assert deliver_due.call() == {"sent": 0, "retrying": 1, "failed": 0}
            waiting = Delivery.objects.get()
            assert waiting.status == DeliveryStatus.PENDING
            assert waiting.attempts == 0  # a rate limit is not a failed attempt
            assert waiting.next_attempt_at == now + delivery.RATE_LIMIT_WAIT
            assert "errcode 45009" in waiting.last_error
            # Not before its time.
            assert deliver_due.call() == NOTHING
    with time_machine.travel(waiting.next_attempt_at, tick=False):
        assert deliver_due.call() == {"sent": 1, "retrying": 0, "failed": 0}
    assert standin.answered(WECOM_SEND, 45009) == delivery.MAX_ATTEMPTS + 2
    assert len(standin.delivered(WECOM_SEND)) == 1


def test_the_token_is_cached_and_the_account_looked_up_once(org: Org, standin: PlatformStandIn):
    userids = on_platforms(standin, org.lead_liaison)
    wants(org.lead_liaison, wecom_app=True)
    item = establish(org)
    notify([org.lead_liaison], item, "第一条")
    assert deliver_due.call()["sent"] == 1
    notify([org.lead_liaison], item, "第二条")
    second = Delivery.objects.order_by("-id").first()
    assert second is not None
    assert second.address == userids[org.lead_liaison.pk]  # now known: the account itself
    assert deliver_due.call()["sent"] == 1
    assert len(standin.to("/cgi-bin/gettoken")) == 1
    assert len(standin.to(GETUSERID)) == 1
    assert [m["textcard"]["title"] for m in standin.delivered(WECOM_SEND)] == [
        "[督办系统] 第一条",
        "[督办系统] 第二条",
    ]


def test_a_person_the_platform_does_not_know_is_retried_with_a_clear_error(
    org: Org, standin: PlatformStandIn
):
    User.objects.filter(pk=org.lead_liaison.pk).update(phone="13700000000")
    org.lead_liaison.refresh_from_db()
    wants(org.lead_liaison, wecom_app=True)
    notify([org.lead_liaison], establish(org), "催办")
    assert deliver_due.call() == {"sent": 0, "retrying": 1, "failed": 0}
    waiting = Delivery.objects.get()
    assert waiting.attempts == 1
    assert waiting.last_error.startswith("AccountNotFound: wecom: no account found")
    assert standin.answered(GETUSERID, 46004) == 1
    assert not PlatformAccount.objects.exists()
    assert standin.to(WECOM_SEND) == []


def test_no_phone_and_no_account_means_no_work_notice(org: Org, standin: PlatformStandIn):
    wants(org.lead_liaison, wecom_app=True, dingtalk_app=True)
    notify([org.lead_liaison], establish(org), "催办")
    assert not Delivery.objects.exists()


def test_the_system_admin_enters_an_account_by_hand(org: Org, standin: PlatformStandIn):
    on_platforms(standin, org.lead_liaison)
    standin.wecom_users["19900000000"] = "zhou.lianluo"
    admin = org.system_admin
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/notify/platformaccount/add/",
        {"user": org.lead_liaison.pk, "platform": "wecom", "account_id": "zhou.lianluo"},
    )
    assert response.status_code == 302
    account = PlatformAccount.objects.get()
    assert (account.user, account.account_id, account.source) == (
        org.lead_liaison,
        "zhou.lianluo",
        AccountSource.MANUAL,
    )
    event = AuditEvent.objects.get(verb="admin_create")
    assert event.actor == admin
    assert "zhou.lianluo" in event.summary

    # The same id twice is refused, with a message, and nothing changes.
    response = client.post(
        "/admin/notify/platformaccount/add/",
        {"user": org.lead_head.pk, "platform": "wecom", "account_id": "zhou.lianluo"},
    )
    assert response.status_code == 200
    assert "该账号已登记给其他人员，请核对。" in response.content.decode()
    assert PlatformAccount.objects.count() == 1

    wants(org.lead_liaison, wecom_app=True)
    notify([org.lead_liaison], establish(org), "催办")
    assert deliver_due.call()["sent"] == 1
    assert [m["touser"] for m in standin.delivered(WECOM_SEND)] == ["zhou.lianluo"]
    assert standin.to(GETUSERID) == []  # the hand-entered id, not a lookup


# ----------------------------------------------------------------------------- 钉钉


def test_dingtalk_work_notice_survives_an_expired_token_and_a_rate_limit(
    org: Org, standin: PlatformStandIn
):
    userids = on_platforms(standin, org.lead_liaison)
    wants(org.lead_liaison, dingtalk_app=True)
    item = establish(org)
    moment = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        notify([org.lead_liaison], item, "催办：修订本科生培养方案", "请尽快反馈。")
        standin.rate_limit_sends = 1
        assert deliver_due.call() == {"sent": 0, "retrying": 1, "failed": 0}
        assert "errcode 90018" in Delivery.objects.get().last_error
    standin.expire_next_send = True
    with time_machine.travel(moment + delivery.RATE_LIMIT_WAIT, tick=False):
        assert deliver_due.call() == {"sent": 1, "retrying": 0, "failed": 0}

    assert standin.answered(DINGTALK_SEND, 88) == 1  # sub_code 40014: a new token fixed it
    (message,) = standin.delivered(DINGTALK_SEND)
    assert message["agent_id"] == DINGTALK_AGENT_ID
    assert message["userid_list"] == userids[org.lead_liaison.pk]
    card = message["msg"]["action_card"]
    assert message["msg"]["msgtype"] == "action_card"
    assert card["title"] == "[督办系统] 催办：修订本科生培养方案"
    assert card["single_url"] == f"https://duban.example.edu.cn/items/{item.pk}/"
    assert "请尽快反馈。" in card["markdown"]
    assert len(standin.to("/gettoken")) == 2
    (lookup,) = standin.to(GETBYMOBILE)
    assert lookup["json"] == {"mobile": org.lead_liaison.phone}
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts) == (DeliveryStatus.SENT, 1)


# ----------------------------------------------------------------------------- 通知设置


def test_preferences_page_offers_the_work_notices(
    org: Org, standin: PlatformStandIn, settings: Any
):
    on_platforms(standin, org.lead_liaison)
    PlatformAccount.objects.create(user=org.lead_liaison, platform="dingtalk", account_id="zl")
    client = Client()
    client.login(username=org.lead_liaison.username, password=PASSWORD)
    page = client.get(reverse("notify-preferences")).content.decode()
    assert "企业微信工作通知" in page
    assert f"发送至：按手机号 {org.lead_liaison.phone} 匹配的账号" in page
    assert "发送至：账号 zl" in page

    response = client.post(reverse("notify-preferences"), {"wecom_app": "on"})
    assert response.status_code == 302
    preference = ChannelPreference.objects.get(user=org.lead_liaison)
    assert (preference.email, preference.wecom_app, preference.dingtalk_app) == (
        False,
        True,
        False,
    )
    event = AuditEvent.objects.get(verb="set_channel_preferences")
    assert event.summary == "设置通知方式：企业微信工作通知"

    # Without the app's credentials the channel is shown as not open, and not sent.
    settings.WECOM_SECRET = ""
    page = client.get(reverse("notify-preferences")).content.decode()
    assert page.count("本系统尚未开通此方式") == 4  # email, both robots, wecom app
    notify([org.lead_liaison], None, "标题")
    assert [d.channel for d in Delivery.objects.all()] == []


def test_a_half_configured_app_fails_the_system_check(settings: Any):
    settings.WECOM_CORP_ID = "ww-test"
    settings.WECOM_AGENT_ID = "not-a-number"
    settings.WECOM_SECRET = ""
    ids = sorted(message.id for message in checks.run_checks() if message.id.startswith("duban_n"))
    assert ids == ["duban_notify.E002", "duban_notify.E003"]


def test_where_userids_are_the_staff_number_no_lookup_is_made(
    org: Org, standin: PlatformStandIn, settings: Any
):
    """A university whose 企业微信 userids are the 工号 sends to the staff number at
    once; the account is recorded as found by 工号. Without the setting, or without a
    工号, the account is looked up by 手机 as before."""
    settings.WECOM_USERID_IS_STAFF_NUMBER = True
    standin.wecom_users["13900009999"] = "T20260017"  # the platform's member, by 工号
    User.objects.filter(pk=org.lead_liaison.pk).update(staff_number="T20260017")
    org.lead_liaison.refresh_from_db()
    wants(org.lead_liaison, wecom_app=True)
    notify([org.lead_liaison], establish(org), "新交办")
    assert deliver_due.call()["sent"] == 1
    assert [m["touser"] for m in standin.delivered(WECOM_SEND)] == ["T20260017"]
    assert standin.to(GETUSERID) == []
    account = PlatformAccount.objects.get(user=org.lead_liaison)
    assert (account.account_id, account.source) == ("T20260017", AccountSource.STAFF_NUMBER)

    # Someone without a 工号 is still found by 手机.
    userids = on_platforms(standin, org.lead_head)
    wants(org.lead_head, wecom_app=True)
    notify([org.lead_head], establish(org, title="第二项"), "新交办")
    assert deliver_due.call()["sent"] == 1
    assert standin.delivered(WECOM_SEND)[-1]["touser"] == userids[org.lead_head.pk]
    assert len(standin.to(GETUSERID)) == 1
