"""How the API reads a request body: JSON only, and only text a database can store.

- A body sent for a JSON operation must say `Content-Type: application/json`; anything
  else (text/plain, a form, no type at all) is 415, since a client that sends JSON under
  another type is relying on luck (and a browser's cross-site form could otherwise
  pass for JSON).
- JSON's `\\ud800` escapes decode to lone UTF-16 surrogates, which no database driver
  can encode; they are refused as a 400 before anything reads them.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.types import DictStrAny


class UnsupportedMediaType(Exception):
    pass


class UnencodableText(Exception):
    pass


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        if has_lone_surrogate(value):
            raise UnencodableText
    elif isinstance(value, dict):
        for key, inner in value.items():
            _check_text(key)
            _check_text(inner)
    elif isinstance(value, list):
        for inner in value:
            _check_text(inner)


class StrictJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        if request.content_type != "application/json":
            raise UnsupportedMediaType(request.content_type)
        data = json.loads(request.body)
        _check_text(data)
        return cast(DictStrAny, data)
