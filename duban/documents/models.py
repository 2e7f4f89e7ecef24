"""Circulars (通报, R-K4) and archive volumes (立卷归档, R-K2).

Rows are written only by `duban.documents.actions`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The issuing office's prefix of a circular's document number, 校办督〔2026〕3号.
CIRCULAR_PREFIX: dict[str, str] = {
    "general_office": "校办督",
    "discipline_office": "纪办督",
    "secrecy_office": "保密办督",
}


class Circular(models.Model):
    """One circular of a supervising office for a period.

    The number is given at the period's first generation and kept: generating the
    same period again (as Word, then as PDF, or after a correction of the data) gives
    the same document number, with the figures as they stand then.
    """

    office = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("发文单位"),
        on_delete=models.PROTECT,
        related_name="circulars",
    )
    year = models.PositiveSmallIntegerField(_("文号年度"))
    number = models.PositiveIntegerField(_("文号序号"))
    period_start = models.DateField(_("通报期间起"))
    period_end = models.DateField(_("通报期间止"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首次生成人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("首次生成时间"))

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "number"], name="documents_one_circular_number_per_year"
            ),
            models.UniqueConstraint(
                fields=["office", "period_start", "period_end"],
                name="documents_one_circular_per_period",
            ),
        ]

    def __str__(self) -> str:
        return self.document_number

    @property
    def document_number(self) -> str:
        prefix = CIRCULAR_PREFIX.get(self.office.kind, "督")
        return f"{prefix}〔{self.year}〕{self.number}号"


class Volume(models.Model):
    """A volume (案卷) of one supervising office's closed items of a year (R-K2).

    A year may have several volumes: the year-end filing, and later ones for items
    closed in that year but not filed then. An item is filed once (VolumeEntry.item
    is one-to-one).
    """

    office = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("立卷单位"),
        on_delete=models.PROTECT,
        related_name="volumes",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("卷号"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立卷人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("立卷时间"))

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("案卷")
        verbose_name_plural = _("案卷")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "number"], name="documents_one_volume_number_per_year"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _("%(office)s%(year)d年度督办事项案卷（第%(number)d卷）") % {
            "office": self.office.name,
            "year": self.year,
            "number": self.number,
        }


class VolumeEntry(models.Model):
    """An item filed in a volume, at its position (件号)."""

    volume = models.ForeignKey(Volume, on_delete=models.PROTECT, related_name="entries")
    item = models.OneToOneField("items.Item", on_delete=models.PROTECT, related_name="volume_entry")
    position = models.PositiveIntegerField(_("件号"))

    class Meta:
        ordering = ["volume", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["volume", "position"], name="documents_one_item_per_position"
            )
        ]
