"""benchmarks/compare.py: two versions of the system serve one page in alternating
batches, and the CPU per request of each is printed with the difference."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def compare_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compare_benchmark", ROOT / "benchmarks/compare.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_the_report_gives_each_sides_times_and_cpu_and_compares_the_first_with_the_second() -> None:
    compare = compare_module()
    new, old = compare.Cost(), compare.Cost()
    new.add(0.30, 0.10, [10.0, 30.0] * 10)  # 15 + 5 ms of CPU a request
    new.add(0.30, 0.10, [20.0] * 20)
    old.add(0.80, None, [40.0] * 39 + [90.0])  # 20 ms, the database not measured
    lines = compare.report({"new": new, "old": old})
    assert lines[2:] == [
        "| new | 20.0 | 30.0 | 15.00 | 5.00 |",
        "| old | 40.0 | 40.0 | 20.00 |  |",
        "CPU difference: +0.00 ms a request (+0.0%)",
        "median ratio: 0.50×",
    ]
    faster = compare.Cost()
    faster.add(0.32, None, [8.0] * 40)  # 8 ms of CPU against 20
    assert compare.report({"faster": faster, "old": old})[-2:] == [
        "CPU difference: -12.00 ms a request (-60.0%)",
        "median ratio: 0.20×",
    ]


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite run")
def test_two_versions_serve_the_page_in_turns(tmp_path: Path) -> None:
    # This tree against a copy of itself, on the demo's database in a file of its own.
    database = tmp_path / "demo.sqlite3"
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "1",
    }
    for command in (["migrate", "-v0"], ["demo", "--organisation-only"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
    other = tmp_path / "other"
    other.mkdir()
    (other / "duban").symlink_to(ROOT / "duban")
    del environment["DEBUG"]  # the benchmark runs with production settings
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/compare.py",
            "--tree",
            str(other),
            "--persona",
            "liaison",
            "--batches",
            "2",
            "--requests",
            "3",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "# /items/ as jwc_liaison: 2 alternating batches of 3 requests"
    rows = [line.split(" | ") for line in lines[3:5]]
    assert [row[0] for row in rows] == [f"| {ROOT}, demo.sqlite3", f"| {other}, demo.sqlite3"]
    for row in rows:
        median, p95, python, database = float(row[1]), float(row[2]), float(row[3]), row[4]
        assert 0 < median <= p95
        assert python > 0
        assert database == " |"  # SQLite: no server process to read
    assert lines[5].startswith("CPU difference: ")
    assert lines[6].startswith("median ratio: ")
