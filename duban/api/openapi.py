"""The OpenAPI document's finishing touches, made once where ninja builds it.

Ids in paths are said to be ≥ 1 (a lower one answers 404 like any missing row). A
field's `x-server-rule` (`schemas.server_rule`: what only the server can judge,
against stored rows or today's date) is also written at the end of its description,
for the people who read the document rather than a program.
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


def _positive_path_ids(paths: dict[str, Any]) -> None:
    """Ids in paths (`{item_id}`, …) name rows, whose ids are ≥ 1: an id below answers
    404 like any missing row."""
    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if (
                    parameter.get("in") == "path"
                    and parameter.get("name", "").endswith("_id")
                    and schema.get("type") == "integer"
                ):
                    schema.setdefault("minimum", 1)


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    """The document as ninja made it, with ids in paths ≥ 1 and each server rule also
    in its description."""
    _positive_path_ids(schema.get("paths", {}))
    _describe_rules(schema.get("components", {}))
    _describe_rules(schema.get("paths", {}))
    return schema
