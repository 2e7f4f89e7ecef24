"""The ledger's background tasks: the check of a larger upload, the import the page's
确认导入 queued, and the periodic giving up of checks whose worker died.

`check_import` and `run_import` claim their upload with a conditional update (a second
worker, or a second copy of the task, finds it taken and does nothing) and leave their
progress in the cache for the page. The check is a dry run that writes nothing but
the upload's report; the import is all or nothing. An error either did not expect
leaves the upload marked failed — with the reason in Chinese for the page and the
traceback in the log — never checking or running for ever; a worker that dies
without a word is found by `expire_checks` (a check) or by the uploader's next
confirmation (an import: `actions.ABANDONED_AFTER`).
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django_tasks import task

from . import actions

logger = logging.getLogger("duban.ledger")


@task()
def check_import(import_id: int) -> dict[str, object]:
    try:
        ledger_import = actions.check_ledger_import(import_id)
    except Exception:
        logger.exception("ledger import %s: check failed", import_id)
        actions.fail_ledger_check(
            import_id,
            _(
                "检查过程中出现系统错误，未能完成检查，未导入任何事项。"
                "请重新上传；如仍失败，请联系系统管理员。"
            ),
        )
        raise
    if ledger_import is None:
        return {"skipped": "not waiting for its check, or claimed by another worker"}
    return {
        "status": ledger_import.status,
        "problems": len(ledger_import.report.get("problems", [])),
        "items": len(ledger_import.report.get("created", [])),
    }


@task()
def run_import(import_id: int) -> dict[str, object]:
    try:
        ledger_import = actions.run_ledger_import(import_id)
    except Exception:
        logger.exception("ledger import %s failed", import_id)
        actions.fail_ledger_import(
            import_id, _("导入过程中出现系统错误，未导入任何事项。请稍后重试或联系系统管理员。")
        )
        raise
    if ledger_import is None:
        return {"skipped": "not queued, or claimed by another worker"}
    return {"status": ledger_import.status, "items": ledger_import.item_count}


@task()
def expire_checks() -> dict[str, int]:
    """Periodic (settings.PERIODIC_TASKS): fail the checks that no worker took, or whose
    worker stopped giving signs of life (`actions.give_up_lost_checks`)."""
    return {"lost": actions.give_up_lost_checks()}
