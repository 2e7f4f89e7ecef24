"""docs/api.md's Python client examples run as written, against this API: their
`urllib` requests are answered by Django's test client, and only the placeholders a
reader fills in (the demo user names, the password, the otp) are replaced."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from duban.items.models import Item
from duban.ledger.models import LedgerImport
from duban.ledger.tasks import check_import, run_import
from duban.workcalendar.models import CalendarDay
from tests.conftest import PASSWORD, Org, advance, establish
from tests.test_ledger_import import good_rows, workbook_bytes

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"
SECTIONS = (
    "Signing in",
    "Figures and reports",
    "Ledger export and import",
    "The working-day calendar",
)
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：2026年12月31日（周四）至2027年1月3日（周日）放假调休，共4天。1月9日（周六）上班。
"""


def examples(title: str) -> str:
    """The Python code of the docs' section whose heading starts with `title`."""
    section = re.split(r"^## ", DOCS.read_text("utf-8"), flags=re.MULTILINE)
    text = next(part for part in section if part.startswith(title))
    return "\n".join(re.findall(r"```python\n(.*?)```", text, re.DOTALL))


class Answer:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def read(self) -> bytes:
        return self.content

    def __enter__(self) -> Answer:
        return self

    def __exit__(self, *args: Any) -> None:
        return None


def through(client: Client) -> Any:
    """`urllib.request.urlopen`, answered by the test client."""

    def urlopen(request: urllib.request.Request) -> Answer:
        url = urlsplit(request.full_url)
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {name.lower(): value for name, value in request.header_items()}
        response = client.generic(
            request.get_method(),
            path,
            request.data or b"",
            content_type=headers.get("content-type", ""),
            headers={"Authorization": headers.get("authorization", "")},
        )
        content = (
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
            if getattr(response, "streaming", False)
            else response.content
        )
        if response.status_code >= 400:
            raise urllib.error.HTTPError(
                request.full_url, response.status_code, "", {}, io.BytesIO(content)
            )
        return Answer(content)

    return urlopen


@pytest.fixture
def friday() -> Iterator[None]:
    """2026-11-20, the day tests/test_ledger_import.py's rows are written for."""
    with time_machine.travel(
        dt.datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def test_the_client_examples_run_as_written(
    client: Client,
    org: Org,
    friday: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: Any,
) -> None:
    settings.LEDGER_IMPORT_DIRECT_ROWS = 3  # the example's upload is checked by the worker
    with time_machine.travel(dt.datetime(2026, 8, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        late = establish(org, title="超期事项", minutes_deadline=dt.date(2026, 9, 10))
        advance(org, late, "in_progress")
    (tmp_path / "旧台账.xlsx").write_bytes(workbook_bytes(good_rows()))
    (tmp_path / "国务院通知.txt").write_text(NOTICE_2027, "utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(urllib.request, "urlopen", through(client))

    def worker_runs(seconds: float) -> None:  # while the example waits, the worker works
        for pk in LedgerImport.objects.filter(status="checking").values_list("pk", flat=True):
            check_import.call(pk)
        for pk in LedgerImport.objects.filter(status="queued").values_list("pk", flat=True):
            run_import.call(pk)

    monkeypatch.setattr(time, "sleep", worker_runs)
    code = "\n".join(examples(title) for title in SECTIONS)
    for placeholder, filled in (
        ('"office1", "password": "..."', f'"office_supervisor", "password": "{PASSWORD}"'),
        ('"sysadmin", "password": "..."', f'"system_admin", "password": "{PASSWORD}"'),
        (', "otp": "123456"', ""),  # OTP_REQUIRED is off in the tests
    ):
        assert placeholder in code
        code = code.replace(placeholder, filled)

    exec(compile(code, str(DOCS), "exec"), {"__name__": "docs_api_examples"})  # noqa: S102

    printed = capsys.readouterr().out
    assert "教务处 1 1 0%" in printed  # the assessment's rows
    assert f"{late.ledger_number} 超期事项" in printed  # the drill-down of 超期
    assert "牵头事项 超期 办结率" in printed
    assert (tmp_path / "台账.xlsx").read_bytes().startswith(b"PK")  # the export
    assert Item.objects.filter(title="图书馆扩建论证").exists()  # the import
    assert LedgerImport.objects.get().check_started_at is not None  # checked by the worker
    assert "imported ['督会〔2026〕" in printed
    assert CalendarDay.objects.get(day=dt.date(2026, 10, 12)).kind == "holiday"
    assert "预览：2027年放假4天，调休上班1天，日历未改动。" in printed
