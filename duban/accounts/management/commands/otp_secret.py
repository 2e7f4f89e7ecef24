"""`python manage.py otp_secret USERNAME`: the code a demo person's authenticator app
would show now, so a tester without a phone can sign in as an office supervisor or an
administrator. Only with DEBUG on; a production system refuses.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from duban.accounts import two_factor
from duban.organisation.models import User


class Command(BaseCommand):
    help = "打印演示账号身份验证器当前的动态验证码（仅限 DEBUG 模式）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(_("此命令仅供演示，只能在 DEBUG 模式下使用。"))
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("用户 %(username)s 不存在。") % {"username": username})
        device = two_factor.confirmed_device(user) or two_factor.unconfirmed_device(user)
        if device is None:
            raise CommandError(
                _("%(username)s 还没有身份验证器：请先用该账号登录，出现绑定页面后再运行本命令。")
                % {"username": username}
            )
        self.stdout.write(two_factor.current_code(device))
