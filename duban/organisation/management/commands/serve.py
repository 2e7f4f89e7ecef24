"""Start the system: `python manage.py serve` (`--check`: only print).

Prints the address (port from the PORT environment variable, default 8000) and the
demo logins, then starts the background worker (`manage.py run_worker`) as a child
process and runs Django's development server on 127.0.0.1 without the autoreloader;
the worker stops when the server does.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from duban.notify.process import worker_alongside
from duban.organisation import demo
from duban.organisation.models import User

DEFAULT_PORT = 8000


def port_from_environment() -> int:
    raw = os.environ.get("PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise CommandError(_("环境变量 PORT 应为 1–65535 之间的整数，实为“%(raw)s”") % {"raw": raw})
    return int(raw)


def display_width(text: str) -> int:
    """Terminal columns of `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def format_table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(display_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell + " " * (width - display_width(cell))
            for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


class Command(BaseCommand):
    help = "Print the address and the demo logins, then run the development server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="only print the address and logins, then exit"
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        port = port_from_environment()
        self.stdout.write(_("督办系统地址："))
        self.stdout.write(f"http://127.0.0.1:{port}")
        self.stdout.write("")
        self.print_logins()
        if check:
            return
        # The background worker (notification delivery, periodic sweeps) runs beside
        # the server as a child process, and stops with it.
        with worker_alongside() as worker:
            self.stdout.write(
                _("后台任务进程已启动（python manage.py run_worker，PID %(pid)d）。")
                % {"pid": worker.pid}
            )
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)

    def print_logins(self) -> None:
        if not demo.is_loaded():
            self.stdout.write(_("尚未载入演示数据：请先运行 python manage.py demo"))
            return
        # Only the demo accounts that still exist, in the demo's own order.
        present = set(
            User.objects.filter(username__in=demo.demo_usernames()).values_list(
                "username", flat=True
            )
        )
        rows = [[_("用户名"), _("角色"), _("姓名"), _("单位")]]
        rows += [
            [login.username, login.role, login.full_name, login.unit or "—"]
            for login in demo.demo_logins()
            if login.username in present
        ]
        self.stdout.write(
            _("演示账号（密码均为 %(password)s）：") % {"password": demo.DEMO_PASSWORD}
        )
        for line in format_table(rows):
            self.stdout.write(line)
