"""Webhooks of item events (issue 10, part 5; duban.hooks): an office registers an
endpoint, item events reach it signed, through the outbox, retried with backoff,
and a restricted item's event says no more than R-C1–C3 allow.

A real receiver runs on 127.0.0.1 (tests/webhook_receiver.py) and checks every
signature. The clock is moved, never slept on.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban import leasing
from duban.api.tokens import issue_token
from duban.audit.models import AuditEvent
from duban.hooks import actions as hooks
from duban.hooks import sending, signing
from duban.hooks.models import DeliveryStatus, Endpoint, EventKind, HookDelivery
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.models import Notice
from duban.items.sweep import run_sweep
from duban.organisation.models import Role, Unit, UnitKind

from .conftest import Org, advance, establish, make_person, meeting_input
from .webhook_receiver import Receiver, running

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def local_targets(settings: Any) -> None:
    # The receiver is on 127.0.0.1, which production refuses (duban.hooks.targets).
    settings.WEBHOOK_ALLOW_LOCAL = True
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_TIMEOUT = 0.5


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running() as receiver:
        yield receiver


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def register(org: Org, receiver: Receiver, kinds: list[str] | None = None) -> Endpoint:
    endpoint, secret = hooks.create_endpoint(
        org.office_supervisor,
        name="学校数据中心",
        url=receiver.url,
        kinds=kinds or [EventKind.ASSIGNED],
    )
    receiver.secret = secret
    return endpoint


def page(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state() -> tuple[Any, ...]:
    return (
        list(Endpoint.objects.order_by("pk").values()),
        list(HookDelivery.objects.order_by("pk").values()),
        # Sign-ins and tokens are bookkeeping, not changes.
        AuditEvent.objects.exclude(verb__in=("login", "logout", "issue_api_token")).count(),
    )


# ----------------------------------------------------------------------------- delivery


def test_an_assignment_is_delivered_once_signed(
    org: Org, receiver: Receiver, traveller: Any
) -> None:
    endpoint = register(org, receiver)
    item = establish(org)
    assert not HookDelivery.objects.exists()  # established: not subscribed
    actions.assign_item(org.office_supervisor, item)

    assert sending.deliver_due().as_dict() == {"sent": 1, "retrying": 0, "failed": 0}
    assert sending.deliver_due().sent == 0  # exactly once
    [got] = receiver.got()
    assert got["valid"] is True
    delivery = HookDelivery.objects.get()
    headers = got["headers"]
    assert headers["X-Duban-Event"] == "item.assigned"
    assert headers["X-Duban-Event-Id"] == str(delivery.event_id)
    assert headers["X-Duban-Timestamp"] == str(int(START.timestamp()))
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert got["json"] == {
        "id": str(delivery.event_id),
        "event": "item.assigned",
        "created_at": "2026-09-14T09:00:00+08:00",
        "item": {
            "id": item.pk,
            "restricted": False,
            "url": f"http://testserver/items/{item.pk}/".replace("http://testserver", _site_url()),
            "ledger_number": item.ledger_number,
            "title": "修订本科生培养方案",
            "status": "assigned",
            "status_label": "已交办",
            "deadline": item.deadline.isoformat(),
            "urgent": False,
            "lead_unit": {"id": org.lead_unit.pk, "name": "教务处"},
        },
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 1, 200)
    assert delivery.endpoint == endpoint


def _site_url() -> str:
    from django.conf import settings

    return str(settings.SITE_URL)


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    body = b'{"event":"ping"}'
    signed = signing.signature("whsec_k", 1790000000, body)
    assert signed.startswith("sha256=") and len(signed) == 7 + 64
    assert signing.verify("whsec_k", "1790000000", body, signed, now=1790000100)
    assert not signing.verify("whsec_k", "1790000001", body, signed, now=1790000100)
    assert not signing.verify("whsec_k", "1790000000", body + b" ", signed, now=1790000100)
    assert not signing.verify("other", "1790000000", body, signed, now=1790000100)
    assert not signing.verify("whsec_k", "1790000000", body, signed, now=1790000000 + 301)


def test_only_subscribed_events_are_sent(org: Org, receiver: Receiver, traveller: Any) -> None:
    register(org, receiver, [EventKind.ESTABLISHED, EventKind.COMPLETED])
    item = establish(org)
    advance(org, item, "completed")
    sending.deliver_due()
    assert [got["json"]["event"] for got in receiver.got()] == [
        "item.established",
        "item.completed",
    ]
    assert all(got["valid"] for got in receiver.got())


def test_a_500_is_retried_with_backoff_and_the_endpoint_marked_failing(
    org: Org, receiver: Receiver, traveller: Any
) -> None:
    endpoint = register(org, receiver)
    receiver.status = 500
    item = establish(org)
    actions.assign_item(org.office_supervisor, item)

    assert sending.deliver_due().retrying == 1
    delivery = HookDelivery.objects.get()
    assert (delivery.attempts, delivery.response_status) == (1, 500)
    assert delivery.last_error == "接收方返回 HTTP 500"
    assert delivery.next_attempt_at == START + dt.timedelta(minutes=1)
    traveller.shift(dt.timedelta(seconds=59))
    assert sending.deliver_due().as_dict() == {"sent": 0, "retrying": 0, "failed": 0}
    traveller.shift(dt.timedelta(seconds=1))
    assert sending.deliver_due().retrying == 1  # 2nd attempt; the next in 2 minutes
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == START + dt.timedelta(minutes=3)
    traveller.shift(dt.timedelta(minutes=2))
    assert sending.deliver_due().failed == 1  # the 3rd (WEBHOOK_MAX_ATTEMPTS)
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert endpoint.failing_since == START + dt.timedelta(minutes=3)
    assert len(receiver.got()) == 3 and all(got["valid"] for got in receiver.got())
    # Its creator is told, and the trail records it.
    assert Notice.objects.filter(
        recipient=org.office_supervisor, title="事件推送已暂停发送：学校数据中心"
    ).exists()
    assert AuditEvent.objects.filter(verb="webhook_failing").count() == 1

    # While failing, new events wait; the page says so.
    other = establish(org, title="第二个事项")
    actions.assign_item(org.office_supervisor, other)
    traveller.shift(dt.timedelta(hours=1))
    assert sending.deliver_due().as_dict() == {"sent": 0, "retrying": 0, "failed": 0}
    html = page(org.office_supervisor).get(reverse("webhook-list")).content.decode()
    assert "发送失败，已暂停" in html

    # The office resumes it: the failed delivery and the waiting one go out.
    receiver.status = 200
    hooks.activate_endpoint(org.office_supervisor, endpoint)
    assert sending.deliver_due().sent == 2
    assert set(HookDelivery.objects.values_list("status", flat=True)) == {"sent"}
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_timeout_is_retried_with_backoff(org: Org, receiver: Receiver, traveller: Any) -> None:
    register(org, receiver)
    receiver.hang = True
    actions.assign_item(org.office_supervisor, establish(org))

    assert sending.deliver_due().retrying == 1
    delivery = HookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.response_status is None
    assert delivery.last_error.startswith("等待接收方应答超时（0.5秒）")
    assert "timed out" in delivery.last_error
    receiver.hang = False
    traveller.shift(dt.timedelta(minutes=1))
    assert sending.deliver_due().sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 2, 200)
    # The retry is the same event: a receiver drops the repeat by its id.
    ids = {got["headers"]["X-Duban-Event-Id"] for got in receiver.got()}
    assert ids == {str(delivery.event_id)}


def test_an_action_succeeds_when_the_endpoint_is_down(org: Org, traveller: Any) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    hooks.create_endpoint(
        org.office_supervisor,
        name="停机的系统",
        url=f"http://127.0.0.1:{port}/",
        kinds=["item.assigned"],
    )
    item = establish(org)
    actions.assign_item(org.office_supervisor, item)  # the action does not wait for it
    item.refresh_from_db()
    assert item.status == "assigned"
    assert sending.deliver_due().retrying == 1
    delivery = HookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_error.startswith("无法连接接收方（")
    assert "Connection refused" in delivery.last_error
    item.refresh_from_db()
    assert item.status == "assigned"


def test_r_c1_a_restricted_items_event_carries_no_title(
    org: Org, receiver: Receiver, traveller: Any
) -> None:
    register(org, receiver)
    item = establish(
        org,
        title="信访件：某学院来访反映",
        content="核实来访人反映的问题。",
        confidentiality="sensitive",
    )
    actions.assign_item(org.office_supervisor, item)
    sending.deliver_due()
    [got] = receiver.got()
    assert got["valid"]
    assert got["json"] == {
        "id": got["headers"]["X-Duban-Event-Id"],
        "event": "item.assigned",
        "created_at": "2026-09-14T09:00:00+08:00",
        "item": {"id": item.pk, "restricted": True, "url": f"{_site_url()}/items/{item.pk}/"},
    }
    text = got["body"].decode()
    for hidden in (item.title, item.content, item.ledger_number, "教务处"):
        assert hidden not in text


def test_r_c5_no_event_of_an_item_the_creator_may_not_see(
    org: Org, receiver: Receiver, traveller: Any
) -> None:
    register(org, receiver, [EventKind.ESTABLISHED, EventKind.ASSIGNED])
    office = Unit.objects.create(
        code="0150", name="纪委办公室/监察处", kind=UnitKind.DISCIPLINE_OFFICE
    )
    discipline = make_person("discipline_supervisor", Role.OFFICE_SUPERVISOR, office, "纪委督办员")
    item = actions.establish_item(
        discipline,
        meeting_input(org, title="执纪事项", confidentiality="discipline", cooperating_units=[]),
    )
    actions.assign_item(discipline, item)
    assert not HookDelivery.objects.exists()


def test_the_sweeps_overdue_step_is_an_overdue_event(org: Org, receiver: Receiver) -> None:
    register(org, receiver, [EventKind.OVERDUE])
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        item = establish(org, minutes_deadline=dt.date(2026, 9, 29))
        advance(org, item, "in_progress")
    when = dt.datetime(2026, 9, 30, 9, tzinfo=SHANGHAI)
    with time_machine.travel(when, tick=False):
        run_sweep(when)
        run_sweep(when)  # once, whatever the number of runs
        sending.deliver_due()
    [got] = receiver.got()
    assert got["valid"]
    assert got["json"]["event"] == "item.overdue"
    assert got["json"]["step"] == "overdue-1"
    assert got["json"]["item"]["id"] == item.pk


def test_a_test_ping_and_a_new_secret(org: Org, receiver: Receiver, traveller: Any) -> None:
    endpoint = register(org, receiver)
    old = receiver.secret
    hooks.send_test_ping(org.office_supervisor, endpoint)
    receiver.secret = hooks.regenerate_secret(org.office_supervisor, endpoint)
    assert receiver.secret != old and receiver.secret.startswith("whsec_")
    sending.deliver_due()
    [got] = receiver.got()
    assert got["valid"]  # signed with the new secret when sent
    assert got["json"]["event"] == "ping"
    assert got["json"]["endpoint"] == {"id": endpoint.pk, "name": "学校数据中心"}
    assert not AuditEvent.objects.filter(summary__contains=receiver.secret).exists()
    assert not AuditEvent.objects.filter(data__icontains="whsec_").exists()


# ----------------------------------------------------------------------------- refusals


def test_only_an_office_supervisor_manages_webhooks(org: Org, receiver: Receiver) -> None:
    endpoint = register(org, receiver)
    before = state()
    for person in (org.lead_liaison, org.lead_head, org.leader_in_charge, org.system_admin):
        with pytest.raises(PermissionRefused) as refused:
            hooks.create_endpoint(person, name="x", url=receiver.url, kinds=["item.assigned"])
        assert str(refused.value) == "只有督办部门的督办员可以管理事件推送。"
        for act in (
            hooks.deactivate_endpoint,
            hooks.regenerate_secret,
            hooks.send_test_ping,
            hooks.activate_endpoint,
        ):
            with pytest.raises(PermissionRefused):
                act(person, endpoint)
        client = page(person)
        for url, data in (
            (reverse("webhook-list"), None),
            (reverse("webhook-new"), {"name": "x", "url": receiver.url, "events": "item.assigned"}),
            (reverse("webhook-detail", args=[endpoint.pk]), {"name": "改名", "url": receiver.url}),
            (reverse("webhook-deactivate", args=[endpoint.pk]), {}),
            (reverse("webhook-secret", args=[endpoint.pk]), {}),
            (reverse("webhook-ping", args=[endpoint.pk]), {}),
        ):
            response = client.get(url) if data is None else client.post(url, data)
            assert response.status_code == 403, url
            assert "只有督办部门的督办员可以管理事件推送。" in response.content.decode()
    assert state() == before


def test_another_offices_endpoint_answers_like_a_missing_one(org: Org, receiver: Receiver) -> None:
    endpoint = register(org, receiver)
    office = Unit.objects.create(code="0160", name="保密办公室", kind=UnitKind.SECRECY_OFFICE)
    stranger = make_person("secrecy_supervisor", Role.OFFICE_SUPERVISOR, office, "保密督办员")
    before = state()
    client = page(stranger)
    assert client.get(reverse("webhook-detail", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook-deactivate", args=[endpoint.pk])).status_code == 404
    assert "学校数据中心" not in client.get(reverse("webhook-list")).content.decode()
    with pytest.raises(PermissionRefused):
        hooks.deactivate_endpoint(stranger, endpoint)
    assert state() == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "请填写接收地址。"),
        ("ftp://example.edu.cn/hook", "接收地址必须以 http:// 或 https:// 开头。"),
        ("javascript:alert(1)", "接收地址必须以 http:// 或 https:// 开头。"),
        ("http://", "接收地址缺少主机名。"),
        ("http://exa mple.edu.cn/", "接收地址不能包含空格或控制字符。"),
        ("http://[::1/", "接收地址格式不正确。"),
        ("https://example.edu.cn:99999/", "接收地址格式不正确。"),
        ("https://user:pw@example.edu.cn/", "接收地址中不能包含用户名或密码，请改用签名密钥验证。"),
        (
            "http://169.254.169.254/latest/meta-data",
            "不能向本机、链路本地或保留地址（169.254.169.254）发送事件推送。",
        ),
        ("http://127.0.0.1:8000/", "不能向本机、链路本地或保留地址（127.0.0.1）发送事件推送。"),
        ("http://localhost/", "不能向本机、链路本地或保留地址（127.0.0.1）发送事件推送。"),
        ("http://[::ffff:127.0.0.1]/", "不能向本机、链路本地或保留地址（127.0.0.1）发送事件推送。"),
    ],
)
def test_a_bad_url_is_refused_and_nothing_changes(
    org: Org, settings: Any, url: str, message: str
) -> None:
    settings.WEBHOOK_ALLOW_LOCAL = False
    before = state()
    with pytest.raises(InvalidInput) as refused:
        hooks.create_endpoint(
            org.office_supervisor, name="数据中心", url=url, kinds=["item.assigned"]
        )
    assert refused.value.errors == {"url": message}
    response = page(org.office_supervisor).post(
        reverse("webhook-new"), {"name": "数据中心", "url": url, "events": "item.assigned"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state() == before


def test_an_intranet_address_is_allowed(org: Org, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOCAL = False
    endpoint, _secret = hooks.create_endpoint(
        org.office_supervisor,
        name="数据中心",
        url="http://10.2.3.4:8080/hook",
        kinds=["item.assigned"],
    )
    assert endpoint.url == "http://10.2.3.4:8080/hook"


def test_events_are_required_and_known(org: Org) -> None:
    before = state()
    with pytest.raises(InvalidInput) as refused:
        hooks.create_endpoint(org.office_supervisor, name="x", url="https://a.edu.cn/", kinds=[])
    assert refused.value.errors == {"events": "请至少选择一种事件。"}
    with pytest.raises(InvalidInput) as refused:
        hooks.create_endpoint(
            org.office_supervisor, name="x", url="https://a.edu.cn/", kinds=["no.such"]
        )
    assert refused.value.errors == {"events": "未知的事件：no.such"}
    assert state() == before


# ----------------------------------------------------------------------------- pages


def test_the_pages_create_show_the_secret_once_and_edit(org: Org, receiver: Receiver) -> None:
    client = page(org.office_supervisor)
    assert "新建事件推送" in client.get(reverse("webhook-new")).content.decode()
    response = client.post(
        reverse("webhook-new"),
        {
            "name": "<b>数据中心</b>",
            "url": receiver.url,
            "events": ["item.assigned", "item.completed"],
        },
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    html = response.content.decode()
    assert endpoint.secret in html and response["Cache-Control"] == "no-store"
    assert "&lt;b&gt;数据中心&lt;/b&gt;" in html and "<b>数据中心</b>" not in html
    assert (endpoint.events, endpoint.created_by, endpoint.office) == (
        ["item.assigned", "item.completed"],
        org.office_supervisor,
        org.office,
    )
    # Never again on a page.
    for url in (reverse("webhook-list"), reverse("webhook-detail", args=[endpoint.pk])):
        assert endpoint.secret not in client.get(url).content.decode()

    response = client.post(
        reverse("webhook-detail", args=[endpoint.pk]),
        {"name": "数据中心", "url": receiver.url, "events": ["item.overdue"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.events) == ("数据中心", ["item.overdue"])

    response = client.post(reverse("webhook-secret", args=[endpoint.pk]))
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()

    client.post(reverse("webhook-ping", args=[endpoint.pk]))
    assert HookDelivery.objects.get().event == "ping"
    client.post(reverse("webhook-deactivate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert "已停用" in client.get(reverse("webhook-list")).content.decode()
    client.post(reverse("webhook-activate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.is_active is True


def test_a_post_without_the_csrf_token_is_refused(org: Org) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.office_supervisor)
    response = client.post(
        reverse("webhook-new"), {"name": "x", "url": "https://a.edu.cn/", "events": "item.assigned"}
    )
    assert response.status_code == 403
    assert not Endpoint.objects.exists()


def test_the_delivery_log_shows_each_attempt(org: Org, receiver: Receiver, traveller: Any) -> None:
    endpoint = register(org, receiver)
    receiver.status = 503
    actions.assign_item(org.office_supervisor, establish(org))
    sending.deliver_due()
    html = (
        page(org.office_supervisor)
        .get(reverse("webhook-detail", args=[endpoint.pk]))
        .content.decode()
    )
    for text in ("发送记录", "交办", "重试中", "503", "接收方返回 HTTP 503", "2026-09-14 09:00:00"):
        assert text in html


@pytest.mark.parametrize("count", [1, 4])
def test_the_pages_queries_do_not_grow_with_rows(
    org: Org, count: int, django_assert_num_queries: Any, traveller: Any
) -> None:
    client = page(org.office_supervisor)
    client.get(reverse("webhook-list"))
    endpoints = [
        hooks.create_endpoint(
            org.office_supervisor,
            name=f"系统{n}",
            url=f"https://s{n}.edu.cn/",
            kinds=["item.assigned"],
        )[0]
        for n in range(count)
    ]
    for _n in range(count):
        hooks.send_test_ping(org.office_supervisor, endpoints[0])
    # session, user (with their unit), endpoints (with their creators); the header's
    # unread count
    with django_assert_num_queries(4):
        assert client.get(reverse("webhook-list")).status_code == 200
    # session, user (with their unit), the endpoint, the log's count and page; the
    # header's unread count
    with django_assert_num_queries(6):
        assert client.get(reverse("webhook-detail", args=[endpoints[0].pk])).status_code == 200


# ----------------------------------------------------------------------------- API


def api(user: Any) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_token(user)[0]}"})


def test_the_api_manages_endpoints(org: Org, receiver: Receiver, traveller: Any) -> None:
    client = api(org.office_supervisor)
    created = client.post(
        "/api/v1/webhooks",
        {"name": "数据中心", "url": receiver.url, "events": ["item.assigned"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    endpoint = Endpoint.objects.get()
    assert body["secret"] == endpoint.secret
    assert body["events"] == ["item.assigned"] and body["is_failing"] is False
    listed = client.get("/api/v1/webhooks").json()
    assert [row["id"] for row in listed] == [endpoint.pk] and "secret" not in listed[0]
    changed = client.patch(
        f"/api/v1/webhooks/{endpoint.pk}", {"name": "新名称"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["name"] == "新名称"
    assert changed.json()["url"] == receiver.url
    receiver.secret = endpoint.secret
    assert client.post(f"/api/v1/webhooks/{endpoint.pk}/ping").json()["event"] == "ping"
    sending.deliver_due()
    log = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()
    assert log["count"] == 1 and log["results"][0]["status"] == "sent"
    assert log["results"][0]["response_status"] == 200 and receiver.got()[0]["valid"]
    secret = client.post(f"/api/v1/webhooks/{endpoint.pk}/secret").json()["secret"]
    endpoint.refresh_from_db()
    assert secret == endpoint.secret
    assert client.post(f"/api/v1/webhooks/{endpoint.pk}/deactivate").json()["is_active"] is False


def test_the_api_refuses_the_wrong_role_and_a_bad_url(org: Org, receiver: Receiver) -> None:
    endpoint = register(org, receiver)
    liaison, supervisor = api(org.lead_liaison), api(org.office_supervisor)
    before = state()
    refused = liaison.post(
        "/api/v1/webhooks",
        {"name": "x", "url": receiver.url, "events": ["item.assigned"]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused.json()["message"] == "只有督办部门的督办员可以管理事件推送。"
    assert liaison.get("/api/v1/webhooks").status_code == 403
    assert liaison.post(f"/api/v1/webhooks/{endpoint.pk}/deactivate").status_code == 403
    bad = supervisor.post(
        "/api/v1/webhooks",
        {"name": "x", "url": "file:///etc/passwd", "events": ["item.assigned"]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"url": "接收地址必须以 http:// 或 https:// 开头。"}
    assert state() == before


# ----------------------------------------------------------------------------- edges


def test_a_rolled_back_action_sends_nothing(org: Org, receiver: Receiver) -> None:
    from django.db import transaction

    register(org, receiver)
    item = establish(org)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.assign_item(org.office_supervisor, item)
        raise RuntimeError("the action's transaction fails after the event")
    assert not HookDelivery.objects.exists()


def test_steps_filled_in_from_an_old_ledger_send_nothing(org: Org, receiver: Receiver) -> None:
    from duban.notify.outbox import inbox_only

    register(org, receiver)
    with inbox_only():
        actions.assign_item(org.office_supervisor, establish(org))
    assert not HookDelivery.objects.exists()


def test_r_c5_an_endpoint_whose_creator_left_hears_nothing(org: Org, receiver: Receiver) -> None:
    endpoint = register(org, receiver)  # subscribed to assignments
    item = establish(org)
    other = make_person("office_supervisor_2", Role.OFFICE_SUPERVISOR, org.office, "李督办")
    org.office_supervisor.is_active = False  # the creator leaves
    org.office_supervisor.save(update_fields=["is_active"])
    actions.assign_item(other, item)
    assert not HookDelivery.objects.exists()
    html = page(other).get(reverse("webhook-detail", args=[endpoint.pk])).content.decode()
    assert "创建人的账号已停用，此地址不再收到任何事项的事件" in html


def test_a_deactivated_endpoint_hears_nothing(org: Org, receiver: Receiver) -> None:
    endpoint = register(org, receiver)
    hooks.deactivate_endpoint(org.office_supervisor, endpoint)
    actions.assign_item(org.office_supervisor, establish(org))
    assert not HookDelivery.objects.exists()


def test_two_workers_never_hold_the_same_delivery(org: Org, receiver: Receiver) -> None:
    register(org, receiver)
    actions.assign_item(org.office_supervisor, establish(org))
    delivery = HookDelivery.objects.get()
    assert leasing.claim(sending.pending(), delivery.pk) is not None
    # The other worker's UPDATE matches nothing.
    assert leasing.claim(sending.pending(), delivery.pk) is None


def test_a_redirect_is_not_followed(org: Org, receiver: Receiver, traveller: Any) -> None:
    register(org, receiver)
    receiver.status = 302
    actions.assign_item(org.office_supervisor, establish(org))
    assert sending.deliver_due().retrying == 1
    delivery = HookDelivery.objects.get()
    assert (delivery.response_status, delivery.last_error) == (302, "接收方返回 HTTP 302")
    assert len(receiver.got()) == 1


def test_a_host_that_now_resolves_to_the_server_is_not_sent_to(
    org: Org, receiver: Receiver, settings: Any, traveller: Any
) -> None:
    register(org, receiver)  # registered while loopback was allowed
    settings.WEBHOOK_ALLOW_LOCAL = False
    actions.assign_item(org.office_supervisor, establish(org))
    assert sending.deliver_due().retrying == 1
    delivery = HookDelivery.objects.get()
    assert delivery.last_error == "不能向本机、链路本地或保留地址（127.0.0.1）发送事件推送。"
    assert receiver.got() == []
