"""Load the demo university: `python manage.py demo`.

`--organisation-only` loads the demo's units and people without any item: an empty
university to import a ledger into (`import_ledger`).

`--logins-markdown` only prints the table of demo logins as Markdown
(`python manage.py demo --logins-markdown > docs/demo-logins.md`).

Loads once: when the demo is already there (its General Office exists) it says so
and changes nothing. It refuses a database that already holds other units, since
the demo's offices could clash with them.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from duban.items.states import Status
from duban.organisation import demo
from duban.organisation.models import Unit, User


class Command(BaseCommand):
    help = "Load the demo university (units, people, dated items); a second run changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--logins-markdown",
            action="store_true",
            help="only print the demo logins as Markdown (docs/demo-logins.md), load nothing",
        )

        parser.add_argument(
            "--organisation-only",
            action="store_true",
            help="load the units and people only, without items",
        )

    def handle(self, *args: Any, logins_markdown: bool = False, **options: Any) -> None:
        if logins_markdown:
            self.stdout.write(demo.logins_markdown(), ending="")
            return
        if demo.is_loaded():
            self.stdout.write(_("演示数据已存在，未作更改"))
            return
        if Unit.objects.exists():
            raise CommandError(
                _("数据库中已有单位数据，演示数据只能载入尚无单位的数据库。未作任何更改。")
            )
        taken = sorted(
            User.objects.filter(username__in=demo.demo_usernames()).values_list(
                "username", flat=True
            )
        )
        if taken:
            raise CommandError(
                _("以下用户名已被占用，未作任何更改：%(names)s") % {"names": "、".join(taken)}
            )
        started = time.monotonic()
        summary = demo.load(items=not options.get("organisation_only", False))
        seconds = time.monotonic() - started
        counts = " / ".join(
            f"{Status(status).label} {count}"
            for status, count in summary.items_by_status.items()
            if count
        )
        self.stdout.write(_("已载入演示数据（用时 %(seconds).1f 秒）：") % {"seconds": seconds})
        self.stdout.write(
            _("  单位 %(units)d 个，人员 %(people)d 人，督办事项 %(items)d 项")
            % {
                "units": summary.units,
                "people": summary.people,
                "items": sum(summary.items_by_status.values()),
            }
        )
        if counts:
            self.stdout.write(_("  按状态：%(counts)s") % {"counts": counts})
            self.stdout.write(_("  其中已逾期未办结 %(count)d 项") % {"count": summary.overdue})
        self.stdout.write(_("演示账号的密码均为：%(password)s") % {"password": demo.DEMO_PASSWORD})
        self.stdout.write(_("运行 python manage.py serve 启动服务并查看全部演示账号。"))
