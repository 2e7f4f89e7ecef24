"""Bearer tokens for the API: issuing them and recognising them.

The API authenticates only by `Authorization: Bearer <token>`. It never reads the
session cookie, so a browser cannot be tricked into calling it with the user's
session (no CSRF exposure), and no CSRF token is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest
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


def access_stamp(user: Any) -> str:
    """A digest of what a token's access rests on: the password (its hash), the role
    and the unit. A token issued under other values no longer works (issue 14: tokens
    end with the person's access)."""
    basis = f"{user.password}\x00{user.role}\x00{user.unit_id}"
    return hashlib.sha256(basis.encode()).hexdigest()


def revoke_tokens(user: Any, reason: str, actor: Any = None) -> int:
    """End every token of `user` now (a password change, a lock, deactivation, a role
    change); audited when there was one to end."""
    count, _by_model = ApiToken.objects.filter(user=user).delete()
    if count:
        record(
            actor,
            "revoke_api_tokens",
            _("%(name)s的%(count)d个接口访问令牌作废：%(reason)s")
            % {"name": user.full_name or user.get_username(), "count": count, "reason": reason},
            data={"username": user.get_username(), "count": count, "reason": reason},
        )
    return count


@transaction.atomic
def revoke_own_token(user: Any, token_id: int) -> None:
    """A person ends one of their own tokens; another person's id is not found."""
    row = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if row is None:
        raise Http404
    row.delete()
    record(
        user,
        "revoke_api_token",
        _("作废本人的接口访问令牌（签发于%(issued)s）")
        % {"issued": timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M")},
        data={"token": token_id},
    )


def live_tokens(user: Any) -> list[ApiToken]:
    """The person's tokens that still work, newest first."""
    stamp = access_stamp(user)
    return [
        row
        for row in ApiToken.objects.filter(user=user, expires_at__gt=clock.now())
        if hmac.compare_digest(row.stamp, stamp)
    ]


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
        stamp=access_stamp(user),
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
    if not hmac.compare_digest(row.stamp, access_stamp(row.user)):
        return None  # the password, role or unit changed since it was issued
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user
