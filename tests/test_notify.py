"""The outbox (R-A1 "each notice is recorded", R-U2 urges by SMS): notices and their
deliveries are written together, then sent by the worker's `deliver_due` with
retries and backoff; failures show on the office's page with a resend button.

Email is tested against a real SMTP server on loopback (aiosmtpd), never a fake.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from duban import clock
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Item, Notice
from duban.notify import delivery as delivery_module
from duban.notify.models import Channel, ChannelPreference, Delivery, DeliveryStatus
from duban.notify.outbox import notify
from duban.notify.tasks import deliver_due
from duban.organisation.models import Role, Unit, UnitKind, User
from tests.conftest import PASSWORD, Org, advance, establish, make_person, meeting_input

# ----------------------------------------------------------------------------- helpers


class SmtpInbox:
    """aiosmtpd handler: keeps every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        # Django folds the encoded subject onto the next line; clients drop that space.
        return [str(message["Subject"]).strip() for message in self.messages]

    def bodies(self) -> list[str]:
        return [message.get_body(("plain",)).get_content() for message in self.messages]  # type: ignore[union-attr]


def free_port() -> int:
    """A loopback port with nothing listening on it (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_smtp(port: int) -> tuple[Controller, SmtpInbox]:
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def use_smtp(settings: Any, port: int) -> None:
    # pytest-django swaps in the locmem backend; these tests talk to a real server.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "duban@example.edu.cn"
    settings.SITE_URL = "https://duban.example.edu.cn"


def give_addresses(*people: User) -> None:
    for person in people:
        User.objects.filter(pk=person.pk).update(
            email=f"{person.username}@example.edu.cn", phone=f"1380000{person.pk:04d}"
        )
        person.refresh_from_db()


def deliveries(**filters: Any) -> list[Delivery]:
    return list(Delivery.objects.filter(**filters).order_by("id"))


def at(moment: dt.datetime) -> Any:
    return time_machine.travel(moment, tick=False)


@pytest.fixture(autouse=True)
def one_step_sign_in(settings: Any) -> None:
    # These pages are not about two-factor sign-in (tested on its own).
    settings.OTP_REQUIRED = False


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpInbox]:
    controller, inbox = start_smtp(free_port())
    use_smtp(settings, controller.port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def addressed(org: Org) -> Org:
    give_addresses(
        org.lead_liaison,
        org.lead_head,
        org.cooperating_liaison,
        org.office_supervisor,
        org.other_unit_liaison,
    )
    return org


# ----------------------------------------------------------------------------- the outbox


def test_r_a1_assignment_email_arrives_with_chinese_subject_and_ledger_number(
    addressed: Org, smtp: SmtpInbox
):
    org = addressed
    item = advance(org, establish(org), "assigned")
    pending = deliveries(status=DeliveryStatus.PENDING)
    # Email is everyone's default channel: the lead unit's liaison and head, and the
    # cooperating unit's liaison (R-A1).
    assert sorted((d.channel, d.address) for d in pending) == sorted(
        [
            ("email", "lead_liaison@example.edu.cn"),
            ("email", "lead_head@example.edu.cn"),
            ("email", "cooperating_liaison@example.edu.cn"),
        ]
    )

    result = deliver_due.call()

    assert result == {"sent": 3, "retrying": 0, "failed": 0}
    assert sorted(smtp.subjects()) == sorted(
        [
            "[督办系统] 新交办督办事项：修订本科生培养方案",
            "[督办系统] 新交办督办事项：修订本科生培养方案",
            "[督办系统] 请配合办理督办事项：修订本科生培养方案",
        ]
    )
    recipients = sorted(str(message["To"]) for message in smtp.messages)
    assert recipients == [
        "cooperating_liaison@example.edu.cn",
        "lead_head@example.edu.cn",
        "lead_liaison@example.edu.cn",
    ]
    for body in smtp.bodies():
        assert f"台账编号：{item.ledger_number}" in body
        assert f"https://duban.example.edu.cn/items/{item.pk}/" in body
    sent = deliveries()
    assert {d.status for d in sent} == {DeliveryStatus.SENT}
    assert all(d.attempts == 1 and d.sent_at is not None and d.claimed_until is None for d in sent)
    # Sending again sends nothing: every delivery is done.
    assert deliver_due.call() == {"sent": 0, "retrying": 0, "failed": 0}
    assert len(smtp.messages) == 3


def test_notice_and_deliveries_are_written_in_one_transaction(addressed: Org, settings: Any):
    org = addressed
    settings.EMAIL_HOST = "127.0.0.1"
    item = establish(org)
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([org.lead_liaison], item, "标题", "内容")
        assert Delivery.objects.count() == 1
        raise RuntimeError("the causing event fails")
    assert Notice.objects.filter(title="标题").count() == 0
    assert Delivery.objects.count() == 0


def test_delivery_task_is_enqueued_after_commit(
    addressed: Org, settings: Any, django_capture_on_commit_callbacks: Any
):
    org = addressed
    settings.EMAIL_HOST = "127.0.0.1"
    item = establish(org)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify([org.lead_liaison], item, "标题")
        assert DBTaskResult.objects.count() == 0  # nothing is queued before the commit
    assert len(callbacks) == 1
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "duban.notify.tasks.deliver_due"


def test_nothing_is_queued_for_a_notice_without_outside_channels(
    org: Org, django_capture_on_commit_callbacks: Any
):
    item = establish(org)  # nobody has an email address or a phone
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notices = notify([org.lead_liaison, org.lead_head], item, "标题")
    assert len(notices) == 2
    assert Delivery.objects.count() == 0
    assert callbacks == []


def test_each_person_gets_their_channels(addressed: Org, settings: Any):
    org = addressed
    settings.EMAIL_HOST = "127.0.0.1"
    ChannelPreference.objects.create(user=org.lead_liaison, email=False, sms=True)
    ChannelPreference.objects.create(user=org.lead_head, email=True, sms=True)
    User.objects.filter(pk=org.cooperating_liaison.pk).update(email="")
    org.cooperating_liaison.refresh_from_db()
    item = establish(org)

    notify([org.lead_liaison, org.lead_head, org.cooperating_liaison, org.lead_head], item, "标题")

    assert sorted((d.notice.recipient.username, d.channel) for d in deliveries()) == [
        ("lead_head", "email"),
        ("lead_head", "sms"),
        ("lead_liaison", "sms"),
        # the cooperating liaison has no email and wants no SMS: inbox only
    ]
    assert Notice.objects.filter(title="标题").count() == 3  # once per person


def test_r_u2_forced_sms_reaches_people_who_did_not_choose_it(addressed: Org, settings: Any):
    org = addressed
    settings.EMAIL_HOST = ""  # no email channel in this deployment
    User.objects.filter(pk=org.lead_head.pk).update(phone="")
    org.lead_head.refresh_from_db()
    item = establish(org)

    notify([org.lead_liaison, org.lead_head], item, "催办", force_channels=("sms",))

    # The head has no phone: nothing to send to, the inbox notice still stands.
    assert [(d.notice.recipient.username, d.channel, d.address) for d in deliveries()] == [
        ("lead_liaison", "sms", org.lead_liaison.phone)
    ]
    assert Notice.objects.filter(title="催办").count() == 2


def test_unknown_forced_channel_is_refused(org: Org):
    with pytest.raises(ValueError, match="carrier_pigeon"):
        notify([org.lead_liaison], None, "标题", force_channels=("carrier_pigeon",))
    assert Notice.objects.count() == 0


def test_group_robot_gets_one_delivery_per_batch_and_only_for_ordinary_items(
    addressed: Org, settings: Any
):
    org = addressed
    settings.WECOM_WEBHOOK_URL = "http://127.0.0.1:9/wecom"
    for person in (org.lead_liaison, org.lead_head):
        ChannelPreference.objects.create(user=person, email=False, wecom=True, dingtalk=True)
    item = establish(org)

    notify([org.lead_liaison, org.lead_head], item, "标题")

    # DingTalk has no webhook here, so only WeCom; one message for the group.
    assert [(d.channel, d.address) for d in deliveries()] == [("wecom", "")]

    sensitive = establish(org, title="信访事项", confidentiality="sensitive")
    notify([org.lead_liaison, org.lead_head], sensitive, "敏感标题")
    # A chat group is no list of people allowed to see a sensitive item (R-C5).
    assert Delivery.objects.filter(notice__item=sensitive).count() == 0


@pytest.mark.parametrize("count", [2, 12])
def test_notify_is_set_based(org: Org, settings: Any, count: int, django_assert_num_queries):
    settings.EMAIL_HOST = "127.0.0.1"
    people = [
        User.objects.create_user(
            username=f"person{n}", password=PASSWORD, email=f"p{n}@example.edu.cn"
        )
        for n in range(count)
    ]
    # Notices, preferences, deliveries: three queries whatever the number of people.
    with django_assert_num_queries(3):
        notify(people, None, "标题")
    assert Delivery.objects.count() == count


# ----------------------------------------------------------------------------- retries


def test_smtp_down_is_retried_with_backoff_then_sent(addressed: Org, settings: Any):
    org = addressed
    port = free_port()  # nothing listens here yet
    use_smtp(settings, port)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with at(start):
        notify([org.lead_liaison], establish(org), "标题", "内容")
        assert deliver_due.call() == {"sent": 0, "retrying": 1, "failed": 0}
    failed_once = Delivery.objects.get()
    assert failed_once.status == DeliveryStatus.PENDING
    assert failed_once.attempts == 1
    assert failed_once.next_attempt_at == start + dt.timedelta(minutes=1)
    assert failed_once.claimed_until is None
    assert "ConnectionRefusedError" in failed_once.last_error

    # Not due yet: nothing is tried.
    with at(start + dt.timedelta(seconds=59)):
        assert deliver_due.call() == {"sent": 0, "retrying": 0, "failed": 0}

    controller, inbox = start_smtp(port)
    try:
        with at(start + dt.timedelta(minutes=1)):
            assert deliver_due.call() == {"sent": 1, "retrying": 0, "failed": 0}
    finally:
        controller.stop()
    sent = Delivery.objects.get()
    assert sent.status == DeliveryStatus.SENT
    assert sent.attempts == 2
    assert sent.sent_at == start + dt.timedelta(minutes=1)
    assert inbox.subjects() == ["[督办系统] 标题"]


def fail_until_given_up(org: Org, settings: Any, start: dt.datetime) -> Delivery:
    """Notify the lead liaison with SMTP down and let every retry fail."""
    use_smtp(settings, free_port())
    moment = start
    with at(moment):
        notify([org.lead_liaison], establish(org), "标题", "内容")
    waits = []
    for attempt in range(1, delivery_module.MAX_ATTEMPTS + 1):
        with at(moment):
            report = deliver_due.call()
        current = Delivery.objects.get()
        assert current.attempts == attempt
        if attempt < delivery_module.MAX_ATTEMPTS:
            assert report == {"sent": 0, "retrying": 1, "failed": 0}
            waits.append(current.next_attempt_at - moment)
            moment = current.next_attempt_at
        else:
            assert report == {"sent": 0, "retrying": 0, "failed": 1}
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    return Delivery.objects.get()


def test_after_six_attempts_a_delivery_fails_and_the_office_resends_it(
    addressed: Org, settings: Any, client: Client
):
    org = addressed
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    failed = fail_until_given_up(org, settings, start)
    assert failed.status == DeliveryStatus.FAILED
    assert failed.last_error.startswith("ConnectionRefusedError")
    # A failed delivery is never tried again by itself.
    with at(start + dt.timedelta(days=1)):
        assert deliver_due.call() == {"sent": 0, "retrying": 0, "failed": 0}

    client.login(username=org.office_supervisor.username, password=PASSWORD)
    page = client.get(reverse("notify-failures")).content.decode()
    assert "发送失败" in page
    assert "lead_liaison@example.edu.cn" in page
    assert "ConnectionRefusedError" in page
    assert failed.notice.item.ledger_number in page
    assert "重新发送" in page

    with at(start + dt.timedelta(days=1)):
        response = client.post(reverse("notify-retry", args=[failed.pk]), follow=True)
    assert "已重新加入发送队列。" in response.content.decode()
    retried = Delivery.objects.get()
    assert retried.status == DeliveryStatus.PENDING
    assert retried.attempts == 0
    assert retried.next_attempt_at == start + dt.timedelta(days=1)
    (event,) = AuditEvent.objects.filter(verb="retry_delivery")
    assert event.actor == org.office_supervisor
    assert event.item == failed.notice.item
    assert event.data["delivery"] == failed.pk

    controller, inbox = start_smtp(settings.EMAIL_PORT)
    try:
        with at(start + dt.timedelta(days=1, seconds=1)):
            assert deliver_due.call() == {"sent": 1, "retrying": 0, "failed": 0}
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_retrying_deliveries_are_listed_without_a_resend_button(
    addressed: Org, settings: Any, client: Client
):
    org = addressed
    use_smtp(settings, free_port())
    notify([org.lead_liaison], establish(org), "标题")
    deliver_due.call()
    client.login(username=org.office_supervisor.username, password=PASSWORD)
    page = client.get(reverse("notify-failures")).content.decode()
    assert "重试中" in page
    assert "重新发送" not in page


def test_resending_a_delivery_that_has_not_failed_is_refused(
    addressed: Org, settings: Any, client: Client
):
    org = addressed
    settings.EMAIL_HOST = "127.0.0.1"
    notify([org.lead_liaison], establish(org), "标题")
    pending = Delivery.objects.get()
    before = (pending.status, pending.attempts, pending.next_attempt_at)
    client.login(username=org.office_supervisor.username, password=PASSWORD)
    response = client.post(reverse("notify-retry", args=[pending.pk]), follow=True)
    assert "只有发送失败的通知可以重新发送。" in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.attempts, pending.next_attempt_at) == before
    assert not AuditEvent.objects.filter(verb="retry_delivery").exists()


def test_failures_page_is_for_office_supervisors_only(
    addressed: Org, settings: Any, client: Client
):
    org = addressed
    failed = fail_until_given_up(org, settings, dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    client.login(username=org.lead_liaison.username, password=PASSWORD)
    response = client.get(reverse("notify-failures"))
    assert response.status_code == 403
    assert "只有督办员可以查看通知发送情况。" in response.content.decode()
    response = client.post(reverse("notify-retry", args=[failed.pk]))
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED

    anonymous = Client()
    response = anonymous.get(reverse("notify-failures"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_failures_page_shows_only_items_the_supervisor_may_see(
    addressed: Org, settings: Any, client: Client
):
    """R-C5: a discipline item's failed email is not shown to the General Office."""
    org = addressed
    discipline_office = Unit.objects.create(
        code="0900", name="纪委办公室", kind=UnitKind.DISCIPLINE_OFFICE
    )
    jiwei = make_person("jiwei", Role.OFFICE_SUPERVISOR, discipline_office, "纪委督办")
    use_smtp(settings, free_port())
    hidden = actions.establish_item(jiwei, meeting_input(org, confidentiality="discipline"))
    notify([org.lead_liaison], hidden, "执纪事项")
    notify([org.lead_liaison], None, "系统通知")
    for _attempt in range(delivery_module.MAX_ATTEMPTS):
        with at(clock.now() + dt.timedelta(hours=_attempt + 1)):
            deliver_due.call()
    assert Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 2
    hidden_delivery = Delivery.objects.get(notice__item=hidden)

    client.login(username=org.office_supervisor.username, password=PASSWORD)
    page = client.get(reverse("notify-failures")).content.decode()
    assert "系统通知" in page
    assert "执纪事项" not in page
    assert hidden.ledger_number not in page
    response = client.post(reverse("notify-retry", args=[hidden_delivery.pk]))
    assert response.status_code == 404
    hidden_delivery.refresh_from_db()
    assert hidden_delivery.status == DeliveryStatus.FAILED

    client.login(username="jiwei", password=PASSWORD)
    page = client.get(reverse("notify-failures")).content.decode()
    assert "执纪事项" in page


FAILURES_QUERIES = 9


@pytest.mark.parametrize("count", [3, 30])
def test_failures_page_queries_do_not_grow_with_rows(
    addressed: Org, settings: Any, client: Client, count: int, django_assert_max_num_queries
):
    org = addressed
    item = establish(org)
    notices = [
        Notice.objects.create(
            recipient=org.lead_liaison, item=item, title=f"标题{n}", created_at=clock.now()
        )
        for n in range(count)
    ]
    Delivery.objects.bulk_create(
        Delivery(
            notice=notice,
            channel=Channel.EMAIL,
            address="lead_liaison@example.edu.cn",
            status=DeliveryStatus.FAILED if n % 2 else DeliveryStatus.PENDING,
            attempts=6 if n % 2 else 2,
            next_attempt_at=clock.now(),
            last_error="SMTPServerDisconnected: Connection unexpectedly closed",
            created_at=clock.now(),
        )
        for n, notice in enumerate(notices)
    )
    client.login(username=org.office_supervisor.username, password=PASSWORD)
    with django_assert_max_num_queries(FAILURES_QUERIES):
        response = client.get(reverse("notify-failures"))
    page = response.content.decode()
    assert page.count("SMTPServerDisconnected") == count


# ----------------------------------------------------------------------------- two workers


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_delivery_exactly_once(org: Org, smtp: SmtpInbox):
    """Two workers run deliver_due at once (threads with their own connections; truly
    concurrent on PostgreSQL, one after the other on SQLite, whose in-memory test
    database allows one writer): every delivery reaches the server exactly once."""
    people = [
        User.objects.create_user(
            username=f"person{n}", password=PASSWORD, email=f"person{n}@example.edu.cn"
        )
        for n in range(20)
    ]
    notify(people, None, "并发测试")
    assert Delivery.objects.count() == 20
    reports: list[dict[str, int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=30)

    def worker() -> None:
        try:
            if connection.vendor == "postgresql":
                barrier.wait()
            reports.append(deliver_due.call())
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    if connection.vendor == "postgresql":
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    else:
        for thread in threads:
            thread.start()
            thread.join(timeout=120)
    assert errors == []
    assert sum(report["sent"] for report in reports) == 20
    recipients = sorted(str(message["To"]) for message in smtp.messages)
    assert recipients == sorted(f"person{n}@example.edu.cn" for n in range(20))
    assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == 20


# ----------------------------------------------------------------------------- preferences


def test_preferences_page_sets_a_persons_channels(addressed: Org, settings: Any, client: Client):
    org = addressed
    settings.EMAIL_HOST = "127.0.0.1"
    client.login(username=org.lead_liaison.username, password=PASSWORD)
    page = client.get(reverse("notify-preferences")).content.decode()
    assert "通知设置" in page
    assert "发送至：lead_liaison@example.edu.cn" in page
    assert "本系统尚未开通此方式" in page  # no group robot configured
    assert 'name="email" id="id_email" checked' in page  # email is on by default
    assert 'name="sms" id="id_sms">' in page

    response = client.post(reverse("notify-preferences"), {"sms": "on", "wecom": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("notify-preferences")
    preference = ChannelPreference.objects.get(user=org.lead_liaison)
    assert (preference.email, preference.sms, preference.wecom, preference.dingtalk) == (
        False,
        True,
        True,
        False,
    )
    (event,) = AuditEvent.objects.filter(verb="set_channel_preferences")
    assert event.actor == org.lead_liaison
    assert event.summary == "设置通知方式：短信、企业微信群"
    page = client.get(reverse("notify-preferences")).content.decode()
    assert "通知方式已保存。" in page

    # The choice counts from now on.
    notify([org.lead_liaison], None, "标题")
    assert [d.channel for d in deliveries()] == ["sms"]


def test_preferences_page_needs_login_and_csrf(addressed: Org):
    anonymous = Client()
    response = anonymous.get(reverse("notify-preferences"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    strict = Client(enforce_csrf_checks=True)
    strict.login(username=addressed.lead_liaison.username, password=PASSWORD)
    response = strict.post(reverse("notify-preferences"), {"sms": "on"})
    assert response.status_code == 403
    assert not ChannelPreference.objects.filter(user=addressed.lead_liaison).exists()


def test_header_links_to_the_preferences_and_for_the_office_to_failures(
    addressed: Org, client: Client
):
    client.login(username=addressed.lead_liaison.username, password=PASSWORD)
    page = client.get(reverse("my-work")).content.decode()
    assert reverse("notify-preferences") in page
    assert reverse("notify-failures") not in page
    client.login(username=addressed.office_supervisor.username, password=PASSWORD)
    page = client.get(reverse("my-work")).content.decode()
    assert reverse("notify-failures") in page


def test_items_stay_untouched_by_delivery(addressed: Org, smtp: SmtpInbox):
    """Sending reads the item; it never changes it."""
    item = advance(addressed, establish(addressed), "assigned")
    before = Item.objects.filter(pk=item.pk).values().get()
    deliver_due.call()
    assert Item.objects.filter(pk=item.pk).values().get() == before
