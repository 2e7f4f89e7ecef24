"""The README's promises: the two commands and every demo login."""

from __future__ import annotations

from pathlib import Path

from duban.organisation import demo

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_demo_login() -> None:
    text = README.read_text(encoding="utf-8")
    for line in demo.logins_markdown().strip().splitlines():
        assert line in text


def test_quick_start_has_exactly_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick_start.strip().splitlines()]
    assert commands == ["make run", "make test"]
