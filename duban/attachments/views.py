"""The pages' part: upload on the item page, and the download every link points to.

A download is served only through the visibility rule: an attachment of an item the
person may not see answers exactly like one that does not exist (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from duban.items.errors import ActionError, InvalidInput
from duban.web.item_views import item_page, visible_item
from duban.web.views import current_user

from . import actions
from .downloads import attachment_response, visible_attachment
from .uploads import oversized_uploads
from .validation import missing_file


@require_safe
@login_required
def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    attachment = visible_attachment(user, pk)
    if attachment is None:
        raise Http404(_("附件不存在。"))
    actions.record_download(user, attachment, "页面")
    return attachment_response(attachment)


@require_POST
@login_required
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """POST /items/<pk>/attachments/ (multipart, field `file`)."""
    item = visible_item(request, pk)
    user = current_user(request)
    uploaded = request.FILES.get("file")
    try:
        if uploaded is None:
            actions.check_may_attach(user, item)
            raise missing_file(oversized_uploads(request))
        attachment = actions.attach_file(user, item, uploaded)
    except InvalidInput as error:
        # Nothing was stored; what is wrong with the file is said at the file picker (a
        # browser cannot keep the chosen file: the page names it instead).
        return item_page(
            request,
            visible_item(request, pk),
            status=error.status,
            extra={
                "upload_error": error.message,
                "upload_name": uploaded.name if uploaded is not None else "",
            },
        )
    except ActionError as error:
        # Not this person's, or not in this state: the page says so above the item.
        return item_page(
            request, visible_item(request, pk), error_message=error.message, status=error.status
        )
    messages.success(request, _("已上传附件“%(name)s”。") % {"name": attachment.original_name})
    return redirect(reverse("item-detail", kwargs={"pk": item.pk}) + "#attachments")
