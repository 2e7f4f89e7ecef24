"""Attachments on the pages and over the API: upload, list, download.

Downloads go only through the visibility rule (R-C5): an attachment of a hidden item
answers exactly like a missing one (404), in pages and API. No URL serves
ATTACHMENT_ROOT directly. Every refused upload shows its Chinese message and stores
nothing. The rules of what may be uploaded: test_attachments.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from duban.api.tokens import issue_token
from duban.attachments import actions as attachment_actions
from duban.attachments.models import Attachment
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Item
from duban.items.states import Status
from duban.organisation.models import Role, Unit, UnitKind, User
from tests.conftest import Org, advance, establish, make_person, meeting_input
from tests.test_attachments import (
    ALLOWED_TYPES,
    EXE_BYTES,
    TEXT_BYTES,
    ooxml_bytes,
    pdf_bytes,
    stored,
    stored_files,
)
from tests.test_pages_item import ITEM_PAGE_QUERIES, without_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def attachment_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "attachments"
    settings.ATTACHMENT_ROOT = root
    settings.ATTACHMENT_MAX_MB = 20
    settings.OTP_REQUIRED = False
    return root


@pytest.fixture
def secrecy_supervisor(org: Org) -> User:
    secrecy = Unit.objects.create(code="0160", name="保密办公室", kind=UnitKind.SECRECY_OFFICE)
    return make_person("baomi", Role.OFFICE_SUPERVISOR, secrecy, "保密督办员")


def a_file(name: str = "纪要.pdf", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data, "application/pdf")


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def upload_url(item: Item) -> str:
    return reverse("item-attachments", kwargs={"pk": item.pk})


def download_url(pk: int) -> str:
    return reverse("attachment-download", kwargs={"pk": pk})


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def attach(org: Org, item: Item, name: str = "纪要.pdf", data: bytes | None = None) -> Attachment:
    return attachment_actions.attach_file(org.lead_liaison, item, a_file(name, data))


def missing_id() -> int:
    return (Attachment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def page_state(item: Item, root: Path) -> dict[str, Any]:
    """The item, its events, and everything an upload could leave behind (signing in
    writes audit events of its own, so only the item's events are counted)."""
    fresh = Item.objects.get(pk=item.pk)
    return {
        "item": {field.attname: getattr(fresh, field.attname) for field in Item._meta.fields},
        "item_events": AuditEvent.objects.filter(item=item).count(),
        "attachments": Attachment.objects.count(),
        "files": stored_files(root),
    }


# ----------------------------------------------------------------------------- upload (pages)


def test_upload_on_the_item_page(client: Client, org: Org, item: Item, attachment_root: Path):
    signed_in(client, org.lead_liaison)
    response = client.post(upload_url(item), {"file": a_file("会议纪要.pdf")})

    assert response.status_code == 302
    assert response["Location"] == reverse("item-detail", kwargs={"pk": item.pk}) + "#attachments"
    attachment = Attachment.objects.get()
    assert attachment.original_name == "会议纪要.pdf"
    assert attachment.content_type == "application/pdf"
    assert len(stored_files(attachment_root)) == 1
    page = html(client.get(response["Location"]))
    assert "已上传附件“会议纪要.pdf”。" in page
    row = re.search(rf'<tr data-attachment="{attachment.pk}">(.*?)</tr>', page, re.S)
    assert row is not None
    assert f'href="{download_url(attachment.pk)}"' in row.group(1)
    for shown in ("会议纪要.pdf", "周联络", "教务处", attachment.created_at.strftime("%Y-")):
        assert shown in row.group(1)


def test_the_item_page_lists_attachments_escaped(client: Client, org: Org, item: Item):
    attach(org, item, "<img src=x onerror=alert(1)>.txt", TEXT_BYTES)
    page = html(signed_in(client, org.office_supervisor).get(f"/items/{item.pk}/"))
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in page
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", EXE_BYTES, "附件“setup.exe”的类型不被允许" + ALLOWED_TYPES + "。"),
        (
            "纪要.docx",
            pdf_bytes(),
            "附件“纪要.docx”的扩展名与内容不符（内容是PDF文件），请改正后再上传。",
        ),
        ("空.txt", b"", "附件“空.txt”是空文件。"),
    ],
)
def test_a_refused_upload_shows_why_on_the_item_page(
    client: Client, org: Org, item: Item, attachment_root: Path, name: str, data: bytes, message
):
    before = page_state(item, attachment_root)
    response = signed_in(client, org.lead_liaison).post(
        upload_url(item), {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 400
    page = html(response)
    # At the file picker, naming the file that was not uploaded.
    picker = page[page.index('id="attachment-upload"') :].split("</form>")[0]
    assert 'role="alert" id="upload-error"' in picker
    assert message in picker and f"未上传“{name}”" in picker
    assert 'id="action-error"' not in page
    assert page_state(item, attachment_root) == before


def test_no_file_chosen(client: Client, org: Org, item: Item, attachment_root: Path):
    before = page_state(item, attachment_root)
    response = signed_in(client, org.lead_liaison).post(upload_url(item), {})
    assert response.status_code == 400
    assert "请选择要上传的文件。" in html(response)
    assert page_state(item, attachment_root) == before


def test_an_oversized_upload_is_dropped_while_it_arrives(
    client: Client, org: Org, item: Item, attachment_root: Path, settings: Any
):
    settings.ATTACHMENT_MAX_MB = 1
    before = page_state(item, attachment_root)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024))
    response = signed_in(client, org.lead_liaison).post(upload_url(item), {"file": big})
    assert response.status_code == 400
    assert "附件“big.pdf”超过1MB的大小限制。" in html(response)
    assert page_state(item, attachment_root) == before


def test_the_size_handler_drops_only_the_file(org: Org, settings: Any):
    """The upload handler skips the file past the limit; the other fields still arrive
    (the CSRF token among them)."""
    from django.test import RequestFactory

    from duban.attachments.uploads import oversized_uploads

    settings.ATTACHMENT_MAX_MB = 1
    request = RequestFactory().post(
        "/items/1/attachments/",
        {"note": "kept", "file": SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 1))},
    )
    assert request.POST["note"] == "kept"
    assert "file" not in request.FILES
    assert oversized_uploads(request) == ["big.txt"]


def test_r_c3_a_classified_item_refuses_uploads_on_its_page(
    client: Client, org: Org, attachment_root: Path, secrecy_supervisor: User
):
    item = actions.establish_item(
        secrecy_supervisor,
        meeting_input(
            org, confidentiality="classified", cooperating_units=[], content="", basis="线下报送"
        ),
    )
    signed_in(client, secrecy_supervisor)
    page = html(client.get(f"/items/{item.pk}/"))
    assert "涉密事项的材料不得上传本系统，请线下报送。" in page
    assert 'id="attachment-upload"' not in page
    before = page_state(item, attachment_root)
    response = client.post(upload_url(item), {"file": a_file()})
    assert response.status_code == 403
    assert "涉密事项的材料不得上传本系统，请线下报送。" in html(response)
    assert page_state(item, attachment_root) == before


def test_a_completed_item_refuses_uploads(
    client: Client, org: Org, item: Item, attachment_root: Path
):
    advance(org, item, Status.COMPLETED)
    signed_in(client, org.lead_liaison)
    assert 'id="attachment-upload"' not in html(client.get(f"/items/{item.pk}/"))
    before = page_state(item, attachment_root)
    response = client.post(upload_url(item), {"file": a_file()})
    assert response.status_code == 409
    assert "事项当前状态为“已办结”，不能再上传附件。" in html(response)
    assert page_state(item, attachment_root) == before


def test_a_person_who_sees_the_item_without_a_part_in_it_is_refused(
    client: Client, org: Org, item: Item, attachment_root: Path
):
    signed_in(client, org.leader_in_charge)
    assert 'id="attachment-upload"' not in html(client.get(f"/items/{item.pk}/"))
    before = page_state(item, attachment_root)
    response = client.post(upload_url(item), {"file": a_file()})
    assert response.status_code == 403
    assert "只有本事项的督办员，以及承办单位、配合单位的联络员或第一责任人可以上传附件。" in html(
        response
    )
    assert page_state(item, attachment_root) == before


def test_outsiders_and_the_recused_get_404_and_store_nothing(
    client: Client, org: Org, item: Item, attachment_root: Path
):
    actions.declare_recusal(
        org.office_supervisor, item, person=org.cooperating_liaison, reason="利害关系"
    )
    before = page_state(item, attachment_root)
    for person in (org.other_unit_liaison, org.cooperating_liaison):
        response = signed_in(client, person).post(upload_url(item), {"file": a_file()})
        assert response.status_code == 404, person.username
    missing = signed_in(client, org.other_unit_liaison).post(
        reverse("item-attachments", kwargs={"pk": item.pk + 1000}), {"file": a_file()}
    )
    assert missing.status_code == 404
    assert page_state(item, attachment_root) == before


def test_anonymous_upload_goes_to_login(client: Client, item: Item, attachment_root: Path):
    before = page_state(item, attachment_root)
    response = client.post(upload_url(item), {"file": a_file()})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert page_state(item, attachment_root) == before


def test_csrf_is_enforced_on_uploads(org: Org, item: Item, attachment_root: Path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.lead_liaison)
    before = page_state(item, attachment_root)
    response = client.post(upload_url(item), {"file": a_file()})
    assert response.status_code == 403
    assert page_state(item, attachment_root) == before


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("office_supervisor", True),
        ("lead_liaison", True),
        ("lead_head", True),
        ("cooperating_liaison", True),
        ("cooperating_head", True),
        ("leader_in_charge", False),
    ],
)
def test_the_upload_form_is_offered_to_those_who_may_attach(
    client: Client, org: Org, item: Item, persona: str, offered: bool
):
    page = html(signed_in(client, getattr(org, persona)).get(f"/items/{item.pk}/"))
    assert 'id="attachments"' in page
    assert ('id="attachment-upload"' in page) is offered
    if offered:
        assert 'enctype="multipart/form-data"' in page
        assert f'action="{upload_url(item)}"' in page


@pytest.mark.parametrize("count", [1, 15])
def test_item_page_queries_do_not_grow_with_attachments(
    client: Client, org: Org, item: Item, count: int, django_assert_max_num_queries
):
    for number in range(count):
        attach(org, item, f"材料{number}.txt", TEXT_BYTES)
    signed_in(client, org.lead_liaison)
    with django_assert_max_num_queries(ITEM_PAGE_QUERIES):
        response = client.get(f"/items/{item.pk}/")
    assert html(response).count("data-attachment=") == count


# ----------------------------------------------------------------------------- download (pages)

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def assert_download(response: Any, data: bytes, content_type: str, name: str) -> None:
    assert response.status_code == 200
    assert body_of(response) == data
    assert response["Content-Type"] == content_type
    for header, value in SECURITY_HEADERS.items():
        assert response[header] == value
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "persona",
    [
        "office_supervisor",
        "lead_liaison",
        "lead_head",
        "cooperating_liaison",
        "cooperating_head",
        "leader_in_charge",
    ],
)
def test_whoever_sees_the_item_downloads_its_attachment(
    client: Client, org: Org, item: Item, persona: str
):
    data = pdf_bytes("minutes")
    attachment = attach(org, item, "会议纪要.pdf", data)
    response = signed_in(client, getattr(org, persona)).get(download_url(attachment.pk))
    assert_download(response, data, "application/pdf", "会议纪要.pdf")


def test_text_is_served_as_utf8_text_and_office_as_office(client: Client, org: Org, item: Item):
    text = attach(org, item, "说明.txt", TEXT_BYTES)
    docx = attach(org, item, "方案.docx", ooxml_bytes("docx"))
    signed_in(client, org.office_supervisor)
    assert_download(
        client.get(download_url(text.pk)), TEXT_BYTES, "text/plain; charset=utf-8", "说明.txt"
    )
    assert_download(
        client.get(download_url(docx.pk)),
        ooxml_bytes("docx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "方案.docx",
    )


def test_a_hidden_attachment_answers_exactly_like_a_missing_one(
    client: Client, org: Org, item: Item
):
    attachment = attach(org, item)
    actions.declare_recusal(org.office_supervisor, item, person=org.lead_head, reason="利害关系")
    for person in (org.other_unit_liaison, org.lead_head, org.system_admin):
        signed_in(client, person)
        hidden = client.get(download_url(attachment.pk))
        missing = client.get(download_url(missing_id()))
        assert hidden.status_code == missing.status_code == 404, person.username
        assert without_tokens(html(hidden)) == without_tokens(html(missing))
        assert hidden["Content-Type"] == missing["Content-Type"]


def test_a_sensitive_items_attachment_is_hidden_from_the_units_other_people(
    client: Client, org: Org
):
    item = establish(org, confidentiality="sensitive")
    attachment = attach(org, item)
    assert (
        signed_in(client, org.other_unit_liaison).get(download_url(attachment.pk)).status_code
        == 404
    )
    assert (
        signed_in(client, org.leader_in_charge).get(download_url(attachment.pk)).status_code == 404
    )


def test_anonymous_download_goes_to_login(client: Client, org: Org, item: Item):
    attachment = attach(org, item)
    response = client.get(download_url(attachment.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_downloads_of_restricted_items_are_audited(client: Client, org: Org):
    ordinary = establish(org)
    sensitive = establish(org, title="信访事项", confidentiality="sensitive")
    plain = attach(org, ordinary)
    restricted = attach(org, sensitive, "信访材料.pdf")
    signed_in(client, org.lead_head)

    events = AuditEvent.objects.count()
    assert client.get(download_url(plain.pk)).status_code == 200
    assert AuditEvent.objects.count() == events  # ordinary items: not audited

    assert client.get(download_url(restricted.pk)).status_code == 200
    event = AuditEvent.objects.latest("sequence")
    assert AuditEvent.objects.count() == events + 1
    assert event.verb == "download"
    assert event.actor == org.lead_head
    assert event.item == sensitive
    assert event.summary == "下载附件：信访材料.pdf"
    assert event.data["attachment"] == restricted.pk
    assert event.data["via"] == "页面"

    api = Api(client, org.lead_head)
    events = AuditEvent.objects.count()
    assert api.get(f"/attachments/{plain.pk}").status_code == 200
    assert AuditEvent.objects.count() == events
    assert api.get(f"/attachments/{restricted.pk}").status_code == 200
    event = AuditEvent.objects.latest("sequence")
    assert (event.verb, event.item, event.data["via"]) == ("download", sensitive, "接口")


def test_no_url_serves_the_attachment_root(client: Client, org: Org, item: Item):
    attachment = attach(org, item)
    stored_name = attachment.file.name
    signed_in(client, org.lead_liaison)
    for path in (
        f"/media/{stored_name}",
        f"/static/{stored_name}",
        f"/static/{stored_name.split('/')[-1]}",
        f"/attachments/{stored_name}",
        f"/var/attachments/{stored_name}",
        "/media/",
        "/attachments/",
    ):
        assert client.get(path).status_code == 404, path


def test_attachments_are_never_edited_or_deleted(
    client: Client, org: Org, item: Item, attachment_root
):
    """R-F7: superseded, not edited. Neither the page nor the API takes a change."""
    attachment = attach(org, item)
    before = page_state(item, attachment_root)
    signed_in(client, org.lead_liaison)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(download_url(attachment.pk)).status_code == 405, method
    api = Api(client, org.lead_liaison)
    for method in ("post", "put", "patch", "delete"):
        response = api.call(method, f"/attachments/{attachment.pk}")
        assert response.status_code == 405, method
        assert response.json()["code"] == "method_not_allowed"
    assert page_state(item, attachment_root) == before


# ----------------------------------------------------------------------------- API


class Api:
    """Django's test client speaking to the API with one person's bearer token."""

    def __init__(self, client: Client, user: User) -> None:
        self.client = client
        token, _row = issue_token(user)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def upload(self, item_id: int, file: Any = None, **fields: Any) -> Any:
        data = dict(fields)
        if file is not None:
            data["file"] = file
        return self.client.post(f"/api/v1/items/{item_id}/attachments", data, headers=self.headers)

    def call(self, method: str, path: str) -> Any:
        return getattr(self.client, method)(f"/api/v1{path}", headers=self.headers)


def assert_error(response: Any, status: int, code: str, message: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["message"] == message
    return body


def test_api_upload_list_and_download(client: Client, org: Org, item: Item):
    api = Api(client, org.cooperating_head)
    data = pdf_bytes("contribution")
    response = api.upload(item.pk, a_file("配合材料.pdf", data))

    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get()
    assert body == {
        "id": attachment.pk,
        "item_id": item.pk,
        "feedback_id": None,
        "name": "配合材料.pdf",
        "content_type": "application/pdf",
        "size": len(data),
        "sha256": attachment.sha256,
        "uploaded_by": "吴处长",
        "uploaded_by_id": org.cooperating_head.pk,
        "unit": {"id": org.cooperating_unit.pk, "name": "人事处"},
        "created_at": body["created_at"],
        "download_url": f"/api/v1/attachments/{attachment.pk}",
    }
    assert body["created_at"].endswith("+08:00")

    listing = Api(client, org.office_supervisor).get(f"/items/{item.pk}/attachments")
    assert listing.status_code == 200
    assert listing.json() == [body]

    download = Api(client, org.lead_liaison).get(body["download_url"].removeprefix("/api/v1"))
    assert_download(download, data, "application/pdf", "配合材料.pdf")


def test_api_upload_to_a_report(client: Client, org: Org, item: Item):
    advance(org, item, Status.IN_PROGRESS)
    feedback = actions.submit_feedback(org.lead_liaison, item, "进展")
    response = Api(client, org.lead_liaison).upload(item.pk, a_file(), feedback=feedback.pk)
    assert response.status_code == 201, response.content
    assert response.json()["feedback_id"] == feedback.pk


def test_api_refusals_are_json_and_store_nothing(
    client: Client, org: Org, item: Item, attachment_root: Path, secrecy_supervisor: User
):
    classified = actions.establish_item(
        secrecy_supervisor,
        meeting_input(
            org, confidentiality="classified", cooperating_units=[], content="", basis="线下报送"
        ),
    )
    liaison = Api(client, org.lead_liaison)
    outsider = Api(client, org.other_unit_liaison)
    leader = Api(client, org.leader_in_charge)
    before = stored(attachment_root)

    exe = assert_error(
        liaison.upload(item.pk, SimpleUploadedFile("setup.exe", EXE_BYTES)),
        400,
        "invalid",
        "附件“setup.exe”的类型不被允许" + ALLOWED_TYPES + "。",
    )
    assert exe["errors"] == {"file": exe["message"]}
    assert_error(liaison.upload(item.pk), 400, "invalid", "请选择要上传的文件。")
    assert_error(
        liaison.upload(item.pk, a_file(), feedback=999_999),
        400,
        "invalid",
        "该报告不属于本事项。",
    )
    assert_error(outsider.upload(item.pk, a_file()), 404, "not_found", "督办事项不存在。")
    assert_error(outsider.upload(item.pk + 1000, a_file()), 404, "not_found", "督办事项不存在。")
    assert_error(
        leader.upload(item.pk, a_file()),
        403,
        "forbidden",
        "只有本事项的督办员，以及承办单位、配合单位的联络员或第一责任人可以上传附件。",
    )
    assert_error(
        liaison.upload(classified.pk, a_file()),
        403,
        "forbidden",
        "涉密事项的材料不得上传本系统，请线下报送。",
    )
    assert stored(attachment_root) == before


def test_api_oversized_upload(client: Client, org: Org, item: Item, attachment_root, settings):
    settings.ATTACHMENT_MAX_MB = 1
    api = Api(client, org.lead_liaison)
    before = stored(attachment_root)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024))
    assert_error(api.upload(item.pk, big), 400, "invalid", "附件“big.pdf”超过1MB的大小限制。")
    assert stored(attachment_root) == before


def test_api_closed_item(client: Client, org: Org, item: Item, attachment_root: Path):
    advance(org, item, Status.COMPLETED)
    api = Api(client, org.lead_liaison)
    before = stored(attachment_root)
    assert_error(
        api.upload(item.pk, a_file()),
        409,
        "invalid_state",
        "事项当前状态为“已办结”，不能再上传附件。",
    )
    assert stored(attachment_root) == before


def test_api_hidden_attachments_answer_like_missing_ones(client: Client, org: Org, item: Item):
    attachment = attach(org, item)
    actions.declare_recusal(org.office_supervisor, item, person=org.lead_head, reason="利害关系")
    for person in (org.other_unit_liaison, org.lead_head):
        api = Api(client, person)
        hidden = api.get(f"/attachments/{attachment.pk}")
        missing = api.get(f"/attachments/{missing_id()}")
        assert_error(hidden, 404, "not_found", "附件不存在。")
        assert hidden.content == missing.content
        assert_error(api.get(f"/items/{item.pk}/attachments"), 404, "not_found", "督办事项不存在。")


def test_api_needs_a_token(client: Client, org: Org, item: Item, attachment_root: Path):
    attachment = attach(org, item)
    before = stored(attachment_root)
    for response in (
        client.get(f"/api/v1/attachments/{attachment.pk}"),
        client.get(f"/api/v1/items/{item.pk}/attachments"),
        client.post(f"/api/v1/items/{item.pk}/attachments", {"file": a_file()}),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
    assert stored(attachment_root) == before


def test_the_openapi_document_describes_the_upload(client: Client):
    document = json.loads(client.get("/api/v1/openapi.json").content)
    upload = document["paths"]["/api/v1/items/{item_id}/attachments"]["post"]
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "file" in schema["properties"]
    assert "/api/v1/attachments/{attachment_id}" in document["paths"]
