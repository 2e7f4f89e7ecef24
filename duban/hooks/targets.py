"""Which URLs an endpoint may have: http or https, a host, no credentials in it, and
not the server itself or a link-local address (169.254.0.0/16, where clouds keep their
metadata service) unless WEBHOOK_ALLOW_LOCAL is on (tests run a receiver on
127.0.0.1). Private intranet addresses (10/8, 172.16/12, 192.168/16) are allowed:
in a university's intranet that is where receivers live.

The rule is applied when the URL is registered (a clear refusal) and again to every
address the host resolves to just before each delivery (`check_resolved`), so a name
that later points at the server itself is not followed.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse

from django.conf import settings
from django.utils.translation import gettext as _

URL_LIMIT = 500


class TargetRefused(ValueError):
    """The URL or the address it resolves to is not allowed; the message is Chinese."""


def _local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


def _refuse_local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if _local(address) and not settings.WEBHOOK_ALLOW_LOCAL:
        raise TargetRefused(
            _("不能向本机、链路本地或保留地址（%(address)s）发送事件推送。") % {"address": address}
        )


def check_url(url: str) -> str:
    """The URL, cleaned, or `TargetRefused` saying what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise TargetRefused(_("请填写接收地址。"))
    if len(url) > URL_LIMIT:
        raise TargetRefused(_("接收地址过长（不超过%(limit)s个字符）。") % {"limit": URL_LIMIT})
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise TargetRefused(_("接收地址不能包含空格或控制字符。"))
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(_("接收地址格式不正确。")) from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(_("接收地址必须以 http:// 或 https:// 开头。"))
    if not parts.hostname:
        raise TargetRefused(_("接收地址缺少主机名。"))
    if parts.username or parts.password:
        raise TargetRefused(_("接收地址中不能包含用户名或密码，请改用签名密钥验证。"))
    if port == 0:
        raise TargetRefused(_("接收地址的端口无效。"))
    if parts.fragment:
        raise TargetRefused(_("接收地址不能包含“#”片段。"))
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
            _refuse_local(ipaddress.ip_address("127.0.0.1"))
        elif not all(label and len(label) <= 63 for label in host.split(".")):
            raise TargetRefused(_("接收地址的主机名格式不正确。")) from None
    else:
        _refuse_local(literal)
    return url


def check_resolved(url: str) -> None:
    """Refuse (`TargetRefused`) a URL whose host now resolves to a local address."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise TargetRefused(
            _("无法解析主机名 %(host)s：%(error)s") % {"host": host, "error": error}
        ) from None
    for _family, _type, _proto, _name, address in found:
        _refuse_local(ipaddress.ip_address(str(address[0]).split("%")[0]))
