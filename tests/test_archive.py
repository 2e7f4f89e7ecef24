"""Archive volumes (立卷归档, R-K2): the office files a year's closed items into a
volume; archived items are read-only; each has a printable PDF dossier and the volume
an index, both through the visibility rule (R-C5).

The story: items of 2025 and 2026 built through the real actions with the clock moved;
the 2026 volume is filed on 20 December 2026, a late completion of 2026 is filed into
a second volume on 5 January 2027.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from duban.attachments import actions as attachment_actions
from duban.attachments.models import Attachment
from duban.audit.models import AuditEvent
from duban.documents import actions as documents
from duban.documents.dossiers import archived_item, build_dossier
from duban.documents.models import Volume, VolumeEntry
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.items.models import ExtensionRequest, Item
from duban.items.states import MOVES, Status
from tests.conftest import Org, advance, establish
from tests.test_states import CALLS, PREPARED_IN_EVERY_STATUS, snapshot, take

SHANGHAI = ZoneInfo("Asia/Shanghai")
ARCHIVED_REFUSAL = "事项当前状态为“已归档”，不能执行此操作。"


def at(year: int, month: int, day: int, hour: int = 10) -> Any:
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=SHANGHAI), tick=False)


@pytest.fixture(autouse=True)
def attachment_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "attachments"
    settings.ATTACHMENT_ROOT = root
    return root


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> str:
    """The PDF's text without the line breaks and spaces the layout puts in."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return "".join(text.split())


def complete(org: Org, item: Item) -> Item:
    return advance(org, item, Status.COMPLETED)


def terminate(org: Org, item: Item) -> None:
    actions.terminate_item(
        org.office_supervisor,
        item,
        decision_kind="leader",
        leader=org.leader_in_charge,
        basis="王校长批示",
        reason="上级政策调整，该项工作不再开展",
    )


def rich_history(org: Org, item: Item) -> None:
    """A plan, feedback, a contribution, an urge, an extension, a change, a file."""
    advance(org, item, Status.IN_PROGRESS)
    actions.record_plan(
        org.lead_liaison,
        item,
        "完成实验室安全检查整改",
        [actions.MilestoneInput("完成全面排查", item.deadline - dt.timedelta(days=20))],
    )
    actions.submit_feedback(org.lead_liaison, item, "已完成第一轮排查，发现隐患12处。")
    actions.report_contribution(org.cooperating_liaison, item, "已配合完成人员培训。")
    actions.urge_item(
        org.office_supervisor,
        item,
        channel="phone",
        recipient=org.lead_liaison,
        note="电话提醒按节点推进",
    )
    actions.request_extension(
        org.lead_liaison,
        item,
        requested_deadline=item.deadline + dt.timedelta(days=20),
        reason="需等待设备到货",
    )
    actions.decide_extension(org.office_supervisor, item, approve=True, comment="同意延期")
    actions.change_item(
        org.office_supervisor, item, reason="会议纪要更正", title="实验室安全隐患排查整改"
    )
    attachment_actions.attach_file(
        org.lead_liaison,
        item,
        SimpleUploadedFile("整改台账.txt", "整改清单".encode(), content_type="text/plain"),
    )
    actions.draft_completion_report(org.lead_liaison, item, "隐患已全部整改完毕。")
    actions.confirm_report(org.lead_head, item)
    actions.review_report(org.office_supervisor, item, accept=True)


@dataclass
class Story:
    of_2025: Item  # completed in 2025
    across_years: Item  # established in 2025, completed in 2026: filed with 2026
    rich: Item  # completed in 2026 after a long history
    other_unit: Item  # 财务处's, completed in 2026
    terminated: Item  # terminated in 2026
    in_progress: Item  # still open
    submitted: Item  # awaiting review in December, completed on the 28th
    recused: Item  # completed in 2026, but the office supervisor is recused


def build_story(org: Org) -> Story:
    with at(2025, 3, 3):
        of_2025 = complete(org, establish(org, title="2025年已办结事项"))
    with at(2025, 12, 1):
        across_years = establish(org, title="跨年度事项", minutes_deadline=dt.date(2026, 1, 30))
    with at(2026, 1, 12):
        complete(org, across_years)
    with at(2026, 3, 2):
        rich = establish(
            org,
            title="实验室安全检查整改",
            minutes_deadline=dt.date(2026, 5, 29),
        )
        rich_history(org, rich)
        other_unit = establish(
            org, title="财务处已办结事项", lead_unit=org.other_unit, cooperating_units=[]
        )
        actions.assign_item(org.office_supervisor, other_unit)
        actions.sign_for_item(org.other_unit_liaison, other_unit)
        actions.draft_completion_report(org.other_unit_liaison, other_unit, "已完成。")
        actions.confirm_report(org.other_unit.head, other_unit)
        actions.review_report(org.office_supervisor, other_unit, accept=True)
        terminated = establish(org, title="已终止事项")
        terminate(org, terminated)
        in_progress = advance(org, establish(org, title="办理中事项"), Status.IN_PROGRESS)
        recused = complete(org, establish(org, title="回避事项"))
        actions.declare_recusal(
            org.office_supervisor,
            recused,
            reason="本人亲属在承办单位",
            person=org.office_supervisor,
        )
    with at(2026, 12, 10):
        submitted = advance(
            org,
            establish(org, title="年底报结事项", minutes_deadline=dt.date(2026, 12, 30)),
            Status.SUBMITTED,
        )
    for item in (of_2025, across_years, rich, other_unit, terminated, in_progress, submitted):
        item.refresh_from_db()
    return Story(
        of_2025, across_years, rich, other_unit, terminated, in_progress, submitted, recused
    )


@pytest.fixture
def story(org: Org) -> Story:
    return build_story(org)


def statuses(*items: Item) -> list[str]:
    return [Item.objects.get(pk=item.pk).status for item in items]


def state_of_the_archive() -> dict[str, Any]:
    return {
        "volumes": list(Volume.objects.order_by("pk").values_list("pk", "year", "number")),
        "entries": list(VolumeEntry.objects.order_by("pk").values_list("item_id", "position")),
        "statuses": list(Item.objects.order_by("pk").values_list("pk", "status")),
        "events": AuditEvent.objects.count(),
    }


# ----------------------------------------------------------------------------- filing


def test_r_k2_filing_takes_exactly_the_years_closed_items(org: Org, story: Story) -> None:
    with at(2026, 12, 20):
        volume = documents.file_volume(org.office_supervisor, 2026)

    assert (volume.year, volume.number, volume.office, volume.filed_by) == (
        2026,
        1,
        org.office,
        org.office_supervisor,
    )
    assert volume.title == "党政办公室2026年度督办事项案卷（第1卷）"
    # Filed in ledger order; the item established in 2025 and closed in 2026 is filed
    # with 2026 (跨年度的事项按办结年度立卷).
    assert list(volume.entries.values_list("position", "item__title")) == [
        (1, "跨年度事项"),
        (2, "实验室安全隐患排查整改"),
        (3, "财务处已办结事项"),
        (4, "已终止事项"),
    ]
    filed = (story.across_years, story.rich, story.other_unit, story.terminated)
    assert statuses(*filed) == [Status.ARCHIVED] * 4
    # Left as they were: another year's, the open ones, and the one the office cannot see.
    assert statuses(story.of_2025, story.in_progress, story.submitted, story.recused) == [
        Status.COMPLETED,
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        Status.COMPLETED,
    ]
    volume_event = AuditEvent.objects.get(verb="file_volume")
    assert volume_event.summary == "立卷归档：党政办公室2026年度督办事项案卷（第1卷），共4件"
    assert (volume_event.actor, volume_event.unit, volume_event.item) == (
        org.office_supervisor,
        org.office,
        None,
    )
    for position, item in enumerate(filed, start=1):
        event = AuditEvent.objects.filter(item=item).latest("sequence")
        assert event.verb == "archive"
        assert event.summary == f"归档：党政办公室2026年度督办事项案卷（第1卷）第{position}件"


def test_r_k2_a_second_filing_takes_nothing_twice(org: Org, story: Story) -> None:
    with at(2026, 12, 20):
        first = documents.file_volume(org.office_supervisor, 2026)
        before = state_of_the_archive()
        with pytest.raises(InvalidInput) as refused:
            documents.file_volume(org.office_supervisor, 2026)
    assert refused.value.message == "2026年没有可归档的已办结或已终止事项。"
    assert state_of_the_archive() == before

    with at(2026, 12, 28):
        actions.review_report(org.office_supervisor, story.submitted, accept=True)
    with at(2027, 1, 5):
        second = documents.file_volume(org.office_supervisor, 2026)
        of_2025 = documents.file_volume(org.office_supervisor, 2025)
    assert second.number == 2
    assert list(second.entries.values_list("position", "item_id")) == [(1, story.submitted.pk)]
    assert list(of_2025.entries.values_list("item_id", flat=True)) == [story.of_2025.pk]
    assert first.entries.count() == 4
    assert VolumeEntry.objects.count() == 6
    assert VolumeEntry.objects.values("item").distinct().count() == 6


def test_r_k2_naming_items_files_only_archivable_ones(org: Org, story: Story) -> None:
    with at(2026, 12, 20):
        for item, error, message in (
            (story.in_progress, StateRefused, "事项当前状态为“办理中”，不能执行此操作。"),
            (story.of_2025, InvalidInput, None),
            (story.recused, PermissionRefused, "督办事项不存在。"),
        ):
            before = state_of_the_archive()
            with pytest.raises(error) as refused:
                documents.file_volume(org.office_supervisor, 2026, items=[story.rich, item])
            if message is not None:
                assert refused.value.message == message
            assert state_of_the_archive() == before
        volume = documents.file_volume(org.office_supervisor, 2026, items=[story.terminated])
        assert list(volume.entries.values_list("item_id", flat=True)) == [story.terminated.pk]
        before = state_of_the_archive()
        with pytest.raises(StateRefused) as refused:
            documents.file_volume(org.office_supervisor, 2026, items=[story.terminated])
        assert refused.value.message == ARCHIVED_REFUSAL
        assert state_of_the_archive() == before


@pytest.mark.parametrize("year", [1999, 2027])
def test_a_year_out_of_range_is_refused(org: Org, story: Story, year: int) -> None:
    with at(2026, 12, 20):
        before = state_of_the_archive()
        with pytest.raises(InvalidInput):
            documents.file_volume(org.office_supervisor, year)
    assert state_of_the_archive() == before


@pytest.mark.parametrize(
    "persona",
    [
        "lead_liaison",
        "lead_head",
        "cooperating_liaison",
        "other_unit_liaison",
        "leader_in_charge",
        "system_admin",
    ],
)
def test_only_the_office_files_volumes(
    client: Client, org: Org, story: Story, persona: str
) -> None:
    person = getattr(org, persona)
    with at(2026, 12, 20):
        signed_in(client, person)  # (signing in is audited)
        before = state_of_the_archive()
        with pytest.raises(PermissionRefused) as refused:
            documents.file_volume(person, 2026)
        assert refused.value.message == "只有本事项的督办部门督办员可以立卷归档。"
        assert client.get(reverse("documents-volumes")).status_code == 403
        assert client.post(reverse("documents-volumes"), {"year": "2026"}).status_code == 403
    assert state_of_the_archive() == before


# ----------------------------------------------------------------------------- read-only


@pytest.fixture
def archived(org: Org) -> Item:
    item = complete(org, establish(org))
    documents.file_volume(org.office_supervisor, item.year)
    item.refresh_from_db()
    assert item.status == Status.ARCHIVED
    return item


@pytest.mark.parametrize("action", list(MOVES))
def test_r_k2_every_action_refuses_an_archived_item(org: Org, archived: Item, action: str) -> None:
    _persona, prepare, _call = CALLS[action]
    if prepare is not None and action in PREPARED_IN_EVERY_STATUS:
        prepare(org, archived)  # something to decide, so the refusal is the state's
    before = snapshot(archived)
    entries = list(VolumeEntry.objects.values_list("pk", "item_id", "position"))
    with pytest.raises(StateRefused) as refused:
        take(action, org, archived)
    assert refused.value.message == ARCHIVED_REFUSAL
    assert refused.value.status == 409
    assert snapshot(archived) == before
    assert list(VolumeEntry.objects.values_list("pk", "item_id", "position")) == entries


def test_r_k2_an_archived_item_takes_no_attachment(org: Org, archived: Item) -> None:
    before = snapshot(archived)
    with pytest.raises(StateRefused) as refused:
        attachment_actions.attach_file(
            org.lead_liaison, archived, SimpleUploadedFile("补充.txt", b"more", "text/plain")
        )
    assert refused.value.message == "事项当前状态为“已归档”，不能再上传附件。"
    assert snapshot(archived) == before
    assert Attachment.objects.count() == 0


def test_r_k2_an_archived_item_offers_no_action(org: Org, archived: Item) -> None:
    from duban.items import policy

    for persona in ("office_supervisor", "lead_liaison", "lead_head", "cooperating_liaison"):
        assert policy.allowed_actions(getattr(org, persona), archived) == [], persona


# ----------------------------------------------------------------------------- dossiers


def test_r_k2_the_dossier_holds_the_full_record(client: Client, org: Org, story: Story) -> None:
    with at(2026, 12, 20):
        documents.file_volume(org.office_supervisor, 2026)
        response = signed_in(client, org.office_supervisor).get(
            reverse("documents-dossier", args=[story.rich.pk])
        )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    text = pdf_text(response.content)
    rich = Item.objects.get(pk=story.rich.pk)
    for expected in (
        "督办事项案卷",
        rich.ledger_number,
        "实验室安全隐患排查整改",  # the title as changed
        "党政办公室2026年度督办事项案卷（第1卷）第2件",
        # the record, with the original and current deadline
        "原定办结时限2026-05-29",
        f"办结时限{rich.deadline.isoformat()}（原定2026-05-29）",
        "纪要印发后第10个工作日" if rich.deadline_rule == "ten_workdays" else "会议纪要明确的时限",
        # the timeline
        "交办给教务处",
        "教务处签收",
        "审核通过，事项办结",
        # plan, feedback, contribution, completion report with confirmation and review
        "完成全面排查",
        "已完成第一轮排查，发现隐患12处。",
        "已配合完成人员培训。",
        "隐患已全部整改完毕。",
        "第一责任人李处长于",
        # urge, extension, change, attachment
        "电话提醒按节点推进",
        "需等待设备到货",
        "同意延期",
        "会议纪要更正",
        "整改台账.txt",
    ):
        assert expected in text, expected


def test_r_k2_a_terminated_items_dossier_shows_the_decision(
    client: Client, org: Org, story: Story
) -> None:
    with at(2026, 12, 20):
        documents.file_volume(org.office_supervisor, 2026)
        response = signed_in(client, org.office_supervisor).get(
            reverse("documents-dossier", args=[story.terminated.pk])
        )
    text = pdf_text(response.content)
    assert "已终止事项" in text
    assert "终止时间" in text
    assert "上级政策调整，该项工作不再开展" in text
    assert "校领导同意：王校长" in text


def test_the_dossier_reads_a_bounded_number_of_queries(
    org: Org, story: Story, django_assert_max_num_queries
) -> None:
    with at(2026, 12, 20):
        documents.file_volume(org.office_supervisor, 2026)
    with django_assert_max_num_queries(14):
        item = archived_item(org.office_supervisor, story.rich.pk)
        assert item is not None
        dossier = build_dossier(item, dt.datetime(2026, 12, 20, tzinfo=SHANGHAI))
        # what the template walks through
        for plan in dossier.plans:
            list(plan.milestones.all())
        for report in dossier.feedback:
            list(report.contributions.all())
    assert len(dossier.events) >= 12
    assert len(dossier.attachments) == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_supervisor", 200),
        ("lead_liaison", 200),
        ("cooperating_head", 200),
        ("leader_in_charge", 200),
        ("other_unit_liaison", 404),
        ("system_admin", 404),
    ],
)
def test_r_c5_the_dossier_goes_through_the_visibility_rule(
    client: Client, org: Org, archived: Item, persona: str, status: int
) -> None:
    response = signed_in(client, getattr(org, persona)).get(
        reverse("documents-dossier", args=[archived.pk])
    )
    assert response.status_code == status


def test_only_an_archived_item_has_a_dossier(client: Client, org: Org, item: Item) -> None:
    signed_in(client, org.office_supervisor)
    assert client.get(reverse("documents-dossier", args=[item.pk])).status_code == 404
    assert client.get(reverse("documents-dossier", args=[999999])).status_code == 404


def test_a_recused_person_gets_no_dossier(client: Client, org: Org, archived: Item) -> None:
    actions.declare_recusal(
        org.office_supervisor, archived, reason="本人亲属在承办单位", person=org.lead_liaison
    )
    response = signed_in(client, org.lead_liaison).get(
        reverse("documents-dossier", args=[archived.pk])
    )
    assert response.status_code == 404


# ----------------------------------------------------------------------------- volume pages


def test_r_k2_the_office_files_from_the_page_and_prints_the_index(
    client: Client, org: Org, story: Story
) -> None:
    with at(2026, 12, 20):
        signed_in(client, org.office_supervisor)
        page = client.get(reverse("documents-volumes")).content.decode()
        assert "2026年办结或终止：4件" in page
        assert "2025年办结或终止：1件" in page
        # 立卷归档 cannot be undone: it first lists what it will file, changing nothing.
        before = state_of_the_archive()
        response = client.post(reverse("documents-volumes"), {"year": "2026"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "将把以下4项（2026年办结或终止）立为一卷归档，归档后只读" in page
        to_file = re.findall(r'name="item" value="(\d+)"', page)
        assert len(to_file) == 4
        assert state_of_the_archive() == before
        # Confirming a list that no longer matches shows the new list, again changing nothing.
        stale = {"year": "2026", "confirmed": "1", "item": to_file[:3]}
        response = client.post(reverse("documents-volumes"), stale)
        assert "待归档的事项已有变化" in response.content.decode()
        assert state_of_the_archive() == before
        confirmed = {"year": "2026", "confirmed": "1", "item": to_file}
        response = client.post(reverse("documents-volumes"), confirmed)
        volume = Volume.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("documents-volume", args=[volume.pk])
        page = client.get(response["Location"]).content.decode()
        assert "已立卷：党政办公室2026年度督办事项案卷（第1卷），共4件。" in page
        index = client.get(reverse("documents-volume-index", args=[volume.pk]))
    assert index.status_code == 200
    assert index["Content-Type"] == "application/pdf"
    text = pdf_text(index.content)
    assert "党政办公室2026年度督办事项案卷（第1卷）" in text
    assert "卷内目录" in text
    for entry in volume.entries.select_related("item"):
        assert entry.item.ledger_number in text
        assert entry.item.title in text
    assert "办理中事项" not in text


def test_filing_an_empty_year_from_the_page_says_why(client: Client, org: Org) -> None:
    signed_in(client, org.office_supervisor)
    before = state_of_the_archive()
    response = client.post(reverse("documents-volumes"), {"year": "2026"})
    assert response.status_code == 400
    assert "2026年没有可归档的已办结或已终止事项。" in response.content.decode()
    assert state_of_the_archive() == before


@pytest.mark.parametrize("count", [2, 12])
def test_the_volume_page_queries_do_not_grow_with_entries(
    client: Client, org: Org, count: int, django_assert_max_num_queries
) -> None:
    for n in range(count):
        complete(org, establish(org, title=f"事项{n}"))
    volume = documents.file_volume(org.office_supervisor, 2026)
    signed_in(client, org.office_supervisor)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("documents-volume", args=[volume.pk]))
    assert response.content.decode().count("/documents/dossiers/") == count
    with django_assert_max_num_queries(10):
        client.get(reverse("documents-volumes"))


def test_a_volume_of_the_office_is_not_shown_to_others(
    client: Client, org: Org, archived: Item
) -> None:
    volume = Volume.objects.get()
    for persona in ("lead_liaison", "leader_in_charge", "other_unit_liaison"):
        signed_in(client, getattr(org, persona))
        assert client.get(reverse("documents-volume", args=[volume.pk])).status_code == 404
        index = client.get(reverse("documents-volume-index", args=[volume.pk]))
        assert index.status_code == 404


def test_the_extension_of_the_rich_item_is_recorded(org: Org, story: Story) -> None:
    """(The story's extension was approved, so the dossier shows two deadlines.)"""
    request = ExtensionRequest.objects.get(item=story.rich)
    assert request.status == "approved"
    assert Item.objects.get(pk=story.rich.pk).deadline_extended


# ----------------------------------------------------------------------------- degraded


def test_an_archived_items_page_still_opens(client: Client, org: Org, archived: Item) -> None:
    response = signed_in(client, org.office_supervisor).get(
        reverse("item-detail", args=[archived.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "已归档" in page
    assert reverse("documents-dossier", args=[archived.pk]) in page


def test_without_the_pdf_libraries_the_dossier_says_what_is_missing(
    client: Client, org: Org, archived: Item, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duban.documents import pdf

    def missing() -> Any:
        raise pdf.PdfUnavailable(pdf.unavailable_message())

    monkeypatch.setattr(pdf, "_weasyprint", missing)
    signed_in(client, org.office_supervisor)
    response = client.get(reverse("documents-dossier", args=[archived.pk]))
    assert response.status_code == 503
    page = response.content.decode()
    assert "libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk" in page
    assert "make system-deps" in page
    volume = Volume.objects.get()
    assert client.get(reverse("documents-volume-index", args=[volume.pk])).status_code == 503


def test_the_system_check_warns_without_a_chinese_font(monkeypatch: pytest.MonkeyPatch) -> None:
    from duban.documents import checks

    monkeypatch.setattr(checks, "chinese_fonts", lambda: ())
    assert [message.id for message in checks.check_chinese_font()] == ["duban_documents.W001"]
    monkeypatch.setattr(checks, "chinese_fonts", lambda: ("Noto Serif CJK SC",))
    assert checks.check_chinese_font() == []
