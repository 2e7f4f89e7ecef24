"""Refusals. Each carries a code for the API and a message a person understands."""

from __future__ import annotations

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
