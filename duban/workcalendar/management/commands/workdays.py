"""Ask the working-day calendar from the shell, or load a year's calendar file.

    manage.py workdays add 2026-09-28 10      -> 2026-10-16
    manage.py workdays sub 2026-10-16 5       -> 2026-10-10
    manage.py workdays is 2026-10-10          -> workday
    manage.py workdays load 2027 2027.txt     -> loaded 2027 365 days
    manage.py workdays load-notice 2027.txt [--dry-run] [--replace]
        -> one line per day the State Council's notice names, in date order
           ("2027-10-01 holiday 国庆节", "2027-09-26 workday 国庆节"), then
           "2027: H holidays, W make-up workdays" (outside scripts read these lines)

A result that depends on a year without official data ends in " provisional".
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from duban.items.actions.recompute import recompute_working_day_deadlines
from duban.workcalendar.calendar import (
    CalendarFileError,
    add_workdays,
    is_workday,
    load_year,
    parse_iso_date,
    subtract_workdays,
)
from duban.workcalendar.notice import (
    is_official,
    load_notice,
    parse_notice,
    read_notice_file,
)


def _parse_date(text: str) -> date:
    try:
        return parse_iso_date(text)
    except ValueError:
        raise CommandError(_("日期“%(text)s”无效，应为 YYYY-MM-DD") % {"text": text}) from None


def _parse_count(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise CommandError(_("工作日数“%(text)s”无效，应为非负整数") % {"text": text})
    return int(text)


def _parse_year(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 9999:
        raise CommandError(_("年度“%(text)s”无效") % {"text": text})
    return int(text)


def _with_flag(answer: str, provisional: bool) -> str:
    return f"{answer} provisional" if provisional else answer


class Command(BaseCommand):
    help = "Working days: add/sub N working days to a date, test a date, or load a year."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for name, help_text in [
            ("add", "the N-th working day after DATE (DATE not counted)"),
            ("sub", "the N-th working day before DATE (DATE not counted)"),
        ]:
            step = actions.add_parser(name, help=help_text)
            step.add_argument("date", metavar="DATE")
            step.add_argument("count", metavar="N")
        test = actions.add_parser("is", help="whether DATE is a working day")
        test.add_argument("date", metavar="DATE")
        load = actions.add_parser("load", help="replace YEAR's calendar from a UTF-8 text file")
        load.add_argument("year", metavar="YEAR")
        load.add_argument("file", metavar="FILE")
        notice = actions.add_parser(
            "load-notice",
            help="load a year from the State Council's holiday notice (UTF-8 text or .docx)",
        )
        notice.add_argument("file", metavar="FILE")
        notice.add_argument(
            "--dry-run", action="store_true", help="check and list the days, change nothing"
        )
        notice.add_argument(
            "--replace", action="store_true", help="replace a year that is already official"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in {"add", "sub"}:
            start = _parse_date(options["date"])
            count = _parse_count(options["count"])
            step = add_workdays if action == "add" else subtract_workdays
            try:
                result = step(start, count)
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(_with_flag(result.day.isoformat(), result.provisional))
        elif action == "is":
            answer = is_workday(_parse_date(options["date"]))
            kind = "workday" if answer.is_workday else "holiday"
            self.stdout.write(_with_flag(kind, answer.provisional))
        elif action == "load":
            self._load(_parse_year(options["year"]), Path(options["file"]))
        elif action == "load-notice":
            self._load_notice(
                Path(options["file"]), dry_run=options["dry_run"], replace=options["replace"]
            )

    def _load_notice(self, path: Path, *, dry_run: bool, replace: bool) -> None:
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(_("找不到文件：%(path)s") % {"path": path}) from None
        except OSError as error:
            raise CommandError(
                _("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": error}
            ) from error
        try:
            notice = parse_notice(read_notice_file(path.name, content))
            if dry_run:
                if not replace and is_official(notice.year):
                    # Not an error for a check; the same stdout as a load either way.
                    self.stderr.write(
                        _("注意：%(year)d 年已有正式日历，载入时需加 --replace。")
                        % {"year": notice.year}
                    )
            else:
                loaded = load_notice(notice, replace=replace)
                # stdout stays the day lines and the summary; the recount goes to stderr.
                self.stderr.write(
                    f"deadlines recounted: {loaded.moved} moved, {loaded.confirmed} confirmed",
                    style_func=str,
                )
        except CalendarFileError as error:
            raise CommandError(str(error)) from error
        for line in notice.output_lines():
            self.stdout.write(line)

    def _load(self, year: int, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(_("找不到文件：%(path)s") % {"path": path}) from None
        except UnicodeDecodeError:
            raise CommandError(
                _("文件必须是 UTF-8 编码的文本：%(path)s") % {"path": path}
            ) from None
        except OSError as error:
            raise CommandError(
                _("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": error}
            ) from error
        try:
            with transaction.atomic():
                stored = load_year(year, text.splitlines(), source=_("文件导入"))
                # R-D6: deadlines counted through this year are counted again.
                recounted = recompute_working_day_deadlines(year)
        except CalendarFileError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"deadlines recounted: {recounted.moved} moved, {recounted.confirmed} confirmed"
        )
        self.stdout.write(f"loaded {year} {stored} days")
