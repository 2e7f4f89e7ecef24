"""How the API writes JSON: Chinese as it is (not \\uXXXX), and <, > and & escaped as
\\u003c, \\u003e and \\u0026.

The escaping changes no value a client parses; it only means that no answer carries
markup, so a text someone typed (`<script>…`) cannot run even if a browser were made
to render an answer as HTML (answers are also sent as application/json with nosniff).
"""

from __future__ import annotations

from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

MARKUP = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class MarkupFreeJSONEncoder(NinjaJSONEncoder):
    def encode(self, o: Any) -> str:
        # <, > and & occur only inside JSON strings, where \uXXXX means the same.
        return super().encode(o).translate(MARKUP)


class ChineseJSONRenderer(JSONRenderer):
    encoder_class = MarkupFreeJSONEncoder
    json_dumps_params = {"ensure_ascii": False}
