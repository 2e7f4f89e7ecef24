"""A webhook receiver on 127.0.0.1 (http.server in a thread), like the platforms'
stand-in (tests/platform_standin.py): it checks each delivery's signature the way
docs/api.md tells receivers to, records what it got, and answers as told — 200, a
status such as 500, or nothing at all until the sender's timeout (`hang`, which
waits on an event, never on the clock).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The receiver's side, written apart from duban.hooks.signing on purpose."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.secret = ""
        self.status = 200
        self.hang = False
        self.released = threading.Event()
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                timestamp = self.headers.get("X-Duban-Timestamp", "")
                signed = self.headers.get("X-Duban-Signature", "")
                with receiver.lock:
                    valid = bool(receiver.secret) and hmac.compare_digest(
                        expected_signature(receiver.secret, timestamp, body), signed
                    )
                    receiver.received.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers.items()),
                            "body": body,
                            "json": json.loads(body.decode()),
                            "valid": valid,
                        }
                    )
                    hang, status = receiver.hang, receiver.status
                if hang:
                    receiver.released.wait(30)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/duban/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def got(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received)


@contextlib.contextmanager
def running() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        receiver.server.shutdown()
        receiver.server.server_close()
