"""Serving a file: found through the visibility rule, sent as a download that no
browser renders or sniffs. Used by the page (views.download) and the API."""

from __future__ import annotations

import logging
from typing import Any

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from .models import Attachment

logger = logging.getLogger(__name__)


def visible_attachment(user: Any, pk: int) -> Attachment | None:
    """The attachment, if its item is one `user` may see; None otherwise, exactly as
    if it did not exist (R-C5)."""
    return Attachment.objects.visible_to(user).select_related("item").filter(pk=pk).first()


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download: the sniffed type, the original name (RFC 5987-encoded by
    Django), nosniff, and a sandbox policy in case a browser opens it anyway."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        logger.error("attachment %s: stored file %s is missing", attachment.pk, attachment.file)
        raise Http404(_("附件文件缺失，请联系系统管理员。")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.served_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response
