"""The check of a larger ledger upload in the background (duban.ledger.tasks.check_import).

Above LEDGER_IMPORT_DIRECT_ROWS rows the upload keeps the file and answers at once; a
worker does the dry run while the page shows the rows checked so far, and then the
page shows the same mapping and report the check within the request gives. Confirming
while the check runs is refused and changes nothing; a check that breaks, or whose
worker dies, ends failed with a message in Chinese, never checking for ever. The
worker's task is run as a worker runs it (`.call`), and the clock is moved, never
waited for.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from duban import clock
from duban.items.models import Item
from duban.ledger import actions
from duban.ledger.actions import import_ledger, upload_ledger
from duban.ledger.models import ImportStatus, LedgerImport
from duban.ledger.tasks import check_import, expire_checks, run_import
from tests.conftest import Org
from tests.test_ledger_import import BAD_ROWS, counts, good_rows, now_at, upload, workbook_bytes
from tests.test_ledger_import_scale import many_rows

pytestmark = pytest.mark.django_db

CHECKING_MESSAGE = "该台账正在后台检查，请待检查完成、看过检查结果后再确认导入。"
INTERRUPTED = "后台检查已中断，未能完成，未导入任何事项。请重新上传。"
NEVER_STARTED = "后台检查一直未能开始，未导入任何事项。请稍后重新上传；如仍如此，请联系系统管理员。"
BROKEN = (
    "检查过程中出现系统错误，未能完成检查，未导入任何事项。请重新上传；如仍失败，请联系系统管理员。"
)
REFRESH = '<meta http-equiv="refresh" content="3">'


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    with now_at(2026, 11, 20, 10):
        yield


@pytest.fixture(autouse=True)
def small_direct_limit(settings: Any) -> None:
    """Files of more than 3 rows (a title, a header and one data row) go to a worker."""
    settings.LEDGER_IMPORT_DIRECT_ROWS = 3


@pytest.fixture(autouse=True)
def progress_cache(monkeypatch: pytest.MonkeyPatch) -> LocMemCache:
    """The progress cache of this test alone: a check's progress and signs of life."""
    cache = LocMemCache("ledger-import-check-tests", {})
    cache.clear()
    monkeypatch.setattr(actions, "cache", cache)
    return cache


def uploaded(org: Org, rows: list[list[Any]], django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks() as callbacks:
        ledger_import = upload_ledger(
            org.office_supervisor, filename="2026台账.xlsx", content=workbook_bytes(rows)
        )
    assert len(callbacks) == 1  # the check is queued once the upload commits
    return ledger_import


def snapshot(pk: int) -> dict[str, Any]:
    return LedgerImport.objects.filter(pk=pk).values().get()


class WorkerKilled(BaseException):
    """The worker's process ends in the middle of the check (SIGKILL, out of memory):
    nothing of the task's own runs after it."""


def test_a_larger_upload_is_kept_and_answered_at_once_and_its_check_queued(
    client: Client,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def no_dry_run_here(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the upload's request checked the rows")

    monkeypatch.setattr(actions, "import_ledger", no_dry_run_here)
    client.force_login(org.office_supervisor)
    before = counts()

    content = workbook_bytes(good_rows())
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, content)

    assert response.status_code == 302
    ledger_import = LedgerImport.objects.get()
    assert response["Location"] == reverse("ledger-import-detail", args=[ledger_import.pk])
    assert ledger_import.status == ImportStatus.CHECKING
    assert (ledger_import.check_started_at, ledger_import.checked_at) == (None, None)
    assert bytes(ledger_import.content) == content
    assert ledger_import.report["created"] == ledger_import.report["problems"] == []
    assert counts() == before
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.args_kwargs) == (
        "duban.ledger.tasks.check_import",
        {"args": [ledger_import.pk], "kwargs": {}},
    )


def test_a_small_upload_is_still_checked_within_the_request(
    client: Client, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(org.office_supervisor)
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, workbook_bytes(good_rows()[:1]))  # 3 rows in all
    assert response.status_code == 302
    assert callbacks == []  # no worker needed
    ledger_import = LedgerImport.objects.get()
    assert ledger_import.status == ImportStatus.PREVIEWED
    assert [entry["number"] for entry in ledger_import.report["created"]] == [
        "督会〔2026〕第0001号"
    ]
    assert ledger_import.checked_at == clock.now()


def test_the_page_shows_the_checks_progress_then_its_report(
    client: Client,
    org: Org,
    progress_cache: LocMemCache,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ledger_import = uploaded(org, good_rows(), django_capture_on_commit_callbacks)
    client.force_login(org.office_supervisor)
    detail = reverse("ledger-import-detail", args=[ledger_import.pk])

    page = client.get(detail).content.decode()
    assert "文件已上传，正在排队等待后台检查……" in page
    assert REFRESH in page
    assert "确认导入</button>" not in page
    assert "识别到的列（" not in page

    # A worker took it and has read the file: 5 of 12 rows checked.
    LedgerImport.objects.filter(pk=ledger_import.pk).update(check_started_at=clock.now())
    progress_cache.set(f"ledger-import:{ledger_import.pk}:progress", (5, 12, 0.0), 60)
    page = client.get(detail).content.decode()
    assert "正在检查：已检查 5 / 12 行（42%）" in page
    assert '<progress max="12" value="5" aria-label="检查进度">' in page
    assert REFRESH in page
    assert "确认导入</button>" not in page

    LedgerImport.objects.filter(pk=ledger_import.pk).update(check_started_at=None)
    assert check_import.call(ledger_import.pk) == {"status": "previewed", "problems": 0, "items": 4}

    page = client.get(detail).content.decode()
    assert "上传于 2026-11-20 10:00，共 4 行数据" in page
    assert "识别到的列（表头在第2行）" in page
    assert "B列“督办事项”" in page
    assert "检查通过：将导入 4 项督办事项。" in page
    assert "督会〔2026〕第0001号" in page
    assert "确认导入</button>" in page
    assert 'http-equiv="refresh"' not in page
    assert progress_cache.get(f"ledger-import:{ledger_import.pk}:progress") is None


@pytest.mark.parametrize("rows", [good_rows(), BAD_ROWS], ids=["good", "bad"])
def test_the_workers_report_is_the_one_the_request_gives(
    client: Client,
    org: Org,
    settings: Any,
    rows: list[list[Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    content = workbook_bytes(rows)
    expected = import_ledger(org.office_supervisor, content, filename="2026台账.xlsx", dry_run=True)
    settings.LEDGER_IMPORT_DIRECT_ROWS = 200
    direct = upload_ledger(org.office_supervisor, filename="2026台账.xlsx", content=content)
    settings.LEDGER_IMPORT_DIRECT_ROWS = 3
    background = uploaded(org, rows, django_capture_on_commit_callbacks)
    assert background.status == ImportStatus.CHECKING

    check_import.call(background.pk)

    background.refresh_from_db()
    direct.refresh_from_db()
    assert background.status == direct.status == ImportStatus.PREVIEWED
    assert background.report == direct.report == expected.as_json()
    client.force_login(org.office_supervisor)
    assert shown(client, direct.pk) == shown(client, background.pk)


def shown(client: Client, pk: int) -> str:
    """The import page's own part, without what differs from one upload to another."""
    page = client.get(reverse("ledger-import-detail", args=[pk])).content.decode()
    main = page[page.index("<h1>") : page.index("</main>")]
    main = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)
    return main.replace(f"/ledger/import/{pk}/", "/ledger/import/<id>/")


def test_the_check_reports_its_progress_and_signs_of_life(
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
    progress_cache: LocMemCache,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(actions, "BATCH_SIZE", 5)
    seen: list[Any] = []
    monkeypatch.setattr(progress_cache, "set", lambda key, value, timeout: seen.append(value))
    ledger_import = uploaded(org, many_rows(12), django_capture_on_commit_callbacks)

    assert check_import.call(ledger_import.pk) == {
        "status": "previewed",
        "problems": 0,
        "items": 12,
    }

    beat = clock.now().timestamp()
    assert seen == [(0, 0, beat), (0, 12, beat), (5, 12, beat), (10, 12, beat), (12, 12, beat)]
    ledger_import.refresh_from_db()
    assert ledger_import.check_started_at == ledger_import.checked_at == clock.now()
    assert Item.objects.count() == 0  # a dry run
    # A second copy of the task finds the check done and changes nothing.
    before = snapshot(ledger_import.pk)
    assert check_import.call(ledger_import.pk) == {
        "skipped": "not waiting for its check, or claimed by another worker"
    }
    assert snapshot(ledger_import.pk) == before


def test_confirming_while_the_check_runs_is_refused_and_changes_nothing(
    client: Client, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    ledger_import = uploaded(org, good_rows(), django_capture_on_commit_callbacks)
    client.force_login(org.office_supervisor)
    detail = reverse("ledger-import-detail", args=[ledger_import.pk])
    before, stored = counts(), snapshot(ledger_import.pk)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(detail)

    assert response.status_code == 409
    page = response.content.decode()
    assert CHECKING_MESSAGE in page
    assert "文件已上传，正在排队等待后台检查……" in page  # the page goes on showing the check
    assert callbacks == []  # no import queued
    assert snapshot(ledger_import.pk) == stored
    assert counts() == before

    # Once checked, it is confirmed as any other upload.
    check_import.call(ledger_import.pk)
    with django_capture_on_commit_callbacks():
        assert client.post(detail).status_code == 302
    run_import.call(ledger_import.pk)
    assert LedgerImport.objects.get().status == ImportStatus.IMPORTED
    assert Item.objects.count() == 4


def test_a_check_that_breaks_fails_with_a_message(
    client: Client,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ledger_import = uploaded(org, good_rows(), django_capture_on_commit_callbacks)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(actions, "import_ledger", broken)
    with pytest.raises(RuntimeError):
        check_import.call(ledger_import.pk)

    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.FAILED
    assert ledger_import.report["problems"] == [{"row": None, "text": BROKEN}]
    assert ledger_import.finished_at == clock.now()
    client.force_login(org.office_supervisor)
    detail = reverse("ledger-import-detail", args=[ledger_import.pk])
    page = client.get(detail).content.decode()
    assert "检查未完成。" in page
    assert BROKEN in page
    assert "重新上传" in page
    assert 'http-equiv="refresh"' not in page
    # It cannot be imported, and asking changes nothing.
    before, stored = counts(), snapshot(ledger_import.pk)
    response = client.post(detail)
    assert response.status_code == 409
    assert "该台账的检查发现问题，未导入任何事项。" in response.content.decode()
    assert (counts(), snapshot(ledger_import.pk)) == (before, stored)


def test_a_check_whose_worker_died_is_given_up_after_its_lease(
    client: Client,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
    progress_cache: LocMemCache,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(actions, "BATCH_SIZE", 5)
    ledger_import = uploaded(org, many_rows(12), django_capture_on_commit_callbacks)
    key = f"ledger-import:{ledger_import.pk}:progress"
    set_progress = progress_cache.set

    def killed_after_the_first_batch(name: str, value: Any, timeout: int) -> None:
        if value[0] > 5:
            raise WorkerKilled
        set_progress(name, value, timeout)

    monkeypatch.setattr(progress_cache, "set", killed_after_the_first_batch)
    with time_machine.travel(clock.now() + dt.timedelta(minutes=1), tick=False):
        with pytest.raises(WorkerKilled):
            check_import.call(ledger_import.pk)
    monkeypatch.setattr(progress_cache, "set", set_progress)
    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.CHECKING  # nothing of the task's ran
    assert progress_cache.get(key)[:2] == (5, 12)
    client.force_login(org.office_supervisor)
    detail = reverse("ledger-import-detail", args=[ledger_import.pk])
    assert "正在检查：已检查 5 / 12 行" in client.get(detail).content.decode()

    # Ten minutes after its last sign of life it is still waited for …
    with time_machine.travel(clock.now() + dt.timedelta(minutes=11), tick=False):
        assert expire_checks.call() == {"lost": 0}
    assert LedgerImport.objects.get().status == ImportStatus.CHECKING
    # … and a minute later given up.
    with time_machine.travel(clock.now() + dt.timedelta(minutes=11, seconds=1), tick=False):
        assert expire_checks.call() == {"lost": 1}
        given_up_at = clock.now()
    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.FAILED
    assert ledger_import.report["problems"] == [{"row": None, "text": INTERRUPTED}]
    assert ledger_import.finished_at == given_up_at
    assert progress_cache.get(key) is None
    page = client.get(detail).content.decode()
    assert "检查未完成。" in page and INTERRUPTED in page
    assert 'http-equiv="refresh"' not in page
    # A second copy of the task finds nothing to do.
    stored = snapshot(ledger_import.pk)
    assert "skipped" in check_import.call(ledger_import.pk)
    assert snapshot(ledger_import.pk) == stored
    assert expire_checks.call() == {"lost": 0}


def test_a_slow_check_that_gives_signs_of_life_is_not_given_up(
    org: Org, progress_cache: LocMemCache, django_capture_on_commit_callbacks: Any
) -> None:
    ledger_import = uploaded(org, good_rows(), django_capture_on_commit_callbacks)
    LedgerImport.objects.filter(pk=ledger_import.pk).update(check_started_at=clock.now())
    key = f"ledger-import:{ledger_import.pk}:progress"
    later = clock.now() + dt.timedelta(minutes=8)
    progress_cache.set(key, (2, 4, later.timestamp()), actions.PROGRESS_SECONDS)
    with time_machine.travel(clock.now() + dt.timedelta(minutes=15), tick=False):
        assert expire_checks.call() == {"lost": 0}
    with time_machine.travel(later + dt.timedelta(minutes=10, seconds=1), tick=False):
        assert expire_checks.call() == {"lost": 1}
    assert LedgerImport.objects.get().status == ImportStatus.FAILED


def test_a_check_no_worker_took_is_given_up_after_an_hour(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    ledger_import = uploaded(org, good_rows(), django_capture_on_commit_callbacks)
    with time_machine.travel(clock.now() + dt.timedelta(minutes=59), tick=False):
        assert expire_checks.call() == {"lost": 0}
    with time_machine.travel(clock.now() + dt.timedelta(minutes=61), tick=False):
        assert expire_checks.call() == {"lost": 1}
    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.FAILED
    assert ledger_import.report["problems"] == [{"row": None, "text": NEVER_STARTED}]


def test_a_late_report_does_not_undo_a_given_up_check(
    org: Org, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    ledger_import = uploaded(org, good_rows(), django_capture_on_commit_callbacks)

    def given_up_meanwhile(*args: Any, **kwargs: Any) -> Any:
        actions.fail_ledger_check(ledger_import.pk, INTERRUPTED)
        return import_ledger(*args, **kwargs)

    monkeypatch.setattr(actions, "import_ledger", given_up_meanwhile)
    assert check_import.call(ledger_import.pk)["status"] == "failed"
    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.FAILED
    assert ledger_import.report["problems"] == [{"row": None, "text": INTERRUPTED}]
    assert ledger_import.checked_at is None


def test_an_uploader_who_may_no_longer_import_gets_a_report_saying_so(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    ledger_import = uploaded(org, good_rows(), django_capture_on_commit_callbacks)
    org.office_supervisor.is_active = False
    org.office_supervisor.save()
    assert check_import.call(ledger_import.pk) == {"status": "previewed", "problems": 1, "items": 0}
    ledger_import.refresh_from_db()
    assert ledger_import.report["problems"] == [
        {"row": None, "text": "只有督办部门的督办员可以导入台账。"}
    ]
