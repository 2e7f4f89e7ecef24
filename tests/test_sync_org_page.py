"""The system administrator's directory sync page: upload → preview of every change →
确认同步; nobody else reaches it, and a bad file changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from duban.audit.models import AuditEvent
from duban.organisation.models import DirectorySync, Unit, User
from tests.conftest import PASSWORD, Org
from tests.test_sync_org import PEOPLE, workbook


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def upload(client: Client, path: Path, **extra: Any) -> Any:
    with path.open("rb") as handle:
        return client.post("/directory/sync/", {"file": handle, **extra})


def test_upload_preview_and_confirm(org: Org, tmp_path: Path) -> None:
    admin = signed_in("system_admin")
    page = admin.get("/directory/sync/")
    assert page.status_code == 200
    assert "同步单位和人员" in page.content.decode()
    assert "可选列“账号”：登录用的用户名" in page.content.decode()
    people_before = User.objects.count()

    answer = upload(admin, workbook(tmp_path / "名单.xlsx"))
    assert answer.status_code == 302
    kept = DirectorySync.objects.get()
    assert answer["Location"] == f"/directory/sync/{kept.pk}/"
    preview = admin.get(answer["Location"]).content.decode()
    assert "检查通过，将做以下修改：<code>units +0 ~3 -0; people +10 ~0 -0</code>" in preview
    assert "新增人员</td>" in preview
    assert "20005" in preview and "周联络" in preview
    assert "确认同步" in preview
    # Nothing changed yet, nothing audited.
    assert User.objects.count() == people_before
    assert not AuditEvent.objects.filter(verb="sync_org").exists()

    confirmed = admin.post(f"/directory/sync/{kept.pk}/")
    assert confirmed.status_code == 302
    result = admin.get(confirmed["Location"]).content.decode()
    assert "已同步：units +0 ~3 -0; people +10 ~0 -0" in result
    assert User.objects.count() == people_before + 10
    assert Unit.objects.get(code="0300").liaison.staff_number == "20007"
    event = AuditEvent.objects.get(verb="sync_org")
    assert event.actor == org.system_admin
    assert event.data["via"] == "page"

    # The same upload cannot be synced twice.
    again = admin.post(f"/directory/sync/{kept.pk}/")
    assert "该文件已同步，不能重复同步。" in admin.get(again["Location"]).content.decode()
    assert AuditEvent.objects.filter(verb="sync_org").count() == 1


def test_a_bad_file_lists_its_problems_and_offers_no_confirmation(org: Org, tmp_path: Path) -> None:
    admin = signed_in("system_admin")
    people = [list(row) for row in PEOPLE]
    people[3][0] = "20001"
    answer = upload(admin, workbook(tmp_path / "bad.xlsx", people=people))
    kept = DirectorySync.objects.get()
    page = admin.get(answer["Location"])
    assert page.status_code == 400
    text = page.content.decode()
    assert "发现 1 处问题，未做任何修改。" in text
    assert "人员 第5行：工号“20001”重复（另见人员 第4行）。" in text
    assert "确认同步" not in text
    before = User.objects.count()
    admin.post(f"/directory/sync/{kept.pk}/")
    assert User.objects.count() == before
    assert not AuditEvent.objects.filter(verb="sync_org").exists()


def test_not_a_spreadsheet_is_refused_in_chinese(org: Org, tmp_path: Path) -> None:
    admin = signed_in("system_admin")
    path = tmp_path / "名单.xlsx"
    path.write_text("工号,姓名")
    answer = upload(admin, path)
    assert answer.status_code == 400
    assert "不是Excel（.xlsx）文件" in answer.content.decode()
    assert DirectorySync.objects.count() == 0


@pytest.mark.parametrize(
    "username", ["office_supervisor", "lead_liaison", "leader_in_charge", None]
)
def test_nobody_else_reaches_the_page(org: Org, tmp_path: Path, username: str | None) -> None:
    client = signed_in(username) if username else Client()
    answer = upload(client, workbook(tmp_path / "名单.xlsx"))
    if username is None:
        assert answer.status_code == 302
        assert answer["Location"].startswith("/login/")
    else:
        assert answer.status_code == 403
        assert "系统管理员" in answer.content.decode()
    assert DirectorySync.objects.count() == 0
    assert not User.objects.filter(staff_number="20001").exists()


def test_another_administrators_upload_is_not_found(org: Org, tmp_path: Path) -> None:
    admin = signed_in("system_admin")
    upload(admin, workbook(tmp_path / "名单.xlsx"))
    kept = DirectorySync.objects.get()
    other = User.objects.create_user(
        username="system_admin_2", password=PASSWORD, role="system_admin", full_name="另一位"
    )
    client = signed_in(other.username)
    assert client.get(f"/directory/sync/{kept.pk}/").status_code == 404
    assert client.post(f"/directory/sync/{kept.pk}/").status_code == 404
    assert not User.objects.filter(staff_number="20001").exists()
