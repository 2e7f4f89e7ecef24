"""Forms of the account pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import signin
from .lockout import locked_message, locked_until


class LoginForm(AuthenticationForm):
    """Django's login form; a locked account is told so, with the time it ends."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            until = locked_until(self.cleaned_data.get("username"))
            if until is not None:
                raise ValidationError(locked_message(until), code="locked") from None
            raise

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not signin.local_login_allowed(user):
            signin.refuse_local_login(self.request, user)
            raise ValidationError(signin.local_login_refusal(), code="local_login_not_allowed")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        help_text=_("身份验证器应用（如腾讯身份验证器、Google Authenticator）显示的6位数字。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
