"""The ledger's background task: an import the page's 确认导入 queued.

`run_import` claims the queued upload with a conditional update (a second worker, or a
second copy of the task, finds it taken and does nothing), imports it all or nothing
with its progress in the cache, and stores the report for the page. An error it did
not expect leaves nothing imported and the upload marked failed, with the reason in
Chinese for the page and the traceback in the log.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django_tasks import task

from . import actions

logger = logging.getLogger("duban.ledger")


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
