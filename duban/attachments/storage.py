"""Where attachments are kept: ATTACHMENT_ROOT, a directory no URL serves.

Stored names are random (`new_name`): nothing the client sends — its file name, its
path, its Content-Type — ever becomes part of a path on disk. The storage has no
URL either; a file leaves only through the download views, after the visibility
rule (duban.attachments.views).
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage

logger = logging.getLogger("duban.attachments")


class AttachmentStorage(FileSystemStorage):
    """A FileSystemStorage rooted at settings.ATTACHMENT_ROOT (read on each use, so a
    test's `settings.ATTACHMENT_ROOT = tmp_path` takes effect), without URLs."""

    @property
    def base_location(self) -> str:
        return str(settings.ATTACHMENT_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("attachments have no public URL; they are served by their views")


_storage = AttachmentStorage()


def attachment_storage() -> AttachmentStorage:
    """The storage of Attachment.file (a callable, so migrations name no settings)."""
    return _storage


def new_name() -> str:
    """A random stored name, spread over 256 directories: "3f/3fa85f64…"."""
    token = uuid.uuid4().hex
    return f"{token[:2]}/{token}"


def save(content: Any) -> str:
    """Write `content` (an open file, read from its start) under a new random name.
    A disk that cannot take it (full, read-only) is refused with StorageFull, and
    whatever part of the file was written is removed."""
    from django.utils.translation import gettext as _

    from duban.items.errors import StorageFull

    content.seek(0)
    name = new_name()
    try:
        return str(_storage.save(name, content))
    except OSError as error:
        with contextlib.suppress(OSError):
            _storage.delete(name)
        logger.error("attachment not stored (%s): %s", type(error).__name__, error)
        raise StorageFull(
            _("附件存储空间不足或无法写入，文件没有保存。请稍后再试，或联系系统管理员。")
        ) from error


def remove(name: str) -> None:
    """Remove a stored file (used only to undo a write whose transaction failed)."""
    _storage.delete(name)
