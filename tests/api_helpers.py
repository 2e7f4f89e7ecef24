"""A test client speaking to the API as one person, and the checks every refusal
shares (the figures, ledger-file and calendar endpoints' tests)."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import PASSWORD

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def token_for(client: Client, user: Any) -> str:
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


class Api:
    """Django's test client speaking to the API as one person (None: nobody)."""

    def __init__(self, client: Client, user: Any) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token_for(client, user)}"} if user else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.generic(
            method,
            f"/api/v1{path}",
            json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=self.headers,
        )

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("POST", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.send("PUT", path, body)

    def upload(self, path: str, content: bytes | None, name: str = "台账.xlsx", **data: Any) -> Any:
        if content is not None:
            data["file"] = SimpleUploadedFile(name, content, "application/octet-stream")
        return self.client.post(f"/api/v1{path}", data, headers=self.headers)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """An error answer: the status, JSON with the code and a Chinese message."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert any("\u4e00" <= char <= "\u9fff" for char in body["message"]), body
    return body


def content_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def sheet_rows(content: bytes) -> list[tuple[Any, ...]]:
    """The cells of a workbook's first sheet, row by row."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
