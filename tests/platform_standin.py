"""A stand-in for the 企业微信 and 钉钉 open APIs, on 127.0.0.1 (http.server in a thread).

The clouds cannot run here (no network), so tests talk to this small real HTTP
server instead. It speaks the documented request and response shapes of the calls
duban makes, and records every request it receives:

企业微信 (developer.work.weixin.qq.com):
- GET  /cgi-bin/gettoken?corpid=…&corpsecret=…  → access_token, expires_in 7200
- POST /cgi-bin/user/getuserid?access_token=…  {"mobile"} → {"userid"}; 46004 if unknown
- POST /cgi-bin/message/send?access_token=…  {"touser", "msgtype", "agentid", …}
  → msgid; 81013 with `invaliduser` when nobody it names exists
钉钉 (open.dingtalk.com):
- GET  /gettoken?appkey=…&appsecret=…  → access_token, expires_in 7200
- POST /topapi/v2/user/getbymobile?access_token=…  {"mobile"} → {"result": {"userid"}};
  60121 if unknown
- POST /topapi/message/corpconversation/asyncsend_v2?access_token=…
  {"agent_id", "userid_list", "msg"} → task_id

Tokens: an unknown one answers 40014 (不合法的access_token); an expired one answers
企业微信 42001, 钉钉 88 with sub_code 40014. `expire_next_send` expires the token of
the next message sent; `rate_limit_sends = n` answers the next n sends with the rate
limit (企业微信 45009, 钉钉 90018).
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WECOM_CORP_ID = "ww-test-corp"
WECOM_SECRET = "wecom-test-secret"
WECOM_AGENT_ID = 1000002
DINGTALK_APP_KEY = "ding-test-key"
DINGTALK_APP_SECRET = "ding-test-secret"
DINGTALK_AGENT_ID = 2000003

WECOM_SEND = "/cgi-bin/message/send"
DINGTALK_SEND = "/topapi/message/corpconversation/asyncsend_v2"


class PlatformStandIn:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.tokens: dict[str, str] = {}  # token → platform
        self.expired: set[str] = set()
        self.wecom_users: dict[str, str] = {}  # mobile → userid
        self.dingtalk_users: dict[str, str] = {}
        self.expire_next_send = False
        self.rate_limit_sends = 0
        self.serial = 0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.answer(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.answer(json.loads(self.rfile.read(length).decode() or "{}"))

            def answer(self, body: dict[str, Any] | None) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                reply = standin.handle(self.command, url.path, query, body)
                with standin.lock:
                    standin.requests.append(
                        {
                            "method": self.command,
                            "path": url.path,
                            "query": query,
                            "json": body,
                            "content_type": self.headers.get("Content-Type"),
                            "reply": reply,
                        }
                    )
                data = json.dumps(reply, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ what was received

    def to(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [request for request in self.requests if request["path"] == path]

    def delivered(self, path: str) -> list[dict[str, Any]]:
        """The messages the platform accepted (errcode 0)."""
        return [r["json"] for r in self.to(path) if r["reply"]["errcode"] == 0]

    def answered(self, path: str, errcode: int) -> int:
        return sum(1 for r in self.to(path) if r["reply"]["errcode"] == errcode)

    # ------------------------------------------------------------------ the API

    def handle(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None
    ) -> dict[str, Any]:
        with self.lock:
            self.serial += 1
            serial = self.serial
            if path == "/cgi-bin/gettoken" and method == "GET":
                if (query.get("corpid"), query.get("corpsecret")) != (WECOM_CORP_ID, WECOM_SECRET):
                    return {"errcode": 40001, "errmsg": "invalid credential"}
                return self.issue("wecom", serial)
            if path == "/gettoken" and method == "GET":
                if (query.get("appkey"), query.get("appsecret")) != (
                    DINGTALK_APP_KEY,
                    DINGTALK_APP_SECRET,
                ):
                    return {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
                return self.issue("dingtalk", serial)
            platform = "dingtalk" if path.startswith("/topapi/") else "wecom"
            refused = self.check_token(platform, query.get("access_token", ""))
            if refused:
                return refused
            if method != "POST" or body is None:
                return {"errcode": 40008, "errmsg": "invalid request"}
            if path in (WECOM_SEND, DINGTALK_SEND):
                if self.expire_next_send:
                    self.expire_next_send = False
                    self.expired.add(query["access_token"])
                    return self.expired_answer(platform)
                if self.rate_limit_sends > 0:
                    self.rate_limit_sends -= 1
                    if platform == "wecom":
                        return {"errcode": 45009, "errmsg": "api freq out of limit"}
                    return {"errcode": 90018, "errmsg": "当前企业调用该接口的频率超过限制"}
            if path == "/cgi-bin/user/getuserid":
                userid = self.wecom_users.get(str(body.get("mobile")))
                if userid is None:
                    return {"errcode": 46004, "errmsg": "user no exist"}
                return {"errcode": 0, "errmsg": "ok", "userid": userid}
            if path == "/topapi/v2/user/getbymobile":
                userid = self.dingtalk_users.get(str(body.get("mobile")))
                if userid is None:
                    return {"errcode": 60121, "errmsg": "找不到该用户", "request_id": f"r{serial}"}
                return {
                    "errcode": 0,
                    "errmsg": "ok",
                    "result": {"userid": userid},
                    "request_id": f"r{serial}",
                }
            if path == WECOM_SEND:
                return self.wecom_send(body, serial)
            if path == DINGTALK_SEND:
                return self.dingtalk_send(body, serial)
            return {"errcode": 404, "errmsg": "请求的URI地址不存在"}

    def issue(self, platform: str, serial: int) -> dict[str, Any]:
        token = f"{platform}-token-{serial}"
        self.tokens[token] = platform
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def check_token(self, platform: str, token: str) -> dict[str, Any] | None:
        if self.tokens.get(token) != platform:
            if platform == "wecom":
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            return {"errcode": 40014, "errmsg": "不合法的access_token"}
        if token in self.expired:
            return self.expired_answer(platform)
        return None

    def expired_answer(self, platform: str) -> dict[str, Any]:
        if platform == "wecom":
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return {
            "errcode": 88,
            "sub_code": "40014",
            "sub_msg": "不合法的access_token",
            "errmsg": "ding talk error[subcode=40014,submsg=不合法的access_token]",
        }

    def wecom_send(self, body: dict[str, Any], serial: int) -> dict[str, Any]:
        if body.get("agentid") != WECOM_AGENT_ID or body.get("msgtype") not in body:
            return {"errcode": 40008, "errmsg": "invalid message type"}
        known = set(self.wecom_users.values())
        named = str(body.get("touser", "")).split("|")
        invalid = [userid for userid in named if userid not in known]
        if len(invalid) == len(named):
            return {
                "errcode": 81013,
                "errmsg": "user & party & tag all invalid",
                "invaliduser": "|".join(invalid),
            }
        return {
            "errcode": 0,
            "errmsg": "ok",
            "invaliduser": "|".join(invalid),
            "invalidparty": "",
            "invalidtag": "",
            "unlicenseduser": "",
            "msgid": f"msg-{serial}",
        }

    def dingtalk_send(self, body: dict[str, Any], serial: int) -> dict[str, Any]:
        msg = body.get("msg") or {}
        if body.get("agent_id") != DINGTALK_AGENT_ID or msg.get("msgtype") not in msg:
            return {"errcode": 400002, "errmsg": "无效的参数"}
        if not body.get("userid_list"):
            return {"errcode": 400002, "errmsg": "userid_list 不能为空"}
        return {"errcode": 0, "errmsg": "ok", "task_id": serial, "request_id": f"r{serial}"}


@contextlib.contextmanager
def running_standin(settings: Any) -> Iterator[PlatformStandIn]:
    """The stand-in, running, with both platforms' settings pointing at it (pass
    pytest-django's `settings` fixture)."""
    from django.core.cache import cache

    server = PlatformStandIn()
    server.thread.start()
    settings.WECOM_CORP_ID = WECOM_CORP_ID
    settings.WECOM_SECRET = WECOM_SECRET
    settings.WECOM_AGENT_ID = str(WECOM_AGENT_ID)
    settings.WECOM_API_BASE = server.url
    settings.DINGTALK_APP_KEY = DINGTALK_APP_KEY
    settings.DINGTALK_APP_SECRET = DINGTALK_APP_SECRET
    settings.DINGTALK_AGENT_ID = str(DINGTALK_AGENT_ID)
    settings.DINGTALK_API_BASE = server.url
    settings.SITE_URL = "https://duban.example.edu.cn"
    cache.clear()  # no token from another test's stand-in
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=10)
