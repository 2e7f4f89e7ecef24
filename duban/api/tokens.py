"""Bearer tokens for the API: issuing them and recognising them.

The API authenticates only by `Authorization: Bearer <token>`. It never reads the
session cookie, so a browser cannot be tricked into calling it with the user's
session (no CSRF exposure), and no CSRF token is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from duban import clock
from duban.audit.models import record

from .models import ApiToken

# Tokens we issue are URL-safe base64; anything else is refused without a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")
# Writing `last_used_at` on every request would turn each read into a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@transaction.atomic
def issue_token(user: Any) -> tuple[str, ApiToken]:
    """Issue a new token for `user`; returns the token itself (shown once) and its row."""
    now = clock.now()
    # Expired tokens are useless; drop the user's old ones while we are here.
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    token = secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.API_TOKEN_HOURS),
    )
    record(
        user,
        "issue_api_token",
        _("签发接口访问令牌，有效期至%(expires)s")
        % {"expires": timezone.localtime(row.expires_at).strftime("%Y-%m-%d %H:%M")},
        data={"token": row.pk},
    )
    return token, row


def user_for_token(token: str) -> Any:
    """The active user a live token belongs to, or None."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    now = clock.now()
    row = (
        ApiToken.objects.select_related("user", "user__unit")
        .filter(key_hash=hash_token(token), expires_at__gt=now)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user
