"""Personal work notices: 企业微信 application messages (应用消息) and 钉钉 work notices
(工作通知), sent to one person's account on the platform.

Both platforms work the same way: an access token from `gettoken` (企业微信: corpid
and corpsecret; 钉钉: appkey and appsecret), valid for `expires_in` seconds (7,200),
then JSON calls with `?access_token=…` that answer `errcode` 0 on success.

- The token is kept in the Django cache, shared by every worker, until shortly
  before it expires. A call answered with a token error (企业微信 40014 invalid,
  42001 expired; 钉钉 the same codes, or 88 with them as `sub_code`) drops the
  cached token, fetches a new one and is made once more.
- A rate limit (企业微信 45009 and 45033; 钉钉 90002, 90018, 90019) raises
  `RateLimited`: the worker sends the delivery later without counting an attempt,
  so a busy platform delays notices but never drops them.
- A person's account id (userid) comes from `PlatformAccount`; without one it is
  looked up by the person's 手机 (企业微信 `user/getuserid`, 钉钉
  `topapi/v2/user/getbymobile`) and kept. `account_by_staff_number` is where the
  mapping by 工号 will plug in.

The requests go out with urllib, like the group robots' (`webhooks.py`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from duban.audit.models import record

from .models import AccountSource, Platform, PlatformAccount

logger = logging.getLogger("duban.notify")

# Refresh a token this long before the platform says it expires.
TOKEN_MARGIN = 300


class PlatformError(Exception):
    """The platform refused a call; `errcode` is its answer."""

    def __init__(self, platform: str, path: str, answer: dict[str, Any]) -> None:
        self.errcode = int(answer.get("errcode", -1))
        self.sub_code = str(answer.get("sub_code", ""))
        detail = answer.get("errmsg", "")
        if self.sub_code:
            detail = f"{detail} (sub_code {self.sub_code}: {answer.get('sub_msg', '')})"
        super().__init__(f"{platform} {path}: errcode {self.errcode}: {detail}")


class RateLimited(PlatformError):
    """The platform asked us to slow down: send again later, not as a failure."""


class AccountNotFound(Exception):
    """The person has no account on the platform that we can find."""


@dataclass(frozen=True)
class Api:
    """One platform's endpoints, credentials and error codes."""

    platform: str
    base: str
    gettoken_path: str
    token_query: dict[str, str]
    agent_id: str
    token_errors: frozenset[int]
    rate_limits: frozenset[int]

    @property
    def cache_key(self) -> str:
        # Tokens belong to one app of one organisation; a new secret gets a new token.
        credentials = json.dumps(self.token_query, sort_keys=True).encode()
        return f"duban:notify:token:{self.platform}:{hashlib.sha256(credentials).hexdigest()}"

    def is_token_error(self, error: PlatformError) -> bool:
        codes = {error.errcode}
        if error.sub_code.isdigit():
            codes.add(int(error.sub_code))
        return bool(codes & self.token_errors)

    def is_rate_limit(self, answer: dict[str, Any]) -> bool:
        codes = {int(answer.get("errcode", 0))}
        sub_code = str(answer.get("sub_code", ""))
        if sub_code.isdigit():
            codes.add(int(sub_code))
        return bool(codes & self.rate_limits)


def wecom_api() -> Api:
    return Api(
        platform=Platform.WECOM,
        base=settings.WECOM_API_BASE,
        gettoken_path="/cgi-bin/gettoken",
        token_query={"corpid": settings.WECOM_CORP_ID, "corpsecret": settings.WECOM_SECRET},
        agent_id=settings.WECOM_AGENT_ID,
        token_errors=frozenset({40014, 42001}),
        rate_limits=frozenset({45009, 45033}),
    )


def dingtalk_api() -> Api:
    return Api(
        platform=Platform.DINGTALK,
        base=settings.DINGTALK_API_BASE,
        gettoken_path="/gettoken",
        token_query={
            "appkey": settings.DINGTALK_APP_KEY,
            "appsecret": settings.DINGTALK_APP_SECRET,
        },
        agent_id=settings.DINGTALK_AGENT_ID,
        token_errors=frozenset({40014, 42001}),
        rate_limits=frozenset({90002, 90018, 90019}),
    )


def api_for(platform: str) -> Api:
    return wecom_api() if platform == Platform.WECOM else dingtalk_api()


def is_configured(platform: str) -> bool:
    if platform == Platform.WECOM:
        names = ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET")
    else:
        names = ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET", "DINGTALK_AGENT_ID")
    return all(getattr(settings, name) for name in names)


def _request(
    api: Api, path: str, query: dict[str, str], payload: dict[str, Any] | None
) -> dict[str, Any]:
    url = f"{api.base}{path}?{urllib.parse.urlencode(query)}"
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"{api.platform} API base must be http(s): {api.base!r}")
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="GET" if payload is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read().decode() or "{}")
    return answer


def _checked(api: Api, path: str, answer: dict[str, Any]) -> dict[str, Any]:
    if int(answer.get("errcode", 0)) == 0:
        return answer
    if api.is_rate_limit(answer):
        raise RateLimited(api.platform, path, answer)
    raise PlatformError(api.platform, path, answer)


def access_token(api: Api, *, fresh: bool = False) -> str:
    """The app's access token: from the cache, or from `gettoken` when there is none
    (or `fresh`: the cached one was refused)."""
    if not fresh:
        cached = cache.get(api.cache_key)
        if cached:
            return str(cached)
    path = api.gettoken_path
    answer = _checked(api, path, _request(api, path, api.token_query, None))
    token = str(answer["access_token"])
    lifetime = int(answer.get("expires_in", 7200))
    cache.set(api.cache_key, token, timeout=max(lifetime - TOKEN_MARGIN, 60))
    return token


def call(api: Api, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload` to `path` with the access token; on a token error, once more
    with a new token. Raises `RateLimited` or `PlatformError` when refused."""
    token = access_token(api)
    try:
        return _checked(api, path, _request(api, path, {"access_token": token}, payload))
    except RateLimited:
        raise
    except PlatformError as error:
        if not api.is_token_error(error):
            raise
        logger.info("%s access token refused (%s); fetching a new one", api.platform, error)
        cache.delete(api.cache_key)
    token = access_token(api, fresh=True)
    return _checked(api, path, _request(api, path, {"access_token": token}, payload))


# ----------------------------------------------------------------------------- accounts


def account_by_staff_number(platform: str, user: Any) -> str | None:
    """The person's account id on `platform` from their 工号 (`User.staff_number`, kept
    by the people directory's sync), where the deployment says that the platform's
    userids are the 工号 (WECOM_/DINGTALK_USERID_IS_STAFF_NUMBER); else None, and the
    account is looked up by 手机."""
    settings_of: dict[str, str] = {
        Platform.WECOM: "WECOM_USERID_IS_STAFF_NUMBER",
        Platform.DINGTALK: "DINGTALK_USERID_IS_STAFF_NUMBER",
    }
    setting = settings_of.get(platform)
    staff_number = (getattr(user, "staff_number", "") or "").strip()
    if setting and getattr(settings, setting, False) and staff_number:
        return staff_number
    return None


def account_by_mobile(api: Api, mobile: str) -> str | None:
    """The platform's documented lookup by 手机: 企业微信 `user/getuserid`, 钉钉
    `topapi/v2/user/getbymobile`. None when the platform knows no such person."""
    if api.platform == Platform.WECOM:
        path, payload, not_found = "/cgi-bin/user/getuserid", {"mobile": mobile}, {46004, 60111}
    else:
        path, payload, not_found = "/topapi/v2/user/getbymobile", {"mobile": mobile}, {60121}
    try:
        answer = call(api, path, payload)
    except RateLimited:
        raise
    except PlatformError as error:
        if error.errcode in not_found:
            return None
        raise
    if api.platform == Platform.WECOM:
        return str(answer.get("userid") or "") or None
    return str((answer.get("result") or {}).get("userid") or "") or None


def account_id(platform: str, user: Any) -> str:
    """The person's account id on `platform`: the recorded one, else by 工号 (hook),
    else by 手机 through the platform, recorded for next time (and audited)."""
    known = (
        PlatformAccount.objects.filter(user=user, platform=platform)
        .values_list("account_id", flat=True)
        .first()
    )
    if known:
        return str(known)
    api = api_for(platform)
    found, source = account_by_staff_number(platform, user), AccountSource.STAFF_NUMBER
    if not found and user.phone:
        found, source = account_by_mobile(api, user.phone), AccountSource.MOBILE
    if not found:
        raise AccountNotFound(
            f"{platform}: no account found for user {user.pk} (by staff number or mobile)"
        )
    _remember(platform, user, found, source)
    return found


def _remember(platform: str, user: Any, found: str, source: str) -> None:
    try:
        with transaction.atomic():
            account = PlatformAccount.objects.create(
                user=user, platform=platform, account_id=found, source=source
            )
            record(
                None,
                "map_platform_account",
                _("自动匹配%(person)s的%(platform)s账号：%(account)s（%(source)s）")
                % {
                    "person": user.full_name or user.username,
                    "platform": account.get_platform_display(),
                    "account": found,
                    "source": account.get_source_display(),
                },
                data={"user": user.pk, "platform": platform, "account_id": found},
            )
    except IntegrityError:
        # Another worker recorded it first, or the id is another person's: the
        # notice still goes to the account the platform named.
        logger.warning("%s account %s for user %s not recorded", platform, found, user.pk)


# ----------------------------------------------------------------------------- messages


def truncate_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "…"


def send_wecom(account: str, title: str, description: str, url: str) -> dict[str, Any]:
    """An application message as a text card (文本卡片) to one person."""
    api = wecom_api()
    answer = call(
        api,
        "/cgi-bin/message/send",
        {
            "touser": account,
            "msgtype": "textcard",
            "agentid": int(api.agent_id),
            "textcard": {
                "title": truncate_bytes(title, 128),
                "description": truncate_bytes(description, 512),
                "url": url,
                "btntxt": _("详情"),
            },
        },
    )
    # A recipient outside the app's visible range is reported, not refused.
    if answer.get("invaliduser"):
        raise PlatformError(
            api.platform,
            "/cgi-bin/message/send",
            {"errcode": 81013, "errmsg": f"invaliduser {answer['invaliduser']}"},
        )
    return answer


def send_dingtalk(account: str, title: str, text: str, url: str) -> dict[str, Any]:
    """A work notice as an action card (卡片消息) to one person."""
    api = dingtalk_api()
    return call(
        api,
        "/topapi/message/corpconversation/asyncsend_v2",
        {
            "agent_id": int(api.agent_id),
            "userid_list": account,
            "msg": {
                "msgtype": "action_card",
                "action_card": {
                    "title": title,
                    "markdown": text,
                    "single_title": _("查看详情"),
                    "single_url": url,
                },
            },
        },
    )
