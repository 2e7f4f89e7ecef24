"""Password rules (MLPS level 3): complexity, and no reuse of the last five.

Both are Django password validators (settings.AUTH_PASSWORD_VALIDATORS), so every
place that sets a password through Django's forms checks them. Django calls each
validator's `password_changed` after a new password is saved; the history validator
records the new hash there.
"""

from __future__ import annotations

import string
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from duban import clock

from .models import PasswordHistory

SYMBOLS = set(string.punctuation) | {" "}


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and symbols `password` uses."""
    return sum(
        (
            any(char.isascii() and char.isupper() for char in password),
            any(char.isascii() and char.islower() for char in password),
            any(char.isdigit() for char in password),
            any(char in SYMBOLS or not char.isalnum() for char in password),
        )
    )


class ComplexityValidator:
    """At least `min_length` characters using at least `min_classes` of: upper case
    letters, lower case letters, digits and symbols."""

    def __init__(self, min_length: int = 10, min_classes: int = 3) -> None:
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length or character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_not_complex")

    def get_help_text(self) -> str:
        return _(
            "密码至少%(length)d个字符，且包含大写字母、小写字母、数字、符号中的至少%(classes)d类。"
        ) % {"length": self.min_length, "classes": self.min_classes}


class PasswordHistoryValidator:
    """A new password may not be any of the person's last `keep` passwords (the
    current one included)."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep

    def recent_hashes(self, user: Any) -> list[str]:
        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password_hash", flat=True)[
                : self.keep
            ]
        )
        # People created before the history existed (or with a hash set directly)
        # still have a current password that counts as one of the last ones.
        current = getattr(user, "password", "")
        if current and current not in hashes:
            hashes = [current, *hashes[: self.keep - 1]]
        return hashes

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        for password_hash in self.recent_hashes(user):
            if check_password(password, password_hash):
                raise ValidationError(
                    _("新密码不能与最近%(keep)d次使用过的密码相同。") % {"keep": self.keep},
                    code="password_reused",
                )

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None or not user.password:
            return
        PasswordHistory.objects.create(
            user=user, password_hash=user.password, created_at=clock.now()
        )
        # Keep only as many as the rule looks at.
        stale = list(
            PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.keep :]
        )
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()

    def get_help_text(self) -> str:
        return _("不能使用最近%(keep)d次使用过的密码。") % {"keep": self.keep}
