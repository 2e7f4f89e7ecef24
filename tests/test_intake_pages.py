"""The intake pages: upload, review, refusals (issue 12)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.intake.models import DocumentStatus, IntakeDocument
from duban.items.models import Item
from duban.organisation.models import Unit
from tests.conftest import PASSWORD, Org
from tests.intake_documents import minutes_docx

SHANGHAI = ZoneInfo("Asia/Shanghai")
REFUSAL = "只有党政办公室的督办员可以读取会议纪要、工作要点并确认立项。"


@pytest.fixture(autouse=True)
def monday_after_the_minutes() -> Any:
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def client_for(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def upload(client: Client, content: bytes, name: str = "纪要.docx", **fields: str) -> Any:
    data: dict[str, Any] = {
        "kind": "minutes",
        "source_body": "president_meeting",
        "issued_on": "2026-11-20",
        "file": SimpleUploadedFile(name, content),
    }
    data.update(fields)
    return client.post(reverse("intake"), data)


def test_the_office_supervisor_uploads_minutes_and_sees_the_evidence(org: Org):
    Unit.objects.filter(pk=org.other_unit.pk).update(aliases="计财处")
    office = client_for("office_supervisor")
    page = office.get(reverse("my-work"))
    assert f'href="{reverse("intake")}"' in page.content.decode()  # the navigation link
    response = upload(office, minutes_docx())
    document = IntakeDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake-document", args=[document.pk])
    page = office.get(response["Location"]).content.decode()
    assert "校长办公会纪要〔2026〕第18期" in page
    assert '<mark class="intake-mark intake-mark--lead_unit">由教务处牵头</mark>' in page
    assert (
        '<mark class="intake-mark intake-mark--cooperating_units">人事处、计财处配合</mark>' in page
    )
    assert '<mark class="intake-mark intake-mark--deadline">于2026年12月20日前</mark>' in page
    assert "“计财处”即财务处" in page
    assert page.count('class="intake-field--unrecognised"') == 1  # decision 三
    assert "未识别到承办单位，请选择。" in page
    assert "纪要未写明时限，按印发后第10个工作日计：2026-12-04。" in page
    assert Item.objects.count() == 0


def test_editing_dropping_and_confirming_in_the_page(org: Org):
    office = client_for("office_supervisor")
    upload(office, minutes_docx())
    document = IntakeDocument.objects.get()
    third = document.proposals.get(position=3)
    url = reverse("intake-proposal-edit", args=[document.pk, third.pk])
    prefix = f"p{third.pk}"
    response = office.post(
        url,
        {
            f"{prefix}-title": "新校区规划论证",
            f"{prefix}-content": third.content,
            f"{prefix}-basis": third.basis,
            f"{prefix}-lead_unit": org.lead_unit.pk,
            f"{prefix}-cooperating_units": [org.cooperating_unit.pk],
            f"{prefix}-deadline_basis": "given",
            f"{prefix}-deadline": "2026-12-31",
        },
    )
    assert response.status_code == 302
    second = document.proposals.get(position=2)
    # No alias for 教务部 here: the second decision's lead unit stays as read (人事处).
    drop = office.post(reverse("intake-proposal-drop", args=[document.pk, second.pk]))
    assert drop.status_code == 302
    response = office.post(reverse("intake-confirm", args=[document.pk]))
    assert response.status_code == 302
    items = list(Item.objects.order_by("serial"))
    assert [item.title for item in items] == [
        "审议通过《本科教学质量提升方案》",
        "新校区规划论证",
        "决定对学生食堂进行改造，请财务处做好经费保障",
        "听取了教代会提案办理情况汇报，教务处负责，两周内办结",
    ]
    assert all(item.basis.startswith("校长办公会纪要〔2026〕第18期") for item in items)
    assert {u.name for u in items[1].cooperating_units.all()} == {"人事处"}
    page = office.get(reverse("intake-document", args=[document.pk])).content.decode()
    assert items[0].ledger_number in page


def test_a_refused_confirmation_says_why_and_changes_nothing(org: Org):
    office = client_for("office_supervisor")
    upload(office, minutes_docx())
    document = IntakeDocument.objects.get()
    events = AuditEvent.objects.count()
    response = office.post(reverse("intake-confirm", args=[document.pk]))
    assert response.status_code == 400
    assert "未立项任何事项。第三项" in response.content.decode()
    assert "请选择承办单位。" in response.content.decode()
    assert Item.objects.count() == 0
    assert AuditEvent.objects.count() == events
    document.refresh_from_db()
    assert document.status == DocumentStatus.DRAFT


def test_an_office_deadline_without_reason_is_refused_in_the_page(org: Org):
    office = client_for("office_supervisor")
    upload(office, minutes_docx())
    document = IntakeDocument.objects.get()
    fourth = document.proposals.get(position=4)
    prefix = f"p{fourth.pk}"
    response = office.post(
        reverse("intake-proposal-edit", args=[document.pk, fourth.pk]),
        {
            f"{prefix}-title": fourth.title,
            f"{prefix}-lead_unit": org.other_unit.pk,
            f"{prefix}-deadline_basis": "R-D3",
            f"{prefix}-deadline": "2027-03-31",
        },
    )
    assert response.status_code == 400
    assert "督办部门根据实际确定时限时，必须写明理由。" in response.content.decode()
    fourth.refresh_from_db()
    assert (fourth.deadline_basis, fourth.edited) == ("R-D2", False)


@pytest.mark.parametrize("persona", ["lead_liaison", "leader_in_charge", "system_admin"])
def test_other_roles_are_refused_with_a_message(org: Org, persona: str):
    office = client_for("office_supervisor")
    upload(office, minutes_docx())
    document = IntakeDocument.objects.get()
    client = client_for(org.__dict__[persona].username)
    events = AuditEvent.objects.count()
    for response in (
        client.get(reverse("intake")),
        upload(client, minutes_docx()),
        client.get(reverse("intake-document", args=[document.pk])),
        client.post(reverse("intake-confirm", args=[document.pk])),
        client.post(
            reverse("intake-proposal-drop", args=[document.pk, document.proposals.first().pk])  # type: ignore[union-attr]
        ),
    ):
        assert response.status_code == 403
        assert REFUSAL in response.content.decode()
    assert IntakeDocument.objects.count() == 1
    assert not document.proposals.filter(dropped=True).exists()
    assert Item.objects.count() == 0
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("纪要.docx", "一、由教务处牵头。".encode(), "扩展名与内容不符"),
        ("纪要.docx", b"MZ\x90\x00\x03\x00\x00\x00", "是可执行程序"),
        ("纪要.exe", b"MZ\x90\x00\x03\x00\x00\x00", "类型不被允许"),
    ],
)
def test_a_bad_file_is_refused_with_a_message(org: Org, name: str, content: bytes, message: str):
    office = client_for("office_supervisor")
    events = AuditEvent.objects.count()
    response = upload(office, content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert IntakeDocument.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_no_decisions_shows_the_structure(org: Org):
    office = client_for("office_supervisor")
    response = upload(office, minutes_docx(["校长办公会纪要", "会议听取了有关汇报。"]))
    assert response.status_code == 400
    page = response.content.decode()
    assert "未识别到议定事项" in page
    assert "<td>2</td><td>正文</td><td>会议听取了有关汇报。</td>" in page
    assert IntakeDocument.objects.count() == 0
