"""An upload handler that stops reading a file once it passes ATTACHMENT_MAX_MB.

Without it Django would spool a file of any size to a temporary file before a view
could refuse it. This handler goes first in FILE_UPLOAD_HANDLERS: when a file grows
past the limit it is skipped (the rest of its bytes are read and dropped, never
stored) and its name is noted on the request, so the view or the API endpoint can
answer "附件“x”超过20MB的大小限制" rather than "no file" (validation.missing_file).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from .validation import max_bytes

OVERSIZED_ATTRIBUTE = "_duban_oversized_uploads"


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.limit = max_bytes()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            if self.request is not None:
                names = getattr(self.request, OVERSIZED_ATTRIBUTE, [])
                names.append(self.file_name or "")
                setattr(self.request, OVERSIZED_ATTRIBUTE, names)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) keeps the file


def oversized_uploads(request: Any) -> list[str]:
    """The names of the files this request's upload dropped as too large."""
    return list(getattr(request, OVERSIZED_ATTRIBUTE, []))
