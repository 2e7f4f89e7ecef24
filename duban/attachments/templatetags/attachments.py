"""`{% attachments_section %}`: the item page's 附件 section (one query).

The item page (duban/web/templates/web/item_detail.html) includes it; it lists the
item's attachments and, to those who may attach, the upload form. The page has
already found the item through the visibility rule, so the form's offer needs no
further query (the action checks everything again).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from duban.items.models import Confidentiality

from ..actions import CLASSIFIED_REFUSAL, accepts_attachments, is_attacher
from ..models import Attachment
from ..validation import ACCEPT

register = template.Library()


@register.inclusion_tag("attachments/_section.html", takes_context=True)
def attachments_section(context: template.Context) -> dict[str, Any]:
    item = context["item"]
    user = context["request"].user
    attachments = list(
        Attachment.objects.filter(item=item)
        .select_related("uploaded_by", "unit", "feedback")
        .order_by("created_at", "id")
    )
    classified = item.confidentiality == Confidentiality.CLASSIFIED
    return {
        "item": item,
        "attachments": attachments,
        "classified": classified,
        "classified_refusal": CLASSIFIED_REFUSAL,
        "may_attach": not classified and accepts_attachments(item) and is_attacher(user, item),
        "accept": ACCEPT,
        "max_mb": settings.ATTACHMENT_MAX_MB,
        # A refused upload's reason, shown at the picker (duban.attachments.views.upload).
        "upload_error": context.get("upload_error", ""),
        "upload_name": context.get("upload_name", ""),
    }
