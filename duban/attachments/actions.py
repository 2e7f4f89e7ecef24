"""Attaching a file, and recording a download. There is no edit and no delete: an
attachment, like a report, is superseded by a newer one, never changed (R-F7).

Who may attach: the supervising office's supervisors of the item, and the heads and
liaisons of its lead and cooperating units — as long as they may see it (R-C5, R-C4:
a recused person may not) and the item is not closed. Nothing of a classified item
may enter the system (R-C3, 涉密不上网), so it takes no attachment at all.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.items import policy
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.items.models import Confidentiality, Feedback, FeedbackStatus, Item
from duban.items.states import ACTIVE_STATUSES, Status
from duban.items.visibility import is_visible_to

from . import storage
from .models import Attachment
from .validation import check_upload

CLASSIFIED_REFUSAL = "涉密事项的材料不得上传本系统，请线下报送。"
# Reports that are still current: a superseded, declined, returned or accepted report
# is kept as it was (R-F7).
OPEN_REPORT_STATUSES = (FeedbackStatus.AWAITING_CONFIRMATION, FeedbackStatus.SUBMITTED)


def is_attacher(user: Any, item: Item) -> bool:
    """The item's office supervisors and its units' heads and liaisons (no visibility
    check and no query: the item page, which has checked it, asks this)."""
    return policy.is_active_person(user) and (
        policy.is_office_supervisor_of(user, item)
        or policy.is_lead_contact(user, item)
        or policy.is_cooperating_contact(user, item)
    )


def accepts_attachments(item: Item) -> bool:
    return item.confidentiality != Confidentiality.CLASSIFIED and item.status in ACTIVE_STATUSES


def acting_unit(user: Any, item: Item) -> Any:
    """The unit in whose name `user` attaches to `item`."""
    if policy.is_office_supervisor_of(user, item):
        return item.supervising_office
    if policy.is_lead_contact(user, item):
        return item.lead_unit
    return policy.cooperating_unit_of(user, item)


def check_may_attach(actor: Any, item: Item) -> None:
    """Refuse unless `actor` may attach a file to `item` now."""
    if not policy.is_active_person(actor) or not is_visible_to(actor, item):
        raise PermissionRefused(_(policy.NOT_VISIBLE))
    if item.confidentiality == Confidentiality.CLASSIFIED:
        raise PermissionRefused(_(CLASSIFIED_REFUSAL))
    if not is_attacher(actor, item):
        raise PermissionRefused(
            _("只有本事项的督办员，以及承办单位、配合单位的联络员或第一责任人可以上传附件。")
        )
    if item.status not in ACTIVE_STATUSES:
        raise StateRefused(
            _("事项当前状态为“%(status)s”，不能再上传附件。")
            % {"status": Status(item.status).label}
        )


def _check_feedback(actor: Any, item: Item, unit: Any, feedback: Feedback) -> None:
    if feedback.item_id != item.pk:
        raise InvalidInput(
            _("该报告不属于本事项。"), errors={"feedback": _("请选择本事项的报告。")}
        )
    if feedback.unit_id != unit.pk:
        raise PermissionRefused(_("只能为本单位报送的报告上传附件。"))
    if feedback.status not in OPEN_REPORT_STATUSES:
        raise StateRefused(
            _("该报告状态为“%(status)s”，不能再补充附件。")
            % {"status": FeedbackStatus(feedback.status).label}
        )


def attach_file(
    actor: Any, item: Item, uploaded_file: Any, *, feedback: Feedback | None = None
) -> Attachment:
    """Attach `uploaded_file` to `item` (or to its report `feedback`).

    The file, its row and its audit event are written together: the transaction is
    durable (the outermost one, never nested in a caller's), so if anything fails
    before it commits the stored file is removed again — nothing half-written, and
    no orphan file in ATTACHMENT_ROOT.
    """
    stored_name: str | None = None
    try:
        with transaction.atomic(durable=True):
            item = (
                Item.objects.select_for_update(of=("self",))
                .select_related("lead_unit", "supervising_office")
                .get(pk=item.pk)
            )
            check_may_attach(actor, item)
            unit = acting_unit(actor, item)
            if feedback is not None:
                feedback = Feedback.objects.get(pk=feedback.pk)  # as it stands now
                _check_feedback(actor, item, unit, feedback)
            checked = check_upload(uploaded_file)
            stored_name = storage.save(uploaded_file)
            attachment = Attachment.objects.create(
                item=item,
                feedback=feedback,
                file=stored_name,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=actor,
                unit=unit,
                created_at=clock.now(),
            )
            record(
                actor,
                "attach",
                _("上传附件：%(name)s") % {"name": checked.original_name},
                item=item,
                unit=unit,
                data={
                    "attachment": attachment.pk,
                    "name": checked.original_name,
                    "content_type": checked.content_type,
                    "size": checked.size,
                    "sha256": checked.sha256,
                    "feedback": feedback.pk if feedback is not None else None,
                },
            )
    except BaseException:
        if stored_name is not None:
            storage.remove(stored_name)
        raise
    return attachment


def record_download(actor: Any, attachment: Attachment, via: str) -> None:
    """Downloads of sensitive, discipline and classified items are audited, as reading
    them is (visibility.note_read); `via`: 页面 or 接口. The caller has found
    `attachment` through the visibility rule."""
    item = attachment.item
    if item.confidentiality == Confidentiality.ORDINARY:
        return
    record(
        actor,
        "download",
        _("下载附件：%(name)s") % {"name": attachment.original_name},
        item=item,
        data={"attachment": attachment.pk, "sha256": attachment.sha256, "via": via},
    )
