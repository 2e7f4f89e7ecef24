"""Synchronise units and people with the university's directory:

    manage.py sync_org 人员名单.xlsx [--dry-run] [--deactivate-missing]
    manage.py sync_org 人员名单/ [--dry-run] [--deactivate-missing]   (单位.csv, 人员.csv)
    manage.py sync_org ldap://ldap.example.edu.cn:389/ [--dry-run] [--deactivate-missing]
    manage.py sync_org --template 模板.xlsx

The spreadsheet, the CSV files and the LDAP attributes are described in
duban/organisation/directory.py, the rules of the sync in duban/organisation/sync.py.
All or nothing: with any problem, each is printed with its row and nothing changes
(exit status 1). The reports (units without a head or liaison, items whose contact
left) come next, and the last line is exactly `units +A ~B -C; people +X ~Y -Z`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from duban.organisation.directory import DirectoryError, read_source, write_template
from duban.organisation.sync import SyncReport, sync_directory


class Command(BaseCommand):
    help = (
        "Synchronise units and people from an .xlsx file, a folder of 单位.csv and 人员.csv, "
        "or an ldap:// directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source", nargs="?", help="an .xlsx file, a folder of CSV files or an ldap:// URL"
        )
        parser.add_argument("--dry-run", action="store_true", help="change nothing")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="also deactivate the people (with a 工号) and units the source no longer lists",
        )
        parser.add_argument("--template", metavar="FILE", help="write an empty .xlsx and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["template"]:
            path = Path(options["template"])
            if path.is_dir() or not path.parent.is_dir():
                raise CommandError(_("无法写入“%(path)s”。") % {"path": path})
            write_template(path)
            self.stdout.write(_("已生成模板：%(path)s") % {"path": path})
            return
        source: str | None = options["source"]
        if not source:
            raise CommandError(_("请指定 .xlsx 文件、CSV 文件夹或 ldap:// 地址。"))
        try:
            read = read_source(source)
        except DirectoryError as error:
            raise CommandError(error.message) from None
        report = sync_directory(
            None,
            read.directory,
            source=read.name,
            content=read.content,
            dry_run=options["dry_run"],
            deactivate_missing=options["deactivate_missing"],
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                _("发现%(count)d个问题，未做任何修改。") % {"count": len(report.problems)}
            )
        self.write_report(report)

    def write_report(self, report: SyncReport) -> None:
        verbs = {"add": _("新增"), "change": _("修改"), "deactivate": _("停用")}
        kinds = {"unit": _("单位"), "person": _("人员")}
        for change in report.changes:
            details = "；".join(
                f"{label}：{before or '—'} → {after or '—'}"
                for label, before, after in change["fields"]
            )
            line = (
                f"{verbs[change['action']]}{kinds[change['kind']]} {change['key']} {change['name']}"
            )
            self.stdout.write(f"{line}（{details}）" if details else line)
        for label in report.units_without_head:
            self.stdout.write(_("单位缺少第一责任人：%(unit)s") % {"unit": label})
        for label in report.units_without_liaison:
            self.stdout.write(_("单位缺少联络员：%(unit)s") % {"unit": label})
        for number in report.items_whose_contact_left:
            self.stdout.write(_("事项联系人已离职：%(number)s") % {"number": number})
        if report.dry_run:
            self.stdout.write(_("（试运行，未做任何修改）"))
        self.stdout.write(report.summary())
