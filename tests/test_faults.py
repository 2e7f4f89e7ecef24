"""Faults (issue 13): a full attachment disk refuses the upload with a clear message and
leaves no half file or row; a database that goes away mid-request gets a Chinese 503
page (JSON in the API), not a 500. The worker killed mid-delivery and the SMTP server
down are in tests/test_notify_worker.py and tests/test_notify.py; the PostgreSQL
restart under load is the drill in benchmarks/faults.py."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client

from duban.attachments.models import Attachment
from duban.attachments.storage import AttachmentStorage
from duban.audit.models import AuditEvent

from .conftest import Org, establish


def pdf() -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"0" * 20_000 + b"\n%%EOF\n"
    return SimpleUploadedFile("进展.pdf", body, content_type="application/pdf")


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_a_full_disk_refuses_the_upload_and_keeps_nothing(
    client: Client, org: Org, settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    item = establish(org)
    real_save = AttachmentStorage._save

    def full_after_some_bytes(self: Any, name: str, content: Any) -> str:
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read(4096))  # part of it, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(AttachmentStorage, "_save", full_after_some_bytes)
    client.force_login(org.office_supervisor)
    before = (Attachment.objects.count(), AuditEvent.objects.count())
    response = client.post(f"/items/{item.pk}/attachments/", {"file": pdf()})
    assert response.status_code == 507
    assert "附件存储空间不足或无法写入，文件没有保存。" in response.content.decode()
    assert (Attachment.objects.count(), AuditEvent.objects.count()) == before
    assert files_under(settings.ATTACHMENT_ROOT) == []  # the half-written file is gone

    # The disk has room again: the same upload goes through.
    monkeypatch.setattr(AttachmentStorage, "_save", real_save)
    assert client.post(f"/items/{item.pk}/attachments/", {"file": pdf()}).status_code == 302
    assert Attachment.objects.count() == before[0] + 1
    assert len(files_under(settings.ATTACHMENT_ROOT)) == 1


@pytest.mark.parametrize(
    ("path", "json"), [("/items/", False), ("/api/v1/items", True)], ids=["page", "api"]
)
def test_a_database_outage_is_a_chinese_503_not_a_500(
    org: Org, settings: Any, monkeypatch: Any, path: str, json: bool
) -> None:
    settings.DEBUG = False

    def gone(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    module = "duban.api.items" if json else "duban.web.views"
    monkeypatch.setattr(f"{module}.filter_items", gone)
    client = Client(raise_request_exception=False)
    if json:
        token = client.post(
            "/api/v1/auth/token",
            {"username": org.office_supervisor.username, "password": "Duban-Test-2026!"},
            content_type="application/json",
        )
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token.json().get('token', '')}"}
    else:
        client.force_login(org.office_supervisor)
        headers = {}
    response = client.get(path, **headers)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    if json:
        assert response.json() == {
            "code": "database_unavailable",
            "message": "数据库暂时无法连接，请稍后重试。",
        }
    else:
        page = response.content.decode()
        assert "数据库暂时无法连接" in page
        assert "server closed" not in page  # nothing of the error itself


def test_other_errors_stay_the_500_page(org: Org, settings: Any, monkeypatch: Any) -> None:
    settings.DEBUG = False

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("duban.web.views.filter_items", broken)
    client = Client(raise_request_exception=False)
    client.force_login(org.office_supervisor)
    response = client.get("/items/")
    assert response.status_code == 500
    assert "系统错误" in response.content.decode()


def test_the_worker_waits_out_a_database_outage_and_goes_on(monkeypatch: Any) -> None:
    """`run_worker` does not exit when PostgreSQL restarts under it (the drill in
    benchmarks/faults.py restarts it for real): it waits, with backoff, and runs on."""
    from duban.notify.management.commands import run_worker

    class Worker:
        runs = 0

        def run(self) -> None:
            self.runs += 1
            if self.runs <= 3:
                raise OperationalError("terminating connection due to administrator command")

    waits: list[float] = []
    monkeypatch.setattr(run_worker.time, "sleep", waits.append)
    closed: list[str] = []
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: closed.append("old"))
    monkeypatch.setattr(run_worker.connection, "close", lambda: closed.append("this"))
    worker = Worker()
    run_worker.run_through_outages(worker)  # type: ignore[arg-type]
    assert worker.runs == 4
    assert waits == [1, 2, 5]
    assert closed == ["old", "this"] * 3  # a fresh connection after each outage


def test_the_worker_still_stops_on_other_errors(monkeypatch: Any) -> None:
    from duban.notify.management.commands import run_worker

    class Worker:
        def run(self) -> None:
            raise RuntimeError("a bug")

    monkeypatch.setattr(run_worker.time, "sleep", lambda seconds: None)
    with pytest.raises(RuntimeError, match="a bug"):
        run_worker.run_through_outages(Worker())  # type: ignore[arg-type]
