"""What the account controls remember: failed logins per username, each person's
recent passwords, and where they last signed in from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginThrottle(models.Model):
    """Failed logins in a row for one username, and the lock they lead to.

    Kept per username, known or not, so that a locked-out answer does not tell an
    outsider which usernames exist.
    """

    username = models.CharField(_("用户名"), max_length=150, unique=True)
    failed_count = models.PositiveIntegerField(_("连续失败次数"), default=0)
    last_failed_at = models.DateTimeField(_("最近失败时间"), null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return self.username


class PasswordHistory(models.Model):
    """One password a person has used (its hash only), for the no-reuse rule."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    password_hash = models.CharField(_("密码摘要"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class AccountProfile(models.Model):
    """When and from where a person last signed in, shown at their next sign-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="account_profile",
    )
    last_login_at = models.DateTimeField(_("上次登录时间"), null=True, blank=True)
    last_login_ip = models.GenericIPAddressField(_("上次登录地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号信息")
        verbose_name_plural = _("账号信息")

    def __str__(self) -> str:
        return str(self.user_id)
