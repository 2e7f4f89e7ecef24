"""Attachments (附件): what may be uploaded, by whom, and where it is kept.

The web surface of issue 4: uploads limited in size, checked by their content,
stored outside the web root under random names; classified items take none (R-C3);
nothing is ever edited or deleted (R-F7). Every refusal asserts that nothing was
stored: no row, no file in ATTACHMENT_ROOT, no audit event.
Pages and API: test_attachments_web.py.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.attachments import actions as attachment_actions
from duban.attachments.models import Attachment
from duban.attachments.validation import check_upload, clean_name
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.items.models import Item
from duban.items.states import Status
from duban.organisation.models import Role, Unit, UnitKind, User
from tests.conftest import Org, advance, establish, make_person, meeting_input
from tests.ole2 import PRESENTATION, WORD_DOCUMENT, WORKBOOK, compound_file

pytestmark = pytest.mark.django_db

ALLOWED_TYPES = "（仅限PDF、Word、Excel、PowerPoint、WPS、图片和文本文件）"


# ----------------------------------------------------------------------------- real files


def pdf_bytes(text: str = "Duban") -> bytes:
    """A minimal, well-formed one-page PDF (with a correct cross-reference table)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes() -> bytes:
    """A real 1×1 white PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


# A 1×1 GIF89a and the start of a JFIF JPEG (the checks read the leading bytes).
GIF_BYTES = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
OLE2_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/>'
    "</Types>"
)
OOXML_PARTS = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>督办材料</w:t></w:r></w:p></w:body></w:document>",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
    ),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>',
    ),
}


def ooxml_bytes(kind: str = "docx", extra: dict[str, bytes] | None = None) -> bytes:
    """A real Office Open XML package: [Content_Types].xml, the relationships and the
    main part (word/document.xml for a .docx). The same bytes on every call: each entry
    has a fixed date (a zip stores its entries' times, to two seconds)."""
    part, content_type, body = OOXML_PARTS[kind]
    buffer = io.BytesIO()

    def entry(name: str) -> zipfile.ZipInfo:
        return zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))

    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            entry("[Content_Types].xml"),
            CONTENT_TYPES_XML.format(part=part, content_type=content_type),
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            entry("_rels/.rels"),
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/officeDocument" Target="{part}"/></Relationships>',
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr(entry(part), body, zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            archive.writestr(entry(name), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
        archive.writestr("word/readme.txt", "not an office document")
    return buffer.getvalue()


TEXT_BYTES = "关于培养方案修订的进展说明\n第一阶段已完成。\n".encode()
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
)
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

ACCEPTED = [
    ("纪要.pdf", pdf_bytes, "application/pdf"),
    ("照片.png", png_bytes, "image/png"),
    ("照片.jpg", lambda: JPEG_BYTES, "image/jpeg"),
    ("照片.JPEG", lambda: JPEG_BYTES, "image/jpeg"),
    ("动图.gif", lambda: GIF_BYTES, "image/gif"),
    (
        "方案.docx",
        lambda: ooxml_bytes("docx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "台账.xlsx",
        lambda: ooxml_bytes("xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "汇报.pptx",
        lambda: ooxml_bytes("pptx"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("旧版.doc", lambda: compound_file(WORD_DOCUMENT), "application/msword"),
    ("旧版.xls", lambda: compound_file(WORKBOOK), "application/vnd.ms-excel"),
    ("旧版.ppt", lambda: compound_file(PRESENTATION), "application/vnd.ms-powerpoint"),
    # WPS Office (issue 11): its binary formats, and its Office Open XML ones.
    ("通知.wps", lambda: compound_file(WORD_DOCUMENT), "application/kswps"),
    ("台账.et", lambda: compound_file(WORKBOOK), "application/kset"),
    ("汇报.dps", lambda: compound_file(PRESENTATION), "application/ksdps"),
    ("通知（新版）.wps", lambda: ooxml_bytes("docx"), "application/kswps"),
    ("台账（新版）.et", lambda: ooxml_bytes("xlsx"), "application/kset"),
    ("汇报（新版）.dps", lambda: ooxml_bytes("pptx"), "application/ksdps"),
    ("说明.txt", lambda: TEXT_BYTES, "text/plain"),
    ("说明（BOM）.txt", lambda: b"\xef\xbb\xbf" + TEXT_BYTES, "text/plain"),
]


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def attachment_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "attachments"
    settings.ATTACHMENT_ROOT = root
    settings.ATTACHMENT_MAX_MB = 20
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def stored(root: Path) -> dict[str, Any]:
    """Everything an upload could leave behind."""
    return {
        "attachments": Attachment.objects.count(),
        "files": stored_files(root),
        "events": AuditEvent.objects.count(),
    }


@pytest.fixture
def secrecy_supervisor(org: Org) -> User:
    secrecy = Unit.objects.create(code="0160", name="保密办公室", kind=UnitKind.SECRECY_OFFICE)
    return make_person("baomi", Role.OFFICE_SUPERVISOR, secrecy, "保密督办员")


# ----------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(("name", "build", "content_type"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_each_allowed_type_is_accepted(
    org: Org, item: Item, attachment_root: Path, name: str, build: Any, content_type: str
) -> None:
    data = build()
    events = AuditEvent.objects.count()
    # The client's Content-Type is ignored: the stored type is what the bytes are.
    attachment = attachment_actions.attach_file(
        org.lead_liaison, item, upload(name, data, "text/html")
    )

    attachment.refresh_from_db()
    assert attachment.original_name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.uploaded_by == org.lead_liaison
    assert attachment.unit == org.lead_unit
    assert attachment.item == item
    assert attachment.feedback is None
    files = stored_files(attachment_root)
    assert len(files) == 1
    assert files[0].read_bytes() == data
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("sequence")
    assert event.verb == "attach"
    assert event.item == item
    assert event.actor == org.lead_liaison
    assert event.summary == f"上传附件：{name}"
    assert event.data["attachment"] == attachment.pk
    assert event.data["sha256"] == attachment.sha256


def test_a_pdf_with_a_lying_client_content_type_is_stored_as_pdf(org: Org, item: Item) -> None:
    attachment = attachment_actions.attach_file(
        org.office_supervisor, item, upload("纪要.pdf", pdf_bytes(), "application/x-msdownload")
    )
    assert attachment.content_type == "application/pdf"
    assert attachment.unit == org.office  # the office supervisor attaches for the office


@pytest.mark.parametrize(
    ("persona", "unit"),
    [
        ("office_supervisor", "office"),
        ("lead_liaison", "lead_unit"),
        ("lead_head", "lead_unit"),
        ("cooperating_liaison", "cooperating_unit"),
        ("cooperating_head", "cooperating_unit"),
    ],
)
def test_who_may_attach(org: Org, item: Item, persona: str, unit: str) -> None:
    attachment = attachment_actions.attach_file(
        getattr(org, persona), item, upload("说明.txt", TEXT_BYTES)
    )
    assert attachment.unit == getattr(org, unit)


@pytest.mark.parametrize(
    "status", [Status.ESTABLISHED, Status.ASSIGNED, Status.IN_PROGRESS, Status.SUBMITTED]
)
def test_an_active_item_takes_attachments_in_every_status(
    org: Org, item: Item, status: str
) -> None:
    advance(org, item, status)
    attachment_actions.attach_file(org.office_supervisor, item, upload("纪要.pdf", pdf_bytes()))
    assert Attachment.objects.filter(item=item).count() == 1


# ----------------------------------------------------------------------------- refused files

REFUSED_FILES = [
    # WPS and Office binary files are judged by their streams (issue 11).
    (
        "通知.wps",
        png_bytes(),
        "附件“通知.wps”的扩展名与内容不符（内容是PNG图片），请改正后再上传。",
    ),
    ("通知.wps", compound_file(WORKBOOK), "附件“通知.wps”的内容不是有效的WPS文字文档。"),
    ("台账.et", compound_file(WORD_DOCUMENT), "附件“台账.et”的内容不是有效的WPS表格。"),
    ("汇报.dps", OLE2_BYTES, "附件“汇报.dps”的内容不是有效的WPS演示文稿。"),
    ("旧版.doc", OLE2_BYTES, "附件“旧版.doc”的内容不是有效的Word文档（97-2003）。"),
    (
        "台账.et",
        ooxml_bytes("docx"),
        "附件“台账.et”的扩展名与内容不符（内容是Word文档），请改正后再上传。",
    ),
    ("台账.et", plain_zip_bytes(), "附件“台账.et”的类型不被允许" + ALLOWED_TYPES + "。"),
    ("setup.exe", EXE_BYTES, "附件“setup.exe”的类型不被允许" + ALLOWED_TYPES + "。"),
    # An executable under an allowed name is refused for what it is.
    ("setup.pdf", EXE_BYTES, "附件“setup.pdf”是可执行程序，不允许上传。"),
    (
        "纪要.docx",
        pdf_bytes(),
        "附件“纪要.docx”的扩展名与内容不符（内容是PDF文件），请改正后再上传。",
    ),
    (
        "照片.png",
        JPEG_BYTES,
        "附件“照片.png”的扩展名与内容不符（内容是JPEG图片），请改正后再上传。",
    ),
    (
        "台账.docx",
        ooxml_bytes("xlsx"),
        "附件“台账.docx”的扩展名与内容不符（内容是Excel表格），请改正后再上传。",
    ),
    ("page.html", HTML_BYTES, "附件“page.html”的类型不被允许" + ALLOWED_TYPES + "。"),
    ("page.htm", HTML_BYTES, "附件“page.htm”的类型不被允许" + ALLOWED_TYPES + "。"),
    ("image.svg", SVG_BYTES, "附件“image.svg”的类型不被允许" + ALLOWED_TYPES + "。"),
    # Markup under a text or image name: a browser could still run its script.
    (
        "page.txt",
        HTML_BYTES,
        "附件“page.txt”的内容是网页或SVG图形，可能含有脚本，不允许上传。",
    ),
    (
        "image.png",
        SVG_BYTES,
        "附件“image.png”的内容是网页或SVG图形，可能含有脚本，不允许上传。",
    ),
    ("data.zip", plain_zip_bytes(), "附件“data.zip”的类型不被允许" + ALLOWED_TYPES + "。"),
    (
        "伪装.docx",
        plain_zip_bytes(),
        "附件“伪装.docx”的类型不被允许" + ALLOWED_TYPES + "。",
    ),
    (
        "宏.docx",
        ooxml_bytes("docx", {"word/vbaProject.bin": b"\x00macro"}),
        "附件“宏.docx”含有宏代码，不允许上传。",
    ),
    (
        "损坏.docx",
        b"PK\x03\x04" + b"\x00" * 100,
        "附件“损坏.docx”的类型不被允许" + ALLOWED_TYPES + "。",
    ),
    (
        "归档.7z",
        b"7z\xbc\xaf\x27\x1c" + b"\x00" * 30,
        "附件“归档.7z”的类型不被允许" + ALLOWED_TYPES + "。",
    ),
    (
        "归档.pdf",
        b"Rar!\x1a\x07\x00" + b"\x00" * 30,
        "附件“归档.pdf”的类型不被允许" + ALLOWED_TYPES + "。",
    ),
    ("空.pdf", b"", "附件“空.pdf”是空文件。"),
    ("无扩展名", TEXT_BYTES, "附件“无扩展名”的类型不被允许" + ALLOWED_TYPES + "。"),
    (
        "文字.pdf",
        b"just some text, not a PDF",
        "附件“文字.pdf”的扩展名与内容不符（内容是文本文件），请改正后再上传。",
    ),
    ("假的.pdf", b"\x01\x02\xff\xfe binary junk", "附件“假的.pdf”的内容不是有效的PDF文件。"),
    (
        "gbk.txt",
        "中文说明".encode("gbk"),
        "附件“gbk.txt”不是UTF-8编码的纯文本文件，请另存为UTF-8编码后再上传。",
    ),
    (
        "nul.txt",
        b"text\x00with a NUL",
        "附件“nul.txt”不是UTF-8编码的纯文本文件，请另存为UTF-8编码后再上传。",
    ),
    (
        "旧版.pdf",
        OLE2_BYTES,
        "附件“旧版.pdf”的扩展名与内容不符（内容是Office 97-2003文档），请改正后再上传。",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "message"), REFUSED_FILES, ids=[r[0] for r in REFUSED_FILES]
)
def test_refused_files_store_nothing(
    org: Org, item: Item, attachment_root: Path, name: str, data: bytes, message: str
) -> None:
    before = stored(attachment_root)
    with pytest.raises(InvalidInput) as refused:
        attachment_actions.attach_file(org.lead_liaison, item, upload(name, data))
    assert refused.value.message == message
    assert refused.value.errors == {"file": message}
    assert stored(attachment_root) == before
    assert before["attachments"] == 0 and before["files"] == []


def test_a_file_over_the_size_limit_is_refused(
    org: Org, item: Item, attachment_root: Path, settings: Any
) -> None:
    settings.ATTACHMENT_MAX_MB = 1
    before = stored(attachment_root)
    big = b"a" * (1024 * 1024 + 1)
    with pytest.raises(InvalidInput) as refused:
        attachment_actions.attach_file(org.lead_liaison, item, upload("big.txt", big))
    assert refused.value.message == "附件“big.txt”超过1MB的大小限制。"
    assert stored(attachment_root) == before
    # Exactly at the limit is fine.
    attachment_actions.attach_file(org.lead_liaison, item, upload("edge.txt", big[:-1]))
    assert Attachment.objects.count() == 1


def test_the_default_limit_is_20_mb() -> None:
    from duban import settings as project_settings

    assert project_settings.ATTACHMENT_MAX_MB == 20


def test_a_zip_claiming_too_many_entries_is_refused_before_it_is_read(
    org: Org, item: Item, attachment_root: Path
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for number in range(5001):
            archive.writestr(f"word/media/{number}.xml", "")
    before = stored(attachment_root)
    with pytest.raises(InvalidInput, match="类型不被允许"):
        attachment_actions.attach_file(org.lead_liaison, item, upload("大.docx", buffer.getvalue()))
    assert stored(attachment_root) == before


# ----------------------------------------------------------------------------- refused people


def test_r_c3_a_classified_item_takes_no_attachment(
    org: Org, attachment_root: Path, secrecy_supervisor: User
) -> None:
    item = actions.establish_item(
        secrecy_supervisor,
        meeting_input(
            org, confidentiality="classified", cooperating_units=[], content="", basis="线下报送"
        ),
    )
    before = stored(attachment_root)
    for person in (secrecy_supervisor, org.lead_liaison, org.lead_head):
        with pytest.raises(PermissionRefused) as refused:
            attachment_actions.attach_file(person, item, upload("纪要.pdf", pdf_bytes()))
        assert refused.value.message == "涉密事项的材料不得上传本系统，请线下报送。"
    assert stored(attachment_root) == before


@pytest.mark.parametrize("status", [Status.COMPLETED])
def test_a_closed_item_takes_no_attachment(
    org: Org, item: Item, attachment_root: Path, status: str
) -> None:
    advance(org, item, status)
    before = stored(attachment_root)
    with pytest.raises(StateRefused) as refused:
        attachment_actions.attach_file(org.lead_liaison, item, upload("纪要.pdf", pdf_bytes()))
    assert refused.value.message == "事项当前状态为“已办结”，不能再上传附件。"
    assert stored(attachment_root) == before


def test_a_terminated_item_takes_no_attachment(org: Org, item: Item, attachment_root: Path) -> None:
    actions.terminate_item(
        org.office_supervisor,
        item,
        decision_kind="leader",
        leader=org.leader_in_charge,
        basis="王校长批示",
        reason="任务调整",
    )
    before = stored(attachment_root)
    with pytest.raises(StateRefused, match="已终止"):
        attachment_actions.attach_file(org.office_supervisor, item, upload("a.pdf", pdf_bytes()))
    assert stored(attachment_root) == before


def test_an_outsider_is_told_the_item_does_not_exist(
    org: Org, item: Item, attachment_root: Path
) -> None:
    before = stored(attachment_root)
    for person in (org.other_unit_liaison, org.system_admin):
        with pytest.raises(PermissionRefused) as refused:
            attachment_actions.attach_file(person, item, upload("纪要.pdf", pdf_bytes()))
        assert refused.value.message == "督办事项不存在。"
    assert stored(attachment_root) == before


def test_someone_who_sees_the_item_but_has_no_part_in_it_may_not_attach(
    org: Org, item: Item, attachment_root: Path
) -> None:
    before = stored(attachment_root)
    with pytest.raises(PermissionRefused) as refused:
        attachment_actions.attach_file(org.leader_in_charge, item, upload("a.pdf", pdf_bytes()))
    assert refused.value.message == (
        "只有本事项的督办员，以及承办单位、配合单位的联络员或第一责任人可以上传附件。"
    )
    assert stored(attachment_root) == before


def test_r_c4_a_recused_person_may_not_attach(org: Org, item: Item, attachment_root: Path) -> None:
    actions.declare_recusal(
        org.office_supervisor, item, person=org.lead_liaison, reason="本人近亲属参与该项目"
    )
    before = stored(attachment_root)
    with pytest.raises(PermissionRefused) as refused:
        attachment_actions.attach_file(org.lead_liaison, item, upload("a.pdf", pdf_bytes()))
    assert refused.value.message == "督办事项不存在。"
    assert stored(attachment_root) == before


def test_an_inactive_person_may_not_attach(org: Org, item: Item, attachment_root: Path) -> None:
    org.lead_liaison.is_active = False
    org.lead_liaison.save()
    before = stored(attachment_root)
    with pytest.raises(PermissionRefused, match="督办事项不存在"):
        attachment_actions.attach_file(org.lead_liaison, item, upload("a.pdf", pdf_bytes()))
    assert stored(attachment_root) == before


def test_people_are_checked_before_files(org: Org, item: Item, attachment_root: Path) -> None:
    # An outsider learns nothing about the file rules either.
    with pytest.raises(PermissionRefused, match="督办事项不存在"):
        attachment_actions.attach_file(org.other_unit_liaison, item, upload("x.exe", EXE_BYTES))


# ----------------------------------------------------------------------------- reports


def test_a_file_attached_to_a_report_of_ones_own_unit(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    feedback = actions.submit_feedback(org.lead_liaison, item, "第一阶段完成")
    attachment = attachment_actions.attach_file(
        org.lead_liaison, item, upload("证明.pdf", pdf_bytes()), feedback=feedback
    )
    assert attachment.feedback == feedback
    assert AuditEvent.objects.latest("sequence").data["feedback"] == feedback.pk


def test_a_report_of_another_unit_or_item_or_a_superseded_one_is_refused(
    org: Org, item: Item, attachment_root: Path
) -> None:
    advance(org, item, Status.IN_PROGRESS)
    contribution = actions.report_contribution(org.cooperating_liaison, item, "配合情况")
    first_draft = actions.draft_completion_report(org.lead_liaison, item, "初稿")
    actions.draft_completion_report(org.lead_liaison, item, "二稿")  # supersedes the first
    other_item = establish(org, title="另一事项")
    advance(org, other_item, Status.IN_PROGRESS)
    other_feedback = actions.submit_feedback(org.lead_liaison, other_item, "另一事项的进展")
    before = stored(attachment_root)

    with pytest.raises(PermissionRefused, match="只能为本单位报送的报告上传附件"):
        attachment_actions.attach_file(
            org.lead_liaison, item, upload("a.pdf", pdf_bytes()), feedback=contribution
        )
    with pytest.raises(StateRefused, match="该报告状态为“已被新稿替代”，不能再补充附件"):
        attachment_actions.attach_file(
            org.lead_liaison, item, upload("a.pdf", pdf_bytes()), feedback=first_draft
        )
    with pytest.raises(InvalidInput, match="该报告不属于本事项"):
        attachment_actions.attach_file(
            org.lead_liaison, item, upload("a.pdf", pdf_bytes()), feedback=other_feedback
        )
    assert stored(attachment_root) == before


# ----------------------------------------------------------------------------- storage


def test_the_file_lands_in_attachment_root_under_a_random_name(
    org: Org, item: Item, attachment_root: Path
) -> None:
    attachment = attachment_actions.attach_file(
        org.lead_liaison, item, upload("纪要.pdf", pdf_bytes())
    )
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", attachment.file.name)
    path = Path(attachment.file.path).resolve()
    assert path.is_relative_to(attachment_root.resolve())
    assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert "纪要" not in attachment.file.name and "pdf" not in attachment.file.name
    with pytest.raises(ValueError, match="no public URL"):
        attachment.file.url  # noqa: B018


def test_the_default_root_is_outside_every_served_directory() -> None:
    from duban import settings as project_settings

    root = Path(project_settings.ATTACHMENT_ROOT).resolve()
    assert root == (project_settings.BASE_DIR / "var" / "attachments").resolve()
    assert not root.is_relative_to(Path(project_settings.STATIC_ROOT).resolve())
    assert not root.is_relative_to((project_settings.BASE_DIR / "duban").resolve())


def test_a_path_in_the_file_name_is_never_a_path_on_disk(
    org: Org, item: Item, attachment_root: Path, tmp_path: Path
) -> None:
    evil = upload("passwd.txt", TEXT_BYTES)
    evil._name = "../../etc/passwd.txt"  # past UploadedFile's own clean-up
    attachment = attachment_actions.attach_file(org.lead_liaison, item, evil)

    assert attachment.original_name == "passwd.txt"
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{32}", attachment.file.name)
    files = stored_files(attachment_root)
    assert len(files) == 1 and files[0].name != "passwd.txt"
    assert not (tmp_path / "etc").exists()
    assert not list(tmp_path.rglob("passwd*"))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\win.ini.txt", "win.ini.txt"),
        ("C:\\Users\\张三\\桌面\\方案.docx", "方案.docx"),
        ("报告\x00\x1b[31m.pdf", "报告[31m.pdf"),
        ("  .hidden.txt  ", "hidden.txt"),
        ("..", "未命名文件"),
        ("", "未命名文件"),
        (None, "未命名文件"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_clean_name(raw: str | None, clean: str) -> None:
    assert clean_name(raw) == clean


def test_a_failed_transaction_leaves_no_orphan_file(
    org: Org, item: Item, attachment_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored(attachment_root)

    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(attachment_actions, "record", broken_audit)
    with pytest.raises(RuntimeError, match="audit write failed"):
        attachment_actions.attach_file(org.lead_liaison, item, upload("纪要.pdf", pdf_bytes()))
    assert stored(attachment_root) == before


def test_a_failed_row_write_leaves_no_orphan_file(
    org: Org, item: Item, attachment_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError

    before = stored(attachment_root)
    written: list[str] = []
    original_save = attachment_actions.storage.save

    def save_then_fail(content: Any) -> str:
        written.append(original_save(content))
        return written[-1]

    def failing_create(*args: Any, **kwargs: Any) -> None:
        assert stored_files(attachment_root), "the file was written first"
        raise IntegrityError("simulated")

    monkeypatch.setattr(attachment_actions.storage, "save", save_then_fail)
    monkeypatch.setattr(Attachment.objects, "create", failing_create)
    with pytest.raises(IntegrityError):
        attachment_actions.attach_file(org.lead_liaison, item, upload("纪要.pdf", pdf_bytes()))
    assert len(written) == 1
    assert stored(attachment_root) == before


def test_attach_file_refuses_to_run_inside_a_callers_transaction(
    org: Org, item: Item, attachment_root: Path
) -> None:
    """Durable: were it nested, the caller's rollback would leave its file behind."""
    from django.db import transaction

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        attachment_actions.attach_file(org.lead_liaison, item, upload("a.pdf", pdf_bytes()))
    assert stored_files(attachment_root) == []


def test_check_upload_reads_from_the_start_whatever_the_position() -> None:
    file = upload("纪要.pdf", pdf_bytes())
    file.seek(7)
    assert check_upload(file).content_type == "application/pdf"
    assert file.tell() == 0


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ATTACHMENT_MAX_MB": "0"}, "ATTACHMENT_MAX_MB must be at least 1"),
        ({"ATTACHMENT_MAX_MB": "20MB"}, "ATTACHMENT_MAX_MB must be a whole number"),
        ({"ATTACHMENT_ROOT": "var/static/uploads"}, "ATTACHMENT_ROOT must not be inside"),
    ],
)
def test_bad_attachment_settings_fail_loudly(env: dict[str, str], message: str) -> None:
    from tests.test_settings import run_manage

    result = run_manage("check", DEBUG="1", **env)
    assert result.returncode != 0
    assert message in result.stderr
