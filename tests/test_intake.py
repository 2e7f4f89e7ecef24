"""Intake (issue 12, parts 1, 2 and 4): minutes and work plans read into proposals, and
proposals established only on the office's confirmation, through establish_item."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from duban.audit.models import AuditEvent
from duban.intake import actions, parsing
from duban.intake.models import DeadlineBasis, DocumentStatus, IntakeDocument, Proposal
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.models import DeadlineRule, Item, SourceKind
from duban.organisation.admin import UnitForm
from duban.organisation.models import Role, Unit, UnitKind
from tests.conftest import Org, make_person
from tests.intake_documents import MINUTES_LINES, minutes_docx, plan_docx

SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED = dt.date(2026, 11, 20)  # a Friday


@pytest.fixture(autouse=True)
def monday_after_the_minutes() -> Any:
    """The office reads the minutes on Monday 2026-11-23."""
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def aliases(org: Org) -> Org:
    """计财处 is 财务处; 教务部 is 教务处 (kept by the system administrator)."""
    Unit.objects.filter(pk=org.other_unit.pk).update(aliases="计财处")
    Unit.objects.filter(pk=org.lead_unit.pk).update(aliases="教务部")
    return org


def read_minutes(org: Org, content: bytes | None = None, **overrides: Any) -> IntakeDocument:
    values: dict[str, Any] = {
        "kind": "minutes",
        "content": minutes_docx() if content is None else content,
        "filename": "校长办公会纪要第18期.docx",
        "source_body": "president_meeting",
        "issued_on": ISSUED,
    }
    values.update(overrides)
    return actions.read_document(org.office_supervisor, **values)


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def units_of(proposal: Proposal) -> set[str]:
    return {unit.name for unit in proposal.cooperating_units.all()}


def words(proposal: Proposal, field: str) -> list[str]:
    return [mark["words"] for mark in proposal.evidence if mark["field"] == field]


# ----------------------------------------------------------------------------- the command


def test_intake_minutes_dry_run_prints_one_line_per_decision(aliases: Org, tmp_path: Path):
    out = StringIO()
    path = write(tmp_path, "minutes.docx", minutes_docx())
    call_command(
        "intake_minutes",
        path,
        "--body",
        "校长办公会",
        "--issued",
        "2026-11-20",
        "--dry-run",
        stdout=out,
    )
    assert out.getvalue().splitlines() == [
        "1\t教务处\t人事处、财务处\t2026-12-20\tgiven\t审议通过《本科教学质量提升方案》",
        "2\t人事处\t教务处\t2026-12-31\tgiven\t研究了教师招聘工作",
        "3\t-\t-\t2026-12-31\tgiven\t同意启动新校区规划论证工作，年底前形成初步意见",
        "4\t财务处\t-\t2026-12-04\tR-D2\t决定对学生食堂进行改造，请财务处做好经费保障",
        "5\t教务处\t-\t2026-12-04\tgiven\t听取了教代会提案办理情况汇报，教务处负责，两周内办结",
        "proposals 5",
    ]
    assert IntakeDocument.objects.count() == 0
    assert Item.objects.count() == 0


def test_intake_minutes_without_dry_run_keeps_drafts_only(aliases: Org, tmp_path: Path):
    out = StringIO()
    path = write(tmp_path, "minutes.docx", minutes_docx())
    call_command(
        "intake_minutes", path, "--body", "校长办公会", "--issued", "2026-11-20", stdout=out
    )
    document = IntakeDocument.objects.get()
    assert out.getvalue().splitlines()[-2:] == [
        f"draft {document.pk}: /intake/{document.pk}/",
        "proposals 5",
    ]
    assert document.status == DocumentStatus.DRAFT
    assert document.proposals.count() == 5
    assert Item.objects.count() == 0  # nothing is established without confirmation


def test_intake_plan_dry_run_r_d4(aliases: Org, tmp_path: Path):
    out = StringIO()
    call_command("intake_plan", write(tmp_path, "plan.docx", plan_docx()), "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        "1\t党政办公室\t人事处\t2026-12-31\tR-D4\t深入学习贯彻党的创新理论",
        "2\t人事处\t-\t2026-12-31\tR-D4\t加强干部队伍建设",
        "3\t教务处\t财务处\t2026-12-31\tR-D4\t推进本科教学审核评估整改",
        "4\t-\t-\t2026-12-31\tR-D4\t完善研究生培养体系",
        "proposals 4",
    ]


def test_intake_minutes_command_refuses_a_date_that_does_not_exist(org: Org, tmp_path: Path):
    lines = [*MINUTES_LINES[:4], "一、由教务处牵头，于2026年2月30日前完成。"]
    path = write(tmp_path, "minutes.docx", minutes_docx(lines))
    with pytest.raises(CommandError, match=r"^第5行：日期“2026年2月30日”不存在。$"):
        call_command(
            "intake_minutes",
            path,
            "--body",
            "校长办公会",
            "--issued",
            "2026-11-20",
            stdout=StringIO(),
        )
    assert IntakeDocument.objects.count() == 0


# ----------------------------------------------------------------------------- minutes


def test_each_decision_becomes_a_proposal_with_its_evidence(aliases: Org):
    document = read_minutes(aliases)
    assert document.number == "校长办公会纪要〔2026〕第18期"
    assert document.number_words == "〔2026〕第18期"
    first, second, third, fourth, fifth = document.proposals.order_by("position")

    # R-D1: the named date; the alias 计财处 is 财务处.
    assert first.label == "一"
    assert first.title == "审议通过《本科教学质量提升方案》"
    assert first.content == MINUTES_LINES[4][2:]
    assert first.basis == "校长办公会纪要〔2026〕第18期第一项"
    assert first.lead_unit == aliases.lead_unit
    assert units_of(first) == {"人事处", "财务处"}
    assert (first.deadline, first.deadline_basis) == (dt.date(2026, 12, 20), "given")
    assert words(first, "lead_unit") == ["由教务处牵头"]
    assert words(first, "cooperating_units") == ["人事处、计财处配合"]
    assert words(first, "deadline") == ["于2026年12月20日前"]
    assert first.flags == []
    assert first.first_line == first.last_line == 5

    # Two lead-unit phrasings for the same unit; 会同 an alias; the later deadline.
    assert second.lead_unit == aliases.cooperating_unit
    assert words(second, "lead_unit") == ["人事处负责", "请人事处"]
    assert units_of(second) == {"教务处"}
    assert words(second, "cooperating_units") == ["会同教务部"]
    assert [m["note"] for m in second.evidence if m["field"] == "cooperating_units"] == [
        "“教务部”即教务处"
    ]
    assert (second.deadline, second.deadline_basis) == (dt.date(2026, 12, 31), "given")
    assert sorted(words(second, "deadline")) == ["下周五前", "在12月底前"]
    assert second.deadline_words == "在12月底前"

    # No unit named: blank and flagged, never guessed; 年底前.
    assert third.lead_unit is None
    assert units_of(third) == set()
    assert third.flags == ["未识别到承办单位，请选择。"]
    assert (third.deadline, third.deadline_basis) == (dt.date(2026, 12, 31), "given")
    assert words(third, "deadline") == ["年底前"]

    # No deadline: R-D2, the 10th working day after 2026-11-20.
    assert fourth.lead_unit == aliases.other_unit
    assert words(fourth, "lead_unit") == ["请财务处"]
    assert (fourth.deadline, fourth.deadline_basis) == (dt.date(2026, 12, 4), "R-D2")
    assert fourth.flags == ["纪要未写明时限，按印发后第10个工作日计。"]

    # 两周内 from the issue date.
    assert (fifth.deadline, fifth.deadline_basis) == (dt.date(2026, 12, 4), "given")
    assert words(fifth, "deadline") == ["两周内"]

    # Nothing is established before confirmation; the reading is audited.
    assert Item.objects.count() == 0
    assert list(AuditEvent.objects.values_list("verb", flat=True)) == ["intake_read"]


def test_confirmation_establishes_each_proposal_through_establish_item(aliases: Org):
    document = read_minutes(aliases)
    _first, _second, third, _fourth, fifth = document.proposals.order_by("position")
    supervisor = aliases.office_supervisor
    actions.update_proposal(
        supervisor,
        third,
        actions.ProposalInput(
            title="新校区规划论证",
            content=third.content,
            basis=third.basis,
            lead_unit=aliases.lead_unit,
            deadline_basis=DeadlineBasis.GIVEN,
            deadline=dt.date(2026, 12, 31),
        ),
    )
    actions.drop_proposal(supervisor, fifth)
    before = AuditEvent.objects.count()

    items = actions.confirm_document(supervisor, document)

    assert [item.title for item in items] == [
        "审议通过《本科教学质量提升方案》",
        "研究了教师招聘工作",
        "新校区规划论证",
        "决定对学生食堂进行改造，请财务处做好经费保障",
    ]
    assert all(item.source_kind == SourceKind.MEETING for item in items)
    assert all(item.source_body == "president_meeting" for item in items)
    assert all(item.minutes_issued_on == ISSUED for item in items)
    assert [(item.deadline, item.deadline_rule) for item in items] == [
        (dt.date(2026, 12, 20), DeadlineRule.MINUTES_DEADLINE),  # R-D1
        (dt.date(2026, 12, 31), DeadlineRule.MINUTES_DEADLINE),
        (dt.date(2026, 12, 31), DeadlineRule.MINUTES_DEADLINE),
        (dt.date(2026, 12, 4), DeadlineRule.TEN_WORKDAYS),  # R-D2
    ]
    assert items[0].basis == (
        "校长办公会纪要〔2026〕第18期第一项；办结时限：纪要明确（“于2026年12月20日前”）"
    )
    assert items[3].basis == (
        "校长办公会纪要〔2026〕第18期第四项；办结时限：纪要未明确，"
        "按纪要印发（2026-11-20）后第10个工作日计"
    )
    assert {unit.name for unit in items[0].cooperating_units.all()} == {"人事处", "财务处"}
    assert items[2].lead_unit == aliases.lead_unit
    # One audit event per item, written by establish_item.
    events = AuditEvent.objects.filter(pk__gt=0).order_by("sequence")[before:]
    assert [(e.verb, e.item_id) for e in events] == [("establish", item.pk) for item in items]
    document.refresh_from_db()
    assert document.status == DocumentStatus.CONFIRMED
    assert document.confirmed_by == supervisor
    assert Proposal.objects.get(pk=fifth.pk).item is None


def test_confirmation_is_all_or_nothing_r_s3(aliases: Org):
    """The third decision names no unit: confirming refuses the whole batch (R-S3)."""
    document = read_minutes(aliases)
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        actions.confirm_document(aliases.office_supervisor, document)
    assert refused.value.message == (
        "第三项“同意启动新校区规划论证工作，年底前形成初步意见”：请选择承办单位。"
    )
    assert Item.objects.count() == 0
    assert AuditEvent.objects.count() == events
    document.refresh_from_db()
    assert document.status == DocumentStatus.DRAFT
    assert not Proposal.objects.filter(item__isnull=False).exists()


def test_r_d3_office_deadline_needs_a_reason(aliases: Org):
    document = read_minutes(aliases)
    fourth = document.proposals.get(position=4)
    data = actions.ProposalInput(
        title=fourth.title,
        content=fourth.content,
        basis=fourth.basis,
        lead_unit=aliases.other_unit,
        deadline_basis=DeadlineBasis.OFFICE,
        deadline=dt.date(2027, 3, 31),
    )
    with pytest.raises(InvalidInput, match="必须写明理由"):
        actions.update_proposal(aliases.office_supervisor, fourth, data)
    fourth.refresh_from_db()
    assert (fourth.deadline_basis, fourth.edited) == ("R-D2", False)
    data.office_reason = "食堂改造须待寒假施工"
    actions.update_proposal(aliases.office_supervisor, fourth, data)
    for position in (1, 2, 3, 5):
        actions.drop_proposal(aliases.office_supervisor, document.proposals.get(position=position))
    (item,) = actions.confirm_document(aliases.office_supervisor, document)
    assert (item.deadline, item.deadline_rule) == (dt.date(2027, 3, 31), DeadlineRule.OFFICE_SET)
    assert item.deadline_reason == "食堂改造须待寒假施工"
    assert item.basis.endswith("办结时限：督办部门根据实际确定")


def test_merging_two_decisions_into_one_item(aliases: Org):
    document = read_minutes(aliases)
    first, _second, _third, fourth, _fifth = document.proposals.order_by("position")
    merged = actions.merge_proposals(aliases.office_supervisor, document, [fourth.pk, first.pk])
    assert merged.pk == first.pk
    assert merged.basis == "校长办公会纪要〔2026〕第18期第一、四项"
    assert merged.lead_unit == aliases.lead_unit
    assert units_of(merged) == {"人事处", "财务处"}
    assert merged.source_text == f"{MINUTES_LINES[4]}\n{MINUTES_LINES[7]}"
    # The fourth decision's evidence points at its words in the merged text.
    marks = [m for m in merged.evidence if m["words"] == "请财务处"]
    assert [merged.source_text[m["start"] : m["end"]] for m in marks] == ["请财务处"]
    fourth.refresh_from_db()
    assert (fourth.dropped, fourth.merged_into_id) == (True, first.pk)


def test_sub_numbered_decisions_under_a_heading(org: Org):
    lines = [
        "党委常委会纪要〔2026〕第7期",
        "一、会议议定事项",
        "（一）会议同意修订《教职工考勤管理办法》，由人事处负责，12月中旬前提交常委会审议。",
        "（二）会议要求做好冬季校园安全工作，教务处牵头，本学期内完成。",
        "二、其他事项",
        "会议还通报了近期工作。",
    ]
    content = "\n".join(lines).encode()
    document = read_minutes(
        org, content, filename="常委会纪要.txt", source_body=None, issued_on=dt.date(2026, 11, 20)
    )
    assert document.source_body == "standing_committee"  # read from the title
    assert document.number == "党委常委会纪要〔2026〕第7期"
    first, second = document.proposals.order_by("position")
    assert (first.label, first.lead_unit) == ("一", org.cooperating_unit)
    assert first.deadline == dt.date(2026, 12, 20)
    assert first.category == "一、会议议定事项"
    assert (second.label, second.lead_unit) == ("二", org.lead_unit)
    assert second.deadline == dt.date(2027, 1, 31)  # autumn semester
    assert second.source_text == lines[3]


@pytest.mark.parametrize(
    ("text", "day", "words_found"),
    [
        ("于2026年12月20日前完成", dt.date(2026, 12, 20), "于2026年12月20日前"),
        ("12月20日前报送", dt.date(2026, 12, 20), "12月20日前"),
        ("3月1日前完成", dt.date(2027, 3, 1), "3月1日前"),  # before the issue date: next year
        ("12月底前完成", dt.date(2026, 12, 31), "12月底前"),
        ("年底前形成意见", dt.date(2026, 12, 31), "年底前"),
        ("明年底前建成", dt.date(2027, 12, 31), "明年底前"),
        ("月底前报送", dt.date(2026, 11, 30), "月底前"),
        ("下周五前报送", dt.date(2026, 11, 27), "下周五前"),
        ("本学期内完成", dt.date(2027, 1, 31), "本学期内"),
        ("两周内办结", dt.date(2026, 12, 4), "两周内"),
        ("一个月内完成", dt.date(2026, 12, 20), "一个月内"),
        ("10个工作日内报送", dt.date(2026, 12, 4), "10个工作日内"),
    ],
)
def test_deadline_forms_resolved_against_the_issue_date(
    text: str, day: dt.date, words_found: str, db: Any
):
    found = parsing.Found(1, "一", "", "", text, 1, 1)
    lines = parsing.classify([text])
    parsing.read_deadline(text, lines, ISSUED, found)
    assert (found.deadline, found.deadline_basis, found.deadline_words) == (
        day,
        "given",
        words_found,
    )


def test_a_date_that_is_no_deadline_is_not_taken(db: Any):
    text = "会议同意《办法》自2027年1月1日起施行。"
    found = parsing.Found(1, "一", "", "", text, 1, 1)
    parsing.read_deadline(text, parsing.classify([text]), ISSUED, found)
    assert found.deadline is None


# ----------------------------------------------------------------------------- work plan


def test_work_plan_tasks_become_annual_items_r_d4(aliases: Org):
    document = actions.read_document(
        aliases.office_supervisor, kind="work_plan", content=plan_docx(), filename="要点.docx"
    )
    assert (document.year, document.number, document.source_body) == (
        2026,
        "2026年党政工作要点",
        "work_points",
    )
    first, second, third, fourth = document.proposals.order_by("position")
    assert first.category == "一、坚持党的全面领导，加强党的建设"
    assert first.lead_unit == aliases.office
    assert units_of(first) == {"人事处"}
    assert first.flags == [
        "以下名称未能对应到系统中的单位：各二级党组织（可由系统管理员在单位的“别名”中登记）。"
    ]
    assert words(first, "lead_unit") == ["牵头单位：党政办公室"]
    assert second.lead_unit == aliases.cooperating_unit
    assert third.category == "二、深化教育教学改革，提高人才培养质量"
    assert (third.lead_unit, units_of(third)) == (aliases.lead_unit, {"财务处"})
    assert words(third, "lead_unit") == ["责任单位：教务处、计财处"]
    assert fourth.lead_unit is None
    assert all(p.deadline == dt.date(2026, 12, 31) for p in (first, second, third, fourth))
    assert all(p.deadline_basis == "R-D4" for p in (first, second, third, fourth))
    assert Item.objects.count() == 0

    actions.drop_proposal(aliases.office_supervisor, fourth)
    items = actions.confirm_document(aliases.office_supervisor, document)
    assert [(i.source_kind, i.year, i.deadline, i.deadline_rule) for i in items] == [
        (SourceKind.ANNUAL, 2026, dt.date(2026, 12, 31), DeadlineRule.YEAR_END)
    ] * 3
    # Item has no category field: the section heading is kept in the basis.
    assert items[0].basis == (
        "2026年党政工作要点“一、坚持党的全面领导，加强党的建设”第1项；"
        "办结时限：年度重点工作，当年12月31日"
    )


# ----------------------------------------------------------------------------- bad input


def test_no_decisions_gives_the_structure_and_stores_nothing(org: Org):
    lines = ["校长办公会纪要", "会议听取了有关汇报。", "会议认为工作进展顺利。"]
    with pytest.raises(parsing.NothingFound) as nothing:
        read_minutes(org, minutes_docx(lines))
    assert nothing.value.message == "未识别到议定事项"
    assert [(s.number, s.kind, s.text) for s in nothing.value.structure] == [
        (1, "正文", "校长办公会纪要"),
        (2, "正文", "会议听取了有关汇报。"),
        (3, "正文", "会议认为工作进展顺利。"),
    ]
    assert IntakeDocument.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_date_that_does_not_exist_names_the_line(org: Org):
    lines = [*MINUTES_LINES[:4], "一、由教务处牵头，于2026年2月30日前完成。"]
    with pytest.raises(InvalidInput) as refused:
        read_minutes(org, minutes_docx(lines))
    assert refused.value.message == "第5行：日期“2026年2月30日”不存在。"
    assert IntakeDocument.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip", "类型不被允许"),
        ("一、由教务处牵头。".encode(), "扩展名与内容不符（内容是文本文件）"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "是可执行程序"),
        (b"", "是空文件"),
    ],
)
def test_a_docx_that_is_really_something_else_is_refused(org: Org, content: bytes, message: str):
    with pytest.raises(InvalidInput, match=message):
        read_minutes(org, content, filename="纪要.docx")
    assert IntakeDocument.objects.count() == 0


def test_a_spreadsheet_is_not_read(org: Org):
    from openpyxl import Workbook

    buffer = __import__("io").BytesIO()
    Workbook().save(buffer)
    with pytest.raises(InvalidInput, match="只能读取Word文档"):
        read_minutes(org, buffer.getvalue(), filename="纪要.xlsx")
    assert IntakeDocument.objects.count() == 0


def test_issue_date_in_the_future_is_refused(org: Org):
    with pytest.raises(InvalidInput, match="纪要印发日期不能晚于今天"):
        read_minutes(org, issued_on=dt.date(2026, 11, 24))
    assert IntakeDocument.objects.count() == 0


# ----------------------------------------------------------------------------- who may


@pytest.mark.parametrize(
    "persona", ["lead_liaison", "lead_head", "leader_in_charge", "system_admin"]
)
def test_only_office_supervisors_may_read_documents(org: Org, persona: str):
    with pytest.raises(PermissionRefused) as refused:
        actions.read_document(
            getattr(org, persona),
            kind="minutes",
            content=minutes_docx(),
            filename="纪要.docx",
            source_body="president_meeting",
            issued_on=ISSUED,
        )
    assert refused.value.message == "只有党政办公室的督办员可以读取会议纪要、工作要点并确认立项。"
    assert IntakeDocument.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_discipline_office_supervisor_may_not_confirm(org: Org):
    discipline = Unit.objects.create(
        code="0900", name="纪委办公室", kind=UnitKind.DISCIPLINE_OFFICE
    )
    outsider = make_person("discipline_supervisor", Role.OFFICE_SUPERVISOR, discipline, "纪督办")
    document = read_minutes(org)
    for proposal in document.proposals.filter(lead_unit__isnull=True):
        actions.drop_proposal(org.office_supervisor, proposal)
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionRefused, match="只有党政办公室的督办员"):
        actions.confirm_document(outsider, document)
    with pytest.raises(PermissionRefused):
        actions.drop_proposal(outsider, document.proposals.first())  # type: ignore[arg-type]
    assert Item.objects.count() == 0
    assert AuditEvent.objects.count() == events
    document.refresh_from_db()
    assert document.status == DocumentStatus.DRAFT


def test_a_confirmed_document_cannot_be_confirmed_again(aliases: Org):
    document = read_minutes(aliases)
    actions.drop_proposal(aliases.office_supervisor, document.proposals.get(position=3))
    actions.confirm_document(aliases.office_supervisor, document)
    with pytest.raises(InvalidInput, match="已确认立项"):
        actions.confirm_document(aliases.office_supervisor, document)
    assert Item.objects.count() == 4


# ----------------------------------------------------------------------------- aliases


def test_an_alias_names_one_unit_only(org: Org):
    form = UnitForm(
        data={
            "code": org.lead_unit.code,
            "name": org.lead_unit.name,
            "aliases": "教务部、人事处",
            "kind": org.lead_unit.kind,
        },
        instance=org.lead_unit,
    )
    assert not form.is_valid()
    assert form.errors["aliases"] == ["别名“人事处”已是人事处的名称或别名。"]
    form = UnitForm(
        data={
            "code": org.lead_unit.code,
            "name": org.lead_unit.name,
            "aliases": "教务部，本科生院 ",
            "kind": org.lead_unit.kind,
        },
        instance=org.lead_unit,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["aliases"] == "教务部、本科生院"


def test_an_unregistered_name_in_a_list_keeps_the_known_units_and_is_flagged(org: Org):
    """Without the alias 计财处, "人事处、计财处配合" still makes 人事处 a cooperating unit,
    and 计财处 is flagged for the office rather than dropped silently."""
    document = read_minutes(org)
    first = document.proposals.order_by("position").first()
    assert first is not None
    assert first.lead_unit == org.lead_unit
    assert units_of(first) == {"人事处"}
    assert any("计财处" in flag for flag in first.flags)


def minutes_pdf() -> bytes:
    """The test minutes as a PDF with a text layer, as an office's PDF export would be
    (WeasyPrint sets the Chinese in Noto CJK)."""
    import html

    import weasyprint

    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in MINUTES_LINES)
    page = f'<html lang="zh"><body style="font-family: Noto Sans CJK SC">{paragraphs}</body></html>'
    return bytes(weasyprint.HTML(string=page).write_pdf())


def test_minutes_read_from_a_text_layer_pdf_as_from_the_docx(aliases: Org):
    from duban.documents.pdf import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint needs Debian's Pango (make system-deps)")
    from_docx = read_minutes(aliases)
    from_pdf = read_minutes(aliases, minutes_pdf(), filename="校长办公会纪要第18期.pdf")

    def fields(document: IntakeDocument) -> list[tuple[Any, ...]]:
        return [
            (p.lead_unit_id, sorted(units_of(p)), p.deadline, p.deadline_basis)
            for p in document.proposals.order_by("position")
        ]

    assert from_pdf.proposals.count() == 5
    assert fields(from_pdf) == fields(from_docx)
    assert "〔2026〕第18期" in from_pdf.proposals.order_by("position")[0].basis


def test_a_scanned_pdf_without_text_is_refused_and_nothing_is_stored(org: Org):
    from duban.documents.pdf import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint needs Debian's Pango (make system-deps)")
    import weasyprint

    empty = bytes(weasyprint.HTML(string="<html><body><div></div></body></html>").write_pdf())
    with pytest.raises(InvalidInput, match="没有文字层"):
        read_minutes(org, empty, filename="扫描件.pdf")
    assert IntakeDocument.objects.count() == 0
