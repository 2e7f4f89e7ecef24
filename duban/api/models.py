"""API access tokens.

A token is shown to its owner once, when issued; only its SHA-256 hash is stored,
so a copy of the database does not hand out working tokens.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    key_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("签发时间"))
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    # What the token was issued against (password, role, unit): a change of any of them
    # ends the token, whichever path made the change (tokens.access_stamp).
    stamp = models.CharField(_("签发依据"), max_length=64, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
