"""The pages' own per-person preferences (no part of the supervision record)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """我的视图: a ledger query string saved under a name by its owner, who alone sees
    it (`duban.web.saved_views`)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("所有人"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("视图名称"), max_length=40)
    query = models.CharField(_("筛选条件"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("我的视图")
        verbose_name_plural = _("我的视图")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="one_view_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name
