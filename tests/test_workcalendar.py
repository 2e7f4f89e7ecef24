"""The working-day calendar (RULES R-D6, with R-D2 and R-E2 counting)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from duban.workcalendar import calendar
from duban.workcalendar.calendar import (
    CalendarFileError,
    CountResult,
    DayResult,
    WorkdayAnswer,
    add_workdays,
    is_workday,
    load_year,
    set_day,
    subtract_workdays,
    workdays_between,
    year_status,
)
from duban.workcalendar.models import CalendarDay, CalendarYear, DayKind, YearStatus

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:workcalendar_calendaryear_import"


def snapshot(year: int) -> list[tuple[date, str, str]]:
    """Every stored day of `year`, to assert that nothing changed."""
    return list(
        CalendarDay.objects.filter(day__year=year)
        .order_by("day")
        .values_list("day", "kind", "note")
    )


def year_row(year: int) -> tuple[str, str] | None:
    return CalendarYear.objects.filter(year=year).values_list("status", "source").first()


def run_workdays(*args: str) -> str:
    out = StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue().splitlines()[-1]


@pytest.fixture
def superuser_client(client: Client) -> Client:
    user = get_user_model().objects.create_superuser(
        username="admin",
        password="a-long-test-password",
        full_name="管理员",
        role="system_admin",
    )
    client.force_login(user)
    return client


@pytest.fixture
def calendar_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "2031.txt"
    path.write_text(
        "# 2031 test calendar\n"
        "\n"
        "2031-01-01 holiday 元旦\n"
        "2031-01-04 workday 调休上班\n"
        "2031-10-01 休息日 国庆节\n",
        encoding="utf-8",
    )
    yield path


# -- seeded data (migration 0002) -----------------------------------------------------


def test_r_d6_seed_stores_every_day_of_official_years() -> None:
    assert CalendarYear.objects.filter(status=YearStatus.OFFICIAL).count() == 23
    assert CalendarDay.objects.filter(day__year=2026).count() == 365
    assert CalendarDay.objects.filter(day__year=2024).count() == 366
    assert CalendarDay.objects.count() == sum(
        366 if year % 4 == 0 else 365 for year in range(2004, 2027)
    )
    assert year_row(2026) == ("official", "chinese-calendar 1.11.0")


def test_r_d6_seed_notes_holidays_and_make_up_days() -> None:
    assert CalendarDay.objects.get(day=date(2026, 10, 1)).note == "国庆节"
    assert CalendarDay.objects.get(day=date(2026, 10, 10)).note == "调休上班"
    assert CalendarDay.objects.get(day=date(2026, 2, 17)).note == "春节"
    assert CalendarDay.objects.get(day=date(2026, 1, 1)).note == "元旦"
    assert CalendarDay.objects.get(day=date(2026, 10, 17)).note == ""


def test_year_status() -> None:
    assert year_status(2026) == "official"
    assert year_status(2031) == "provisional"
    CalendarYear.objects.create(year=2032, status=YearStatus.PROVISIONAL)
    assert year_status(2032) == "provisional"


# -- the RULES.md examples ------------------------------------------------------------


def test_r_d6_add_workdays_across_national_day() -> None:
    assert add_workdays(date(2026, 9, 28), 10) == DayResult(date(2026, 10, 16), False)


def test_r_d6_add_workdays_across_spring_festival() -> None:
    assert add_workdays(date(2026, 2, 10), 10) == DayResult(date(2026, 3, 2), False)


def test_r_d6_add_workdays_before_spring_festival() -> None:
    assert add_workdays(date(2026, 1, 30), 10) == DayResult(date(2026, 2, 13), False)


def test_r_e2_latest_filing_is_make_up_saturday() -> None:
    assert subtract_workdays(date(2026, 10, 16), 5) == DayResult(date(2026, 10, 10), False)


def test_r_e2_latest_filing_before_national_day() -> None:
    assert subtract_workdays(date(2026, 10, 12), 5) == DayResult(date(2026, 9, 29), False)


def test_r_d2_zero_workdays_is_the_start() -> None:
    assert add_workdays(date(2026, 10, 3), 0) == DayResult(date(2026, 10, 3), False)
    assert subtract_workdays(date(2026, 10, 3), 0) == DayResult(date(2026, 10, 3), False)
    assert add_workdays(date(2031, 1, 1), 0) == DayResult(date(2031, 1, 1), True)


def test_r_d2_negative_workdays_are_refused() -> None:
    with pytest.raises(ValueError):
        add_workdays(date(2026, 10, 3), -1)
    with pytest.raises(ValueError):
        subtract_workdays(date(2026, 10, 3), -1)


def test_r_d6_make_up_saturday_is_a_workday() -> None:
    assert is_workday(date(2026, 10, 10)) == WorkdayAnswer(is_workday=True, provisional=False)


def test_r_d6_national_day_is_a_holiday() -> None:
    assert is_workday(date(2026, 10, 1)) == WorkdayAnswer(is_workday=False, provisional=False)


def test_r_d6_workdays_between_excludes_start_includes_end() -> None:
    # 2026-09-29, 09-30, 10-08, 10-09, 10-10 (make-up Saturday)
    assert workdays_between(date(2026, 9, 28), date(2026, 10, 10)) == CountResult(5, False)
    assert workdays_between(date(2026, 10, 10), date(2026, 10, 10)) == CountResult(0, False)
    assert workdays_between(date(2026, 10, 16), date(2026, 9, 28)) == CountResult(0, False)


def test_r_d6_add_and_between_agree() -> None:
    start = date(2026, 1, 30)
    for n in (1, 5, 10, 40, 200):
        result = add_workdays(start, n)
        assert workdays_between(start, result.day).count == n
        assert subtract_workdays(result.day, n).day <= start


# -- provisional years ----------------------------------------------------------------


def test_r_d6_provisional_year_counts_monday_to_friday() -> None:
    # 2031-09-26 is a Friday; 2031-10-01 (a Wednesday) is not known as a holiday.
    assert add_workdays(date(2031, 9, 26), 10) == DayResult(date(2031, 10, 10), True)
    assert is_workday(date(2031, 10, 1)) == WorkdayAnswer(is_workday=True, provisional=True)
    assert is_workday(date(2031, 10, 4)) == WorkdayAnswer(is_workday=False, provisional=True)
    assert workdays_between(date(2031, 9, 26), date(2031, 10, 10)) == CountResult(10, True)


def test_r_d6_years_before_the_seed_are_provisional() -> None:
    assert add_workdays(date(1999, 12, 31), 1) == DayResult(date(2000, 1, 3), True)
    assert subtract_workdays(date(2004, 1, 5), 1) == DayResult(date(2004, 1, 2), False)
    assert subtract_workdays(date(2004, 1, 2), 1) == DayResult(date(2003, 12, 31), True)


def test_r_d6_counting_into_a_provisional_year_is_provisional() -> None:
    # 2026-12-31 is a Thursday; the next working day lies in 2027, not yet loaded.
    assert add_workdays(date(2026, 12, 30), 1) == DayResult(date(2026, 12, 31), False)
    assert add_workdays(date(2026, 12, 30), 2) == DayResult(date(2027, 1, 1), True)


def test_r_d6_stored_rows_win_in_a_provisional_year() -> None:
    CalendarDay.objects.create(day=date(2031, 10, 1), kind=DayKind.HOLIDAY, note="国庆节")
    assert is_workday(date(2031, 10, 1)) == WorkdayAnswer(is_workday=False, provisional=True)
    assert add_workdays(date(2031, 9, 30), 1) == DayResult(date(2031, 10, 2), True)


def test_r_d6_far_years_do_not_crash() -> None:
    assert add_workdays(date(2099, 12, 31), 300).provisional is True
    assert subtract_workdays(date(1950, 1, 1), 300).provisional is True
    assert add_workdays(date(2026, 1, 1), 3000).provisional is True


def test_r_d6_add_workdays_over_60_days_makes_at_most_2_queries(
    django_assert_max_num_queries,
) -> None:
    with django_assert_max_num_queries(2):
        result = add_workdays(date(2026, 9, 1), 40)
    assert result == DayResult(date(2026, 11, 2), False)


def test_r_d6_long_counts_extend_the_window_without_a_query_per_day(
    django_assert_max_num_queries,
) -> None:
    with django_assert_max_num_queries(6):
        add_workdays(date(2026, 1, 1), 1000)


def test_work_calendar_answers_many_questions_with_one_load(
    django_assert_num_queries,
) -> None:
    work_calendar = calendar.WorkCalendar()
    work_calendar.ensure_loaded(date(2026, 9, 1), date(2026, 12, 31))
    with django_assert_num_queries(0):
        assert work_calendar.add_workdays(date(2026, 9, 28), 10).day == date(2026, 10, 16)
        assert work_calendar.subtract_workdays(date(2026, 10, 16), 5).day == date(2026, 10, 10)


def test_work_calendar_extends_its_window_both_ways(django_assert_num_queries) -> None:
    work_calendar = calendar.WorkCalendar()
    with django_assert_num_queries(1):  # the days and the official years, as one UNION
        work_calendar.ensure_loaded(date(2026, 10, 1), date(2026, 10, 12))
    with django_assert_num_queries(1):
        work_calendar.ensure_loaded(date(2026, 9, 1), date(2026, 12, 31))
    with django_assert_num_queries(0):
        assert work_calendar.subtract_workdays(date(2026, 10, 12), 5).day == date(2026, 9, 29)
        assert work_calendar.add_workdays(date(2026, 9, 28), 10).day == date(2026, 10, 16)
        assert work_calendar.is_workday(date(2026, 12, 31)) == WorkdayAnswer(True, False)


# -- load_year ------------------------------------------------------------------------


def test_r_d6_load_year_replaces_the_schedule_and_marks_it_official() -> None:
    stored = load_year(
        2031,
        [
            "\ufeff# 2031 calendar",
            "",
            "2031-01-01 holiday 元旦",
            "2031-10-01 休息日 国庆节 第一天",
            "2031-10-04 工作日 调休上班",
            "2031-10-02 HOLIDAY",
        ],
        source="文件导入",
    )
    assert stored == 365
    assert CalendarDay.objects.filter(day__year=2031).count() == 365
    assert year_row(2031) == ("official", "文件导入")
    assert CalendarDay.objects.get(day=date(2031, 10, 1)).note == "国庆节 第一天"
    assert is_workday(date(2031, 10, 1)) == WorkdayAnswer(False, False)
    assert is_workday(date(2031, 10, 2)) == WorkdayAnswer(False, False)
    assert is_workday(date(2031, 10, 4)) == WorkdayAnswer(True, False)
    assert is_workday(date(2031, 10, 3)) == WorkdayAnswer(True, False)
    assert is_workday(date(2031, 10, 5)) == WorkdayAnswer(False, False)


def test_r_d6_load_year_replaces_an_official_year() -> None:
    other_years = CalendarDay.objects.exclude(day__year=2026).count()
    stored = load_year(2026, ["2026-10-01 holiday 国庆节"], source="文件导入")
    assert stored == 365
    assert is_workday(date(2026, 10, 2)) == WorkdayAnswer(True, False)
    assert is_workday(date(2026, 10, 10)) == WorkdayAnswer(False, False)
    assert CalendarDay.objects.get(day=date(2026, 10, 10)).note == ""
    assert CalendarDay.objects.exclude(day__year=2026).count() == other_years
    assert year_row(2026) == ("official", "文件导入")


@pytest.mark.parametrize(
    ("lines", "line_number", "message_part"),
    [
        (["2026-10-01 holiday", "2026-10-02"], 2, "格式应为"),
        (["# header", "2026-13-01 holiday"], 2, "日期“2026-13-01”无效"),
        (["20261001 holiday"], 1, "日期“20261001”无效"),
        (["2026-10-01 rest"], 1, "类型“rest”无效"),
        (["2026-10-01 holiday", "2027-01-01 holiday"], 2, "不在 2026 年内"),
        (["2026-10-01 holiday", "", "2026-10-01 workday"], 3, "重复（第 1 行已有）"),
        (["2026-10-01 holiday " + "长" * 101], 1, "备注过长"),
        (["# only comments", ""], 0, "没有任何日期行"),
    ],
)
def test_r_d6_load_year_error_changes_nothing(
    lines: list[str], line_number: int, message_part: str
) -> None:
    before_days = snapshot(2026)
    before_year = year_row(2026)
    total = CalendarDay.objects.count()
    with pytest.raises(CalendarFileError) as raised:
        load_year(2026, lines, source="文件导入")
    assert raised.value.line_number == line_number
    assert message_part in raised.value.message
    assert snapshot(2026) == before_days
    assert year_row(2026) == before_year
    assert CalendarDay.objects.count() == total


def test_calendar_file_error_names_the_line() -> None:
    assert str(CalendarFileError(3, "类型无效")) == "第 3 行：类型无效"


# -- set_day --------------------------------------------------------------------------


def test_r_d6_set_day_changes_answers_in_an_official_year() -> None:
    set_day(date(2026, 10, 9), DayKind.HOLIDAY, "临时放假")
    assert is_workday(date(2026, 10, 9)) == WorkdayAnswer(False, False)
    assert add_workdays(date(2026, 9, 28), 10) == DayResult(date(2026, 10, 19), False)
    assert CalendarDay.objects.filter(day__year=2026).count() == 365
    assert year_row(2026) == ("official", "chinese-calendar 1.11.0")


def test_r_d6_set_day_fills_a_new_year_and_keeps_it_provisional() -> None:
    set_day(date(2031, 10, 1), "holiday", "国庆节")
    assert CalendarDay.objects.filter(day__year=2031).count() == 365
    assert CalendarDay.objects.filter(day__year=2031, kind="holiday").count() == 105
    assert year_row(2031) == ("provisional", "管理员编辑")
    assert is_workday(date(2031, 10, 1)) == WorkdayAnswer(False, True)
    assert year_status(2031) == "provisional"


def test_set_day_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        set_day(date(2031, 10, 1), "rest")
    assert CalendarDay.objects.filter(day__year=2031).count() == 0
    assert year_row(2031) is None


# -- the management command -----------------------------------------------------------


def test_r_d6_command_add() -> None:
    assert run_workdays("add", "2026-09-28", "10") == "2026-10-16"
    assert run_workdays("add", "2026-02-10", "10") == "2026-03-02"


def test_r_e2_command_sub() -> None:
    assert run_workdays("sub", "2026-10-16", "5") == "2026-10-10"
    assert run_workdays("sub", "2026-10-12", "5") == "2026-09-29"


def test_r_d6_command_flags_provisional_results() -> None:
    assert run_workdays("add", "2031-09-26", "10") == "2031-10-10 provisional"
    assert run_workdays("is", "2031-10-01") == "workday provisional"


def test_r_d6_command_is() -> None:
    assert run_workdays("is", "2026-10-10") == "workday"
    assert run_workdays("is", "2026-10-01") == "holiday"


def test_r_d6_command_load(calendar_file: Path) -> None:
    assert run_workdays("load", "2031", str(calendar_file)) == "loaded 2031 365 days"
    assert run_workdays("is", "2031-10-01") == "holiday"
    assert run_workdays("is", "2031-01-04") == "workday"
    assert year_row(2031) == ("official", "文件导入")


@pytest.mark.parametrize(
    ("args", "message_part"),
    [
        (("add", "2026-9-28", "10"), "日期“2026-9-28”无效"),
        (("add", "2026-02-30", "10"), "日期“2026-02-30”无效"),
        (("sub", "2026-09-28", "-1"), "工作日数“-1”无效"),
        (("add", "2026-09-28", "ten"), "工作日数“ten”无效"),
        (("is", "yesterday"), "日期“yesterday”无效"),
        (("load", "20x1", "2031.txt"), "年度“20x1”无效"),
    ],
)
def test_command_rejects_malformed_input(args: tuple[str, ...], message_part: str) -> None:
    with pytest.raises(CommandError, match=message_part):
        call_command("workdays", *args, stdout=StringIO())


def test_command_load_reports_the_bad_line_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("2031-01-01 holiday 元旦\n2031-02-30 holiday\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第 2 行：日期“2031-02-30”无效"):
        call_command("workdays", "load", "2031", str(path), stdout=StringIO())
    assert CalendarDay.objects.filter(day__year=2031).count() == 0
    assert year_row(2031) is None


def test_command_load_missing_or_non_utf8_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("workdays", "load", "2031", str(tmp_path / "none.txt"), stdout=StringIO())
    path = tmp_path / "gbk.txt"
    path.write_bytes("2031-01-01 holiday 元旦\n".encode("gbk"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("workdays", "load", "2031", str(path), stdout=StringIO())
    assert year_row(2031) is None


# -- the admin import page ------------------------------------------------------------


def test_admin_changelist_links_to_import(superuser_client: Client) -> None:
    response = superuser_client.get(reverse("admin:workcalendar_calendaryear_changelist"))
    assert response.status_code == 200
    assert reverse(IMPORT_URL) in response.content.decode()


def test_admin_import_page_shows_form(superuser_client: Client) -> None:
    response = superuser_client.get(reverse(IMPORT_URL))
    assert response.status_code == 200
    content = response.content.decode()
    assert "导入年度日历" in content
    assert "csrfmiddlewaretoken" in content
    assert 'enctype="multipart/form-data"' in content


def test_r_d6_admin_import_loads_the_year(superuser_client: Client) -> None:
    upload = SimpleUploadedFile(
        "2031.txt", "2031-10-01 holiday 国庆节\n".encode(), content_type="text/plain"
    )
    response = superuser_client.post(
        reverse(IMPORT_URL), {"year": "2031", "file": upload}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("admin:workcalendar_calendaryear_changelist")
    assert "已导入 2031 年日历，共 365 天" in response.content.decode()
    assert year_row(2031) == ("official", "文件导入")
    assert is_workday(date(2031, 10, 1)) == WorkdayAnswer(False, False)


@pytest.mark.parametrize(
    ("content", "error_part"),
    [
        (b"2031-10-01 holiday\n2031-10-01 workday\n", "第 2 行：日期 2031-10-01 重复"),
        ("2031-10-01 holiday 国庆节\n".encode("gbk"), "文件必须是 UTF-8 编码的文本。"),
        (b"# " + b"x" * (1024 * 1024), "文件不能超过 1 MB。"),
    ],
)
def test_admin_import_error_is_shown_and_changes_nothing(
    superuser_client: Client, content: bytes, error_part: str
) -> None:
    upload = SimpleUploadedFile("2031.txt", content, content_type="text/plain")
    response = superuser_client.post(reverse(IMPORT_URL), {"year": "2031", "file": upload})
    assert response.status_code == 200
    assert error_part in response.content.decode()
    assert CalendarDay.objects.filter(day__year=2031).count() == 0
    assert year_row(2031) is None


def test_admin_import_requires_staff(client: Client) -> None:
    user = get_user_model().objects.create_user(
        username="liaison", password="a-long-test-password", full_name="联络员", role="liaison"
    )
    client.force_login(user)
    upload = SimpleUploadedFile("2031.txt", b"2031-10-01 holiday\n", content_type="text/plain")
    response = client.post(reverse(IMPORT_URL), {"year": "2031", "file": upload})
    assert response.status_code == 302
    assert year_row(2031) is None


def test_admin_day_edit_goes_through_set_day(superuser_client: Client) -> None:
    response = superuser_client.post(
        reverse("admin:workcalendar_calendarday_add"),
        {"day": "2031-10-01", "kind": "holiday", "note": "国庆节"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.filter(day__year=2031).count() == 365
    assert year_row(2031) == ("provisional", "管理员编辑")
    assert is_workday(date(2031, 10, 1)) == WorkdayAnswer(False, True)


def test_admin_day_changelist_renders(superuser_client: Client) -> None:
    url = reverse("admin:workcalendar_calendarday_changelist")
    response = superuser_client.get(url, {"day__year": "2026", "day__month": "10", "q": "国庆"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 7
