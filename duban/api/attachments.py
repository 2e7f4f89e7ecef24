"""Attachments (附件) over the API: upload, list, download.

Like every item endpoint, each finds the item — or the attachment's item — through
the visibility rule first, so what the user may not see answers exactly like what
does not exist (404, R-C5). The upload calls `duban.attachments.actions.attach_file`;
a refusal is its JSON error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile

from duban.attachments import actions
from duban.attachments.downloads import attachment_response, visible_attachment
from duban.attachments.models import Attachment
from duban.attachments.uploads import oversized_uploads
from duban.attachments.validation import missing_file
from duban.items.errors import InvalidInput

from . import present
from .errors import NotFound
from .items import READ_ERRORS, _user, _visible_item
from .schemas import ErrorOut, UnitRef, server_rule

router = Router(tags=["附件"])


class AttachmentOut(Schema):
    id: int
    item_id: int
    feedback_id: int | None
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    uploaded_by_id: int
    unit: UnitRef
    created_at: dt.datetime
    download_url: str


def attachment(row: Attachment) -> dict[str, Any]:
    return {
        "id": row.pk,
        "item_id": row.item_id,
        "feedback_id": row.feedback_id,
        "name": row.original_name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": present.name(row.uploaded_by),
        "uploaded_by_id": row.uploaded_by_id,
        "unit": present.unit_ref(row.unit),
        "created_at": present.local(row.created_at),
        "download_url": f"/api/v1/attachments/{row.pk}",
    }


def _rows(item_id: int) -> Any:
    return (
        Attachment.objects.filter(item_id=item_id)
        .select_related("uploaded_by", "unit")
        .order_by("created_at", "id")
    )


@router.get(
    "/items/{item_id}/attachments",
    response={200: list[AttachmentOut], **READ_ERRORS},
    summary="附件列表",
)
def list_attachments(request: HttpRequest, item_id: int) -> list[dict[str, Any]]:
    """The item's attachments, oldest first."""
    item = _visible_item(_user(request), item_id)
    return [attachment(row) for row in _rows(item.pk)]


@router.post(
    "/items/{item_id}/attachments",
    response={201: AttachmentOut, **READ_ERRORS, 403: ErrorOut, 409: ErrorOut},
    summary="上传附件",
    # The file is required (the signature lets it be missing only to refuse that in words).
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "文件",
                                **server_rule(
                                    "类型按内容判断：PDF、Word、Excel、PowerPoint、PNG/JPEG/GIF "
                                    "图片或 UTF-8 文本；不超过 ATTACHMENT_MAX_MB；涉密事项不收附件"
                                ),
                            },
                            "feedback": {
                                "type": "integer",
                                "minimum": 1,
                                "description": "本事项的一份报告的编号，附件即附于该报告",
                                **server_rule("须为本事项的报告编号"),
                            },
                        },
                    }
                }
            },
        }
    },
)
def upload_attachment(
    request: HttpRequest,
    item_id: int,
    # Typed without None so the document shows no null (a form field cannot be null);
    # missing, they are None and refused in words.
    file: File[UploadedFile] = None,  # type: ignore[assignment]
    feedback: Form[int] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    """上传附件 (multipart/form-data, field `file`; `feedback`: the id of one of the
    item's reports, to attach the file to that report). Allowed: PDF, Word, Excel,
    PowerPoint, PNG/JPEG/GIF images and UTF-8 text, judged by the file's content, up to
    ATTACHMENT_MAX_MB (20 MB by default). Classified items take no attachments (R-C3)."""
    user = _user(request)
    item = _visible_item(user, item_id)
    report = None
    if feedback is not None:
        report = item.feedback.filter(pk=feedback).first()
        if report is None:
            raise InvalidInput(
                _("该报告不属于本事项。"),
                errors={"feedback": _("本事项没有编号为%(id)d的报告。") % {"id": feedback}},
            )
    if file is None:
        actions.check_may_attach(user, item)
        raise missing_file(oversized_uploads(request))
    row = actions.attach_file(user, item, file, feedback=report)
    return Status(201, attachment(_rows(item.pk).get(pk=row.pk)))


@router.get(
    "/attachments/{attachment_id}",
    response={200: None, **READ_ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "文件内容（Content-Disposition: attachment）",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
    summary="下载附件",
)
def download_attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """The file itself, as a download, with the type its content was recognised as."""
    user = _user(request)
    row = visible_attachment(user, attachment_id)
    if row is None:
        raise NotFound(_("附件不存在。"))
    actions.record_download(user, row, "接口")
    return attachment_response(row)
