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
        *(
            (
                {
                    "DEBUG": "1",
                    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/duban",
                    "DB_RANDOM_PAGE_COST": cost,
                },
                "DB_RANDOM_PAGE_COST must be a positive number or 'server'",
            )
            for cost in ("cheap", "0", "-1", "nan")
        ),
        *(
            (
                {
                    "DEBUG": "1",
                    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/duban",
                    "DB_PARALLEL_WORKERS": workers,
                },
                "DB_PARALLEL_WORKERS must be a whole number or 'server'",
            )
            for workers in ("many", "-1", "1.5", "２")
        ),
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


def _setting(name: str, **env: str) -> str:
    """A planner setting of a connection made with these settings (PostgreSQL)."""
    from django.db import connection

    database_url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        f"    cursor.execute('SHOW {name}')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "duban.settings",
            "DEBUG": "1",
            "DATABASE_URL": database_url,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def _page_cost(**env: str) -> str:
    return _setting("random_page_cost", **env)


@pytest.mark.django_db
def test_connections_price_random_reads_as_on_ssd() -> None:
    """Each PostgreSQL connection sets random_page_cost: 1.1 unless told otherwise,
    `server` keeps the server's own, a number sets that number."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with connection.cursor() as cursor:  # this test's own connection, from the settings
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
    assert _page_cost() == "1.1"
    assert _page_cost(DB_RANDOM_PAGE_COST="2") == "2"
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"]
    ) as plain:  # a connection without the project's options: the server's own value
        server_value = plain.execute("SHOW random_page_cost").fetchone()[0]
    assert server_value != "1.1"
    assert _page_cost(DB_RANDOM_PAGE_COST="server") == server_value


@pytest.mark.django_db
def test_connections_start_no_parallel_workers_unless_told() -> None:
    """Each PostgreSQL connection sets max_parallel_workers_per_gather: 0 unless told
    otherwise (DB_PARALLEL_WORKERS), `server` keeps the server's own."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
    name = "max_parallel_workers_per_gather"
    assert _setting(name) == "0"
    assert _setting(name, DB_PARALLEL_WORKERS="3") == "3"
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"]
    ) as plain:
        server_value = plain.execute(f"SHOW {name}").fetchone()[0]
    assert server_value != "0"
    assert _setting(name, DB_PARALLEL_WORKERS="server") == server_value
    # The other setting travels beside it.
    assert _setting("random_page_cost", DB_PARALLEL_WORKERS="2") == "1.1"
