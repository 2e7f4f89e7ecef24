"""Issue 12, part 3 (R-D6): the State Council's holiday notice → the working calendar.

The notices of 2024, 2025 and 2026 (tests/data) are read and checked against the
official calendar seeded by migration workcalendar 0002; a notice that contradicts
itself, names a day that does not exist, or comes for a year already official is
refused, naming the line, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import BytesIO, StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from docx import Document

from duban.audit.models import AuditEvent
from duban.items.models import Item, ItemChange
from duban.workcalendar.calendar import WorkdayAnswer, is_workday
from duban.workcalendar.models import CalendarDay, CalendarYear, DayKind
from duban.workcalendar.notice import NoticeError, parse_notice, read_notice_file

from .conftest import Org, advance, establish

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
NOTICE_URL = "admin:workcalendar_calendaryear_notice"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SUMMARIES = {
    2024: "2024: 28 holidays, 8 make-up workdays",
    2025: "2025: 28 holidays, 5 make-up workdays",
    2026: "2026: 33 holidays, 6 make-up workdays",
}
# Not a published notice: a made-up one for a year the seed does not hold, with a
# holiday that starts in the year before (元旦 from 2026-12-31).
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：2026年12月31日（周四）至2027年1月3日（周日）放假调休，共4天。1月9日（周六）上班。
二、春节：2月6日（周六）至13日（周六）放假调休，共8天。2月20日（周六）上班。
三、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


def notice_text(year: int) -> str:
    return (DATA / f"holiday_notice_{year}.txt").read_text("utf-8")


def snapshot(*years: int) -> list[tuple[dt.date, str, str]]:
    """Every stored day of `years`, to assert that nothing changed."""
    return list(
        CalendarDay.objects.filter(day__year__in=years)
        .order_by("day")
        .values_list("day", "kind", "note")
    )


def year_rows() -> list[tuple[int, str, str]]:
    return list(CalendarYear.objects.order_by("year").values_list("year", "status", "source"))


def run_load_notice(*args: str) -> list[str]:
    out = StringIO()
    call_command("workdays", "load-notice", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def write(tmp_path: Path, text: str, name: str = "notice.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def altered_2026(tmp_path: Path, old: str, new: str) -> Path:
    text = notice_text(2026)
    assert old in text
    return write(tmp_path, text.replace(old, new, 1))


# -- the published notices against the seeded official calendar --------------------------


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_r_d6_notice_dry_run_gives_the_official_calendar(year: int) -> None:
    before = snapshot(year)
    output = run_load_notice(str(DATA / f"holiday_notice_{year}.txt"), "--dry-run")
    assert output[-1] == SUMMARIES[year]
    named: dict[dt.date, str] = {}
    for line in output[:-1]:
        day_text, word, name = line.split(" ", 2)
        day = dt.date.fromisoformat(day_text)
        assert day.year == year
        assert word in {"holiday", "workday"}
        assert name
        named[day] = word
    assert list(named) == sorted(named)  # date order, each day once
    assert len(named) == len(output) - 1
    stored = dict(CalendarDay.objects.filter(day__year=year).values_list("day", "kind"))
    # Every day the notice names has that kind in the stored official calendar ...
    assert {day: stored[day] for day in named} == named
    # ... and every stored day off from Monday to Friday, and every stored working
    # Saturday or Sunday, is named by the notice.
    exceptions = {
        day: kind
        for day, kind in stored.items()
        if (kind == DayKind.HOLIDAY) == (day.weekday() < 5)
    }
    assert exceptions
    assert set(exceptions) <= set(named)
    assert snapshot(year) == before  # a dry run changes nothing


def test_r_d6_notice_2026_lines() -> None:
    output = run_load_notice(str(DATA / "holiday_notice_2026.txt"), "--dry-run")
    assert output[:5] == [
        "2026-01-01 holiday 元旦",
        "2026-01-02 holiday 元旦",
        "2026-01-03 holiday 元旦",
        "2026-01-04 workday 元旦",
        "2026-02-14 workday 春节",
    ]
    assert output[-4:] == [
        "2026-10-06 holiday 国庆节",
        "2026-10-07 holiday 国庆节",
        "2026-10-10 workday 国庆节",
        "2026: 33 holidays, 6 make-up workdays",
    ]
    assert "2026-09-20 workday 国庆节" in output
    assert sum(line.endswith(" 春节") and "holiday" in line for line in output) == 9


def test_r_d6_notice_2025_spring_festival_8_days_labour_day_5() -> None:
    output = run_load_notice(str(DATA / "holiday_notice_2025.txt"), "--dry-run")
    assert sum(line.endswith("holiday 春节") for line in output) == 8
    assert sum(line.endswith("holiday 劳动节") for line in output) == 5
    assert "2025-01-01 holiday 元旦" in output
    assert "2025-10-11 workday 国庆节、中秋节" in output


def test_r_d6_notice_2024_remark_names_no_day() -> None:
    # "安排职工在除夕（2月9日）休息" encourages; it does not give the day off.
    notice = parse_notice(notice_text(2024).splitlines())
    assert dt.date(2024, 2, 9) not in {day.day for day in notice.days}
    assert notice.days[0].day == dt.date(2024, 1, 1)  # "1月1日放假，与周末连休"


# -- refusals: each names the line, and nothing changes ------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "message_part"),
    [
        ("共7天", "共8天", 12, "写明共 8 天，但 2026年10月1日 至 2026年10月7日 是 7 天"),
        ("10月1日（周四）", "10月1日（周五）", 12, "2026年10月1日 是星期四，不是周五"),
        ("9月20日（周日）", "9月20日（周六）", 12, "2026年9月20日 是星期日，不是周六"),
        ("2月28日（周六）", "2月30日（周六）", 7, "日期“2月30日”不存在（2026年2月只有28天）"),
        ("4月4日（周六）至6日", "4月4日（周六）至31日", 8, "日期“31日”不存在（2026年4月只有30天）"),
        ("5月9日（周六）", "13月9日（周六）", 9, "日期“13月9日”不存在（没有13月）"),
    ],
)
def test_r_d6_self_contradicting_notice_is_refused_naming_the_line(
    tmp_path: Path, old: str, new: str, line: int, message_part: str
) -> None:
    path = altered_2026(tmp_path, old, new)
    before = snapshot(2026)
    for extra in ([], ["--dry-run"], ["--replace"]):
        with pytest.raises(CommandError) as raised:
            run_load_notice(str(path), *extra)
        message = str(raised.value)
        assert message.startswith(f"第 {line} 行“")
        assert message_part in message
    assert snapshot(2026) == before


def test_r_d6_wrong_count_message_quotes_the_line(tmp_path: Path) -> None:
    path = altered_2026(tmp_path, "共7天", "共8天")
    with pytest.raises(CommandError) as raised:
        run_load_notice(str(path), "--dry-run")
    assert str(raised.value) == (
        "第 12 行“七、国庆节：10月1日（周四）至7日（周三）放假调休，共8天。9月20日（周日）、"
        "10月10日（周六）上班。”：写明共 8 天，但 2026年10月1日 至 2026年10月7日 是 7 天"
    )


def test_r_d6_official_year_is_refused_without_replace(tmp_path: Path) -> None:
    before = snapshot(2025, 2026, 2027)
    rows = year_rows()
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError) as raised:
        run_load_notice(str(DATA / "holiday_notice_2026.txt"))
    assert str(raised.value) == (
        "第 1 行“国务院办公厅关于2026年部分节假日安排的通知”：2026 年已有正式日历；"
        "如确需以此通知替换，请选择“替换”（命令行加 --replace）"
    )
    assert snapshot(2025, 2026, 2027) == before
    assert year_rows() == rows
    assert AuditEvent.objects.count() == events


def test_r_d6_replace_loads_an_official_year(tmp_path: Path) -> None:
    kinds_before = [(day, kind) for day, kind, _note in snapshot(2026)]
    dry = run_load_notice(str(DATA / "holiday_notice_2026.txt"), "--dry-run")
    assert run_load_notice(str(DATA / "holiday_notice_2026.txt"), "--replace") == dry
    assert [(day, kind) for day, kind, _note in snapshot(2026)] == kinds_before
    assert CalendarYear.objects.get(year=2026).source == "国务院节假日安排通知"
    assert CalendarDay.objects.get(day=dt.date(2026, 10, 10)).note == "调休上班"
    assert CalendarDay.objects.get(day=dt.date(2026, 10, 3)).note == "国庆节"
    event = AuditEvent.objects.get(verb="admin_load_calendar")
    assert event.actor is None
    assert event.data["year"] == 2026
    assert event.data["changed_days"] == 0


@pytest.mark.parametrize(
    ("text", "line", "message_part"),
    [
        ("关于2031年部分节假日安排\n一、元旦：1月1日（周三）放假1天，调休。", 0, None),
        ("一、元旦：1月1日放假。", 0, "没有找到通知的年度"),
        ("关于2031年部分节假日安排的通知\n特此通知。", 0, "没有找到任何节日安排"),
        (
            "关于2031年部分节假日安排\n\n一、元旦：1月1日（周三）放假1天，不调休。1月4日（周六）上班。",
            3,
            "写明“不调休”，却列有调休上班日",
        ),
        (
            "关于2031年部分节假日安排\n一、元旦：1月1日至2日放假。\n二、春节：1月2日放假。",
            3,
            "2031年1月2日 已在第 2 行列出",
        ),
        ("关于2031年部分节假日安排\n一、端午节：6月4日放假，与周末连休。", 2, "不与周末相连"),
        ("关于2031年部分节假日安排\n一、元旦：1月3日至1日放假。", 2, "早于开始日"),
        ("关于2031年部分节假日安排\n一、元旦：2029年1月1日放假。", 2, "相差太远"),
        ("关于2031年部分节假日安排\n一、元旦：1月1日上班。", 2, "没有放假日期"),
        ("关于2031年部分节假日安排\n一、元旦：放假1天。", 0, "没有找到任何节日安排"),
        ("关于2031年部分节假日安排\n一、元旦：1月1日休假，1月5日放假调休。", 2, "无法识别"),
        ("关于2031年部分节假日安排\n现将2032年元旦……", 2, "通知年度不一致"),
        (
            "关于2031年部分节假日安排\n一、元旦：1月1日至3日放假，共3天，1月4日（周六）上班。",
            2,
            "应另起一句",
        ),
        ("关于2031年部分节假日安排\n附件：1.节假日安排表", 0, "没有找到任何节日安排"),
    ],
)
def test_notice_parser_refusals(text: str, line: int, message_part: str | None) -> None:
    if message_part is None:
        # 2031-01-01 is a Wednesday: this one is fine.
        assert parse_notice(text.splitlines()).output_lines() == [
            "2031-01-01 holiday 元旦",
            "2031: 1 holidays, 0 make-up workdays",
        ]
        return
    with pytest.raises(NoticeError) as raised:
        parse_notice(text.splitlines())
    assert raised.value.line_number == line
    assert message_part in raised.value.message


def test_notice_parser_reads_ranges_across_months_and_years() -> None:
    notice = parse_notice(
        [
            "国务院办公厅关于2025年部分节假日安排的通知",
            "一、国庆节：9月29日（周一）至10月6日（周一）放假调休，共八天。9月27日（周六）上班。",
            "二、元旦：2025年1月1日（周三）放假1天，不调休。",
        ]
    )
    assert [day.day.isoformat() for day in notice.holidays] == [
        "2025-01-01",
        *[f"2025-09-{day}" for day in (29, 30)],
        *[f"2025-10-0{day}" for day in range(1, 7)],
    ]
    assert [day.day for day in notice.make_up_workdays] == [dt.date(2025, 9, 27)]
    assert notice.days[0].line_number == 3


def test_notice_parser_reads_full_width_digits_and_a_missing_ordinal() -> None:
    notice = parse_notice(["关于2026年部分节假日安排的通知", "国庆节：１０月１日（星期四）放假。"])
    assert notice.output_lines() == [
        "2026-10-01 holiday 国庆节",
        "2026: 1 holidays, 0 make-up workdays",
    ]


# -- loading a new year: R-D6's recomputation and the audit ---------------------------------


@pytest.fixture
def december() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 12, 21, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def test_r_d6_loading_a_notice_recounts_deadlines(org: Org, december: None, tmp_path: Path) -> None:
    item = advance(org, establish(org, minutes_issued_on=dt.date(2026, 12, 18)), "in_progress")
    assert (item.deadline, item.deadline_provisional) == (dt.date(2027, 1, 1), True)
    path = write(tmp_path, NOTICE_2027)
    output = run_load_notice(str(path))
    assert output[0] == "2026-12-31 holiday 元旦"
    assert output[-1] == "2027: 19 holidays, 4 make-up workdays"
    item.refresh_from_db()
    # 2026-12-31 and 2027-01-01 are off now: the 10th working day is 2027-01-05.
    assert (item.deadline, item.deadline_provisional) == (dt.date(2027, 1, 5), False)
    change = ItemChange.objects.get(item=item)
    assert (change.old_value, change.new_value) == ("2027-01-01", "2027-01-05")
    assert AuditEvent.objects.get(item=item, verb="recompute_deadline").summary == (
        "2027年日历公布，按工作日重算办结时限：2027-01-01→2027-01-05"
    )
    assert CalendarYear.objects.get(year=2027).status == "official"
    assert CalendarDay.objects.filter(day__year=2027).count() == 365
    assert is_workday(dt.date(2027, 1, 9)) == WorkdayAnswer(True, False)
    assert is_workday(dt.date(2026, 12, 31)) == WorkdayAnswer(False, False)
    assert CalendarDay.objects.get(day=dt.date(2026, 12, 31)).note == "元旦"
    assert CalendarYear.objects.get(year=2026).status == "official"
    event = AuditEvent.objects.get(verb="admin_load_calendar")
    assert event.summary == (
        "按国务院节假日安排通知载入2027年日历（放假19天、调休上班4天，16天有变化），该年度设为正式"
    )


# -- files -------------------------------------------------------------------------------


def docx_bytes(text: str) -> bytes:
    document = Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_r_d6_notice_from_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "notice.docx"
    path.write_bytes(docx_bytes(notice_text(2026)))
    assert run_load_notice(str(path), "--dry-run") == run_load_notice(
        str(DATA / "holiday_notice_2026.txt"), "--dry-run"
    )


@pytest.mark.parametrize(
    ("name", "content", "message_part"),
    [
        ("notice.docx", "这不是 Word 文档".encode(), "不是有效的 Word 文档（.docx）"),
        ("notice.docx", b"PK\x03\x04broken zip", "不是有效的 Word 文档（.docx）"),
        ("notice.txt", "关于2026年".encode("gbk"), "必须是 UTF-8 编码的文本"),
    ],
)
def test_a_file_that_is_not_a_notice_is_refused(
    tmp_path: Path, name: str, content: bytes, message_part: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message_part):
        run_load_notice(str(path), "--dry-run")
    with pytest.raises(NoticeError):
        read_notice_file(name, content)


def test_missing_notice_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="找不到文件"):
        run_load_notice(str(tmp_path / "none.txt"))


# -- the admin pages -----------------------------------------------------------------------


@pytest.fixture
def calendar_admin(client: Client) -> Client:
    user = get_user_model().objects.create_superuser(
        username="admin",
        password="a-long-test-password",
        full_name="管理员",
        role="system_admin",
    )
    client.force_login(user)
    return client


def test_admin_changelist_links_to_the_notice_page(calendar_admin: Client) -> None:
    response = calendar_admin.get(reverse("admin:workcalendar_calendaryear_changelist"))
    assert reverse(NOTICE_URL) in response.content.decode()
    page = calendar_admin.get(reverse(NOTICE_URL))
    assert page.status_code == 200
    assert "按国务院节假日安排通知载入" in page.content.decode()
    assert "csrfmiddlewaretoken" in page.content.decode()


def test_r_d6_admin_preview_then_confirm(calendar_admin: Client, tmp_path: Path) -> None:
    before = snapshot(2026, 2027)
    rows = year_rows()
    preview = calendar_admin.post(reverse(NOTICE_URL), {"text": NOTICE_2027})
    assert preview.status_code == 200
    content = preview.content.decode()
    assert "2027 年节假日安排预览" in content
    assert "确认载入" in content
    assert content.count('class="notice-month"') == 12
    assert 'class="holiday changed" data-date="2027-10-01"' in content
    assert 'class="makeup changed" data-date="2027-10-09"' in content
    assert 'class="weekend" data-date="2027-10-16"' in content
    changes = preview.context["changes"]
    assert len(changes) == 16
    assert changes[0] == {
        "day": dt.date(2026, 12, 31),
        "weekday": "四",
        "before": "工作日",
        "after": "休息日",
        "note": "元旦",
    }
    # The preview changed nothing.
    assert snapshot(2026, 2027) == before
    assert year_rows() == rows
    assert not AuditEvent.objects.filter(verb="admin_load_calendar").exists()

    confirm = calendar_admin.post(
        reverse(NOTICE_URL), {"text": preview.context["text"], "confirm": "1"}, follow=True
    )
    assert confirm.redirect_chain[-1][0] == reverse("admin:workcalendar_calendaryear_changelist")
    assert "已按国务院通知载入 2027 年日历：放假 19 天，调休上班 4 天" in confirm.content.decode()
    assert CalendarYear.objects.get(year=2027).status == "official"
    assert is_workday(dt.date(2027, 10, 9)) == WorkdayAnswer(True, False)
    assert is_workday(dt.date(2026, 12, 31)) == WorkdayAnswer(False, False)
    event = AuditEvent.objects.get(verb="admin_load_calendar")
    assert event.actor is not None and event.actor.username == "admin"


def test_r_d6_admin_preview_of_an_uploaded_docx(calendar_admin: Client) -> None:
    upload = SimpleUploadedFile("notice.docx", docx_bytes(notice_text(2026)))
    preview = calendar_admin.post(reverse(NOTICE_URL), {"file": upload, "replace": "on"})
    assert preview.status_code == 200
    assert preview.context["changes"] == []
    assert "与现有日历相同" in preview.content.decode()
    assert "该年度已有正式日历，载入将替换它。" in preview.content.decode()


@pytest.mark.parametrize("step", ["preview", "confirm"])
def test_r_d6_admin_refusal_names_the_line_and_changes_nothing(
    calendar_admin: Client, step: str
) -> None:
    before = snapshot(2026)
    rows = year_rows()
    text = notice_text(2026).replace("共9天", "共8天")
    data = {"text": text, "replace": "on"}
    if step == "confirm":
        data["confirm"] = "1"
    response = calendar_admin.post(reverse(NOTICE_URL), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "第 7 行“二、春节：" in content
    assert "写明共 8 天" in content
    assert snapshot(2026) == before
    assert year_rows() == rows


def test_r_d6_admin_official_year_needs_replace(calendar_admin: Client) -> None:
    before = snapshot(2026)
    rows = year_rows()
    for data in ({"text": notice_text(2026)}, {"text": notice_text(2026), "confirm": "1"}):
        response = calendar_admin.post(reverse(NOTICE_URL), data)
        assert response.status_code == 200
        assert "2026 年已有正式日历" in response.content.decode()
    assert snapshot(2026) == before
    assert year_rows() == rows


def test_admin_notice_page_needs_text_or_file(calendar_admin: Client) -> None:
    response = calendar_admin.post(reverse(NOTICE_URL), {"text": "  "})
    assert "请粘贴通知全文或上传通知文件。" in response.content.decode()


def make_user(role: str, *, is_staff: bool) -> object:
    return get_user_model().objects.create_user(
        username=f"{role}_user",
        password="a-long-test-password",
        full_name="某人",
        role=role,
        is_staff=is_staff,
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("liaison", 302),  # not the system administrator: the admin sends to its login
        ("system_admin_without_calendar_permission", 403),
    ],
)
@pytest.mark.parametrize("step", ["page", "preview", "confirm"])
def test_r_d6_notice_page_needs_the_calendar_permission(
    client: Client, who: str, status: int, step: str
) -> None:
    if who == "liaison":
        client.force_login(make_user("liaison", is_staff=False))  # type: ignore[arg-type]
    elif who != "anonymous":
        # Signs in to the admin, but may not add or change calendar years.
        client.force_login(make_user("system_admin", is_staff=True))  # type: ignore[arg-type]
    before = snapshot(2027)
    rows = year_rows()
    if step == "page":
        response = client.get(reverse(NOTICE_URL))
    else:
        data = {"text": NOTICE_2027}
        if step == "confirm":
            data["confirm"] = "1"
        response = client.post(reverse(NOTICE_URL), data)
    assert response.status_code == status
    assert snapshot(2027) == before
    assert year_rows() == rows
    assert not AuditEvent.objects.filter(verb="admin_load_calendar").exists()
    assert not Item.objects.exists()
