"""Settings come from the environment and fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789"
GOOD_AUDIT_KEY = "audit-key-of-the-deploy-check-0123456789abcdef"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "AUDIT_KEY"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_debug_off() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=GOOD_SECRET,
        AUDIT_KEY=GOOD_AUDIT_KEY,
        ALLOWED_HOSTS="duban.example.edu.cn",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"DEBUG": "0", "ALLOWED_HOSTS": "a.example"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "short", "ALLOWED_HOSTS": "a.example"}, "at least 50"),
        ({"DEBUG": "0", "SECRET_KEY": GOOD_SECRET}, "ALLOWED_HOSTS must be set"),
        (
            {"DEBUG": "0", "SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "a.example"},
            "AUDIT_KEY must be set when DEBUG is off",
        ),
        (
            {
                "DEBUG": "0",
                "SECRET_KEY": GOOD_SECRET,
                "ALLOWED_HOSTS": "a.example",
                "AUDIT_KEY": "short",
            },
            "AUDIT_KEY must be at least 32",
        ),
        ({"DEBUG": "1", "DATABASE_URL": "nonsense://"}, "DATABASE_URL is not a valid"),
    ],
)
def test_bad_settings_fail_loudly(env: dict[str, str], message: str) -> None:
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_time_zone_and_language() -> None:
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
