"""What the reports write: only the audit record of an export (figures are read-only).

Exports leave the system, so each one is audited like the ledger's (`export_ledger`):
who exported which year's assessment, and how many units it held.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from duban.audit.models import record


def record_assessment_export(actor: Any, *, year: int, units: int) -> None:
    record(
        actor,
        "export_assessment",
        _("导出%(year)d年度考核统计（%(units)d个单位）") % {"year": year, "units": units},
        data={"year": year, "units": units},
    )
