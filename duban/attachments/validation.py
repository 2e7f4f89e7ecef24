"""What may be uploaded: one module, one function (`check_upload`).

A file is judged by its own bytes (magic numbers and, for OLE2 containers, their
streams), never by the name or the Content-Type the client sends, against an
allowlist: PDF, Word/Excel/PowerPoint (Office Open XML and the legacy OLE2 formats),
WPS Office's .wps/.et/.dps (OLE2 or Office Open XML), PNG/JPEG/GIF images and UTF-8
plain text. The extension must agree with what the bytes say. Everything else is refused —
executables, HTML and SVG (they can carry scripts), archives other than Office
documents, empty files, files over ATTACHMENT_MAX_MB — with an `InvalidInput` whose
Chinese message names the file and the reason.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import olefile
from django.conf import settings
from django.utils.translation import gettext as _

from duban.items.errors import InvalidInput

FIELD = "file"
NAME_LIMIT = 200  # characters of the original name kept (and shown)

# An Office document has a few hundred parts at most; a ZIP claiming more is refused
# before Python's zipfile reads its directory into memory.
MAX_ZIP_ENTRIES = 5000
# How far from the end of a ZIP its end-of-central-directory record may start
# (22 bytes of record and a comment of up to 65,535).
EOCD_SEARCH = 22 + 65_535
HEAD_BYTES = 1024


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # what the file is, in a message: "PDF文件"
    content_type: str
    extensions: tuple[str, ...]


PDF = Kind("pdf", "PDF文件", "application/pdf", ("pdf",))
PNG = Kind("png", "PNG图片", "image/png", ("png",))
JPEG = Kind("jpeg", "JPEG图片", "image/jpeg", ("jpg", "jpeg"))
GIF = Kind("gif", "GIF图片", "image/gif", ("gif",))
DOCX = Kind(
    "docx",
    "Word文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
XLSX = Kind(
    "xlsx",
    "Excel表格",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
)
PPTX = Kind(
    "pptx",
    "PowerPoint演示文稿",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ("pptx",),
)
DOC = Kind("doc", "Word文档（97-2003）", "application/msword", ("doc",))
XLS = Kind("xls", "Excel表格（97-2003）", "application/vnd.ms-excel", ("xls",))
PPT = Kind("ppt", "PowerPoint演示文稿（97-2003）", "application/vnd.ms-powerpoint", ("ppt",))
# WPS Office's own formats: its binary files are OLE2 containers holding the streams of
# the Office format they follow; newer ones are Office Open XML under WPS's extension.
WPS = Kind("wps", "WPS文字文档", "application/kswps", ("wps",))
ET = Kind("et", "WPS表格", "application/kset", ("et",))
DPS = Kind("dps", "WPS演示文稿", "application/ksdps", ("dps",))
TEXT = Kind("text", "文本文件", "text/plain", ("txt",))
# An OLE2 file under another kind's extension: named only in the refusal.
OLE2_OTHER = Kind("ole2", "Office 97-2003文档", "application/x-ole-storage", ())

ALLOWED: tuple[Kind, ...] = (
    PDF,
    PNG,
    JPEG,
    GIF,
    DOCX,
    XLSX,
    PPTX,
    DOC,
    XLS,
    PPT,
    WPS,
    ET,
    DPS,
    TEXT,
)
KIND_OF_EXTENSION: dict[str, Kind] = {ext: kind for kind in ALLOWED for ext in kind.extensions}
# The binary formats share one container (OLE2); the streams at its top level say which
# document it holds (any one of the names, compared in lower case).
OLE2_STREAMS: dict[Kind, frozenset[str]] = {
    DOC: frozenset({"worddocument"}),
    WPS: frozenset({"worddocument"}),
    XLS: frozenset({"workbook", "book"}),
    ET: frozenset({"workbook", "book", "etworkbook"}),
    PPT: frozenset({"powerpoint document"}),
    DPS: frozenset({"powerpoint document"}),
}
OLE2_KINDS = tuple(OLE2_STREAMS)
OOXML_FOLDERS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
# WPS Office saves these as Office Open XML under its own extensions too.
WPS_OOXML = {WPS: DOCX, ET: XLSX, DPS: PPTX}
ACCEPT = ",".join(f".{ext}" for ext in KIND_OF_EXTENSION)  # for <input type="file" accept>

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OTHER_ARCHIVES = (
    b"Rar!\x1a\x07",  # RAR
    b"7z\xbc\xaf\x27\x1c",  # 7-Zip
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
)
EXECUTABLES = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
# Markup a browser would render as a page or an image with scripts (WHATWG MIME
# sniffing looks at the same leading tags).
MARKUP = re.compile(
    rb"^\s*<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml|!--)", re.IGNORECASE
)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed: its cleaned name and what its bytes are."""

    original_name: str
    kind: Kind
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return self.kind.content_type


# ----------------------------------------------------------------------------- messages


def _not_allowed(name: str) -> InvalidInput:
    message = _(
        "附件“%(name)s”的类型不被允许（仅限PDF、Word、Excel、PowerPoint、WPS、图片和文本文件）。"
    ) % {"name": name}
    return InvalidInput(message, errors={FIELD: message})


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, errors={FIELD: message})


def too_large(name: str) -> InvalidInput:
    return _refused(
        _("附件“%(name)s”超过%(limit)dMB的大小限制。")
        % {"name": name, "limit": settings.ATTACHMENT_MAX_MB}
    )


def missing_file(oversized: list[str] | None = None) -> InvalidInput:
    """No file arrived: none was chosen, or the upload handler dropped it as too large
    (duban.attachments.uploads)."""
    if oversized:
        return too_large(clean_name(oversized[0]))
    return _refused(_("请选择要上传的文件。"))


# ----------------------------------------------------------------------------- names


def clean_name(raw: str | None) -> str:
    """The name to show and to offer on download: the last path part, without control
    characters, at most NAME_LIMIT characters (the extension kept). It is never used
    as a path."""
    name = (raw or "").replace("\\", "/").split("/")[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.strip().strip(".").strip()
    if len(name) > NAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: NAME_LIMIT - len(extension) - 1] + "." + extension
        else:
            name = name[:NAME_LIMIT]
    return name or _("未命名文件")


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


# ----------------------------------------------------------------------------- sniffing


def _read_head(file: IO[bytes]) -> bytes:
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return head


def _zip_entry_count(file: IO[bytes], size: int) -> int | None:
    """The entry count of a ZIP's end-of-central-directory record, or None if there is
    no such record (not a ZIP) or it defers to ZIP64 (no Office document needs it)."""
    start = max(0, size - EOCD_SEARCH)
    file.seek(start)
    tail = file.read()
    file.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    (total,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return None if total == 0xFFFF else int(total)


def _ooxml_kind(file: IO[bytes], size: int, name: str) -> Kind:
    """The Office Open XML document a ZIP is, judged by its part names only: nothing is
    extracted, and only the central directory is read."""
    count = _zip_entry_count(file, size)
    if count is None or count > MAX_ZIP_ENTRIES:
        raise _not_allowed(name)
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _refused(_("附件“%(name)s”已损坏，无法识别为Office文档。") % {"name": name}) from None
    finally:
        file.seek(0)
    if "[Content_Types].xml" not in names:
        raise _not_allowed(name)  # a plain ZIP archive
    kinds = {
        kind for folder, kind in OOXML_FOLDERS.items() if any(n.startswith(folder) for n in names)
    }
    if len(kinds) != 1:
        raise _not_allowed(name)
    if any(n.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for n in names):
        raise _refused(_("附件“%(name)s”含有宏代码，不允许上传。") % {"name": name})
    return kinds.pop()


def _ole2_streams(file: IO[bytes]) -> frozenset[str]:
    """The names of the streams at the top level of an OLE2 file, in lower case; empty
    for a damaged one. Only the directory is read."""
    file.seek(0)
    try:
        with olefile.OleFileIO(file) as container:
            paths = container.listdir(streams=True, storages=False)
    except Exception:  # olefile raises many kinds on damaged input
        return frozenset()
    finally:
        file.seek(0)
    return frozenset(path[0].lower() for path in paths if len(path) == 1)


def _is_utf8_text(file: IO[bytes]) -> bool:
    """Valid UTF-8 (a BOM allowed) without NUL bytes, read a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    try:
        while chunk := file.read(64 * 1024):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def _sniff(file: IO[bytes], size: int, name: str, claimed: Kind) -> Kind | None:
    """What the bytes are, among the allowed kinds; None for anything else. Raises for
    what is refused outright (executables, markup, other archives, macros)."""
    head = _read_head(file)
    if (head.startswith(b"MZ") and b"\x00" in head[:64]) or head.startswith(EXECUTABLES):
        raise _refused(_("附件“%(name)s”是可执行程序，不允许上传。") % {"name": name})
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(OLE2_MAGIC):
        if claimed not in OLE2_KINDS:
            return OLE2_OTHER
        return claimed if OLE2_STREAMS[claimed] & _ole2_streams(file) else None
    if head.startswith(ZIP_MAGICS):
        kind = _ooxml_kind(file, size, name)
        return claimed if WPS_OOXML.get(claimed) is kind else kind
    if head.startswith(OTHER_ARCHIVES):
        raise _not_allowed(name)
    if MARKUP.match(head.removeprefix(codecs.BOM_UTF8)):
        raise _refused(
            _("附件“%(name)s”的内容是网页或SVG图形，可能含有脚本，不允许上传。") % {"name": name}
        )
    if _is_utf8_text(file):
        return TEXT
    return None


# ----------------------------------------------------------------------------- the check


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_MB) * 1024 * 1024


def _size_and_sha256(upload: Any) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        digest.update(chunk)
    upload.seek(0)
    return size, digest.hexdigest()


def check_upload(upload: Any) -> CheckedUpload:
    """Accept `upload` (a Django UploadedFile, or any File) or raise InvalidInput."""
    if upload is None:
        raise missing_file()
    name = clean_name(getattr(upload, "name", None))
    size, sha256 = _size_and_sha256(upload)
    if size == 0:
        raise _refused(_("附件“%(name)s”是空文件。") % {"name": name})
    if size > max_bytes():
        raise too_large(name)
    claimed = KIND_OF_EXTENSION.get(extension_of(name))
    if claimed is None:
        raise _not_allowed(name)
    actual = _sniff(upload, size, name, claimed)
    if actual is None:
        raise _refused(
            _("附件“%(name)s”的内容不是有效的%(kind)s。") % {"name": name, "kind": claimed.label}
            if claimed is not TEXT
            else _("附件“%(name)s”不是UTF-8编码的纯文本文件，请另存为UTF-8编码后再上传。")
            % {"name": name}
        )
    if actual is not claimed:
        raise _refused(
            _("附件“%(name)s”的扩展名与内容不符（内容是%(kind)s），请改正后再上传。")
            % {"name": name, "kind": actual.label}
        )
    return CheckedUpload(original_name=name, kind=actual, size=size, sha256=sha256)
