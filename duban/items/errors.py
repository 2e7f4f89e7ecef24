"""Refusals. Each carries a code for the API and a message a person understands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ActionError(Exception):
    code = "refused"
    status = 400

    def __init__(self, message: Any, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.errors = errors or {}


class InvalidInput(ActionError):
    """The input is incomplete or wrong; `errors` names each field to fix."""

    code = "invalid"
    status = 400


class PermissionRefused(ActionError):
    code = "forbidden"
    status = 403


class StateRefused(ActionError):
    code = "invalid_state"
    status = 409


class StorageFull(ActionError):
    """The attachments' disk could not take the file: nothing was kept."""

    code = "storage_full"
    status = 507


class Problems:
    """The refusals of independent checks, gathered to refuse once with all of them, so
    that a form shows every field to fix at once rather than one per submit."""

    def __init__(self) -> None:
        self.found: list[InvalidInput] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InvalidInput as error:
            self.found.append(error)

    def raise_any(self) -> None:
        if not self.found:
            return
        if len(self.found) == 1:
            raise self.found[0]
        errors: dict[str, str] = {}
        for problem in self.found:
            for name, text in problem.errors.items():
                errors.setdefault(name, text)
        raise InvalidInput(" ".join(problem.message for problem in self.found), errors=errors)
