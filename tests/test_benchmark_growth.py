"""The benchmark's growth report (benchmarks/pages.py --growth): each page's median
against the same page's in a table printed on a smaller database, the pages over the
budget (2x) and those whose query count differs."""

from __future__ import annotations

import http.server
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pages_benchmark", ROOT / "benchmarks/pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SMALL = """# duban pages on postgresql: 10000 items, 2026-12-07 08:00
| persona | page | status | queries | median ms | p95 ms | baseline ms, ratio |
|---|---|---|---|---|---|---|
| office | `/` | 200 | 9 | 20 | 21 |   |
| office | `/items/?light=red` | 200 | 9 | 10 | 12 | 4 2.5× |
| office | `/items/5313/` | 200 | 20 | 30 | 31 |   |
| office | `/reports/` | 302 | | | | |
| leader | `/supervision/attention/` | 403 | | | | |
"""


def test_growth_compares_each_page_with_the_smaller_run(tmp_path: Path) -> None:
    pages = benchmark()
    table = tmp_path / "10k.txt"
    table.write_text(SMALL, encoding="utf-8")
    items, rows = pages.read_table(str(table))
    assert items == "10000 items"
    assert rows == {
        ("office", "/"): (9, 20.0),
        ("office", "/items/?light=red"): (9, 10.0),
        ("office", "/items/{item}/"): (20, 30.0),
    }
    here = [
        pages.Row("office", "/", 200, 9, 39.0, 40.0),  # 1.95x: within
        pages.Row("office", "/items/?light=red", 200, 9, 25.0, 26.0),  # 2.5x: over
        pages.Row("office", "/items/76213/", 200, 21, 45.0, 50.0),  # another item, 1.5x
        pages.Row("office", "/reports/", 302, 0, 0, 0),  # not a page of the table
        pages.Row("office", "/inbox/", 200, 4, 9.0, 9.0),  # not measured there
    ]
    report = pages.growth(here, str(table))
    assert "| office | `/items/?light=red` | 9, 9 | 10, 25 | 2.5× **over** |" in report
    assert "| office | `/` | 9, 9 | 20, 39 | 1.9× |" in report
    assert "| office | `/items/76213/` | 20, 21 | 30, 45 | 1.5× |" in report
    assert not any("/inbox/" in line or "/reports/" in line for line in report)
    assert report[-1] == (
        f"\nGrowth from {table} (10000 items): 1 of 3 pages more than 2×; query count differs on 1"
    )


def test_throughput_hammers_the_servers_in_turn(monkeypatch: Any) -> None:
    """The throughput run (--throughput) warms each server up, then takes turns: every
    round asks each server for its share of the seconds, and each rate is that
    server's answered requests over the time they took, all rounds together."""
    pages = benchmark()
    monkeypatch.setattr(pages, "WARM_UP_SECONDS", 0.2)
    seen: list[str] = []

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.protocol_version = "HTTP/1.1"
    Answer.protocol_version = "HTTP/1.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        first, second = pages.rates([(port, "/a", ""), (port, "/b", "")], 2, 0.8, 2)
    finally:
        server.shutdown()
        server.server_close()
    assert first > 0 and second > 0
    # Warm-ups (a, b), then two rounds of a then b: the path changes four times.
    turns = [path for index, path in enumerate(seen) if index == 0 or seen[index - 1] != path]
    assert turns == ["/a", "/b", "/a", "/b", "/a", "/b"]
