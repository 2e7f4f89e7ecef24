"""The worker beside the development server: `manage.py serve` starts
`manage.py run_worker` as a child process and stops it when the server stops."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from types import FrameType

from django.conf import settings

STOP_TIMEOUT = 10


def start_worker() -> subprocess.Popen[bytes]:
    """Start `manage.py run_worker` with this process's environment."""
    return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        # Quiet beside the development server; a production worker logs each task.
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "run_worker", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Ask the worker to finish its task and exit; kill it if it will not."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


@contextlib.contextmanager
def worker_alongside() -> Iterator[subprocess.Popen[bytes]]:
    """Run the block with a worker beside it; the worker stops when the block ends,
    also when this process is told to terminate (SIGTERM) or interrupted (Ctrl+C)."""
    worker = start_worker()
    # Python's default SIGTERM ends the process without unwinding; exit instead, so
    # the `finally` below stops the worker.
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield worker
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_worker(worker)
