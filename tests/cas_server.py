"""A real CAS server for the tests: django-cas-server in its own process on loopback.

`start_cas_server(directory, users)` writes a tiny Django project for it into
`directory` (settings, urls, an SQLite database), creates its users (username = the
person's 工号, and a password), lets every service on loopback and on `testserver`
(Django's test client) ask for tickets with single logout, and runs it with
`manage.py runserver --noreload` on a free port. Nothing is mocked: duban validates
the tickets against this server over HTTP, and the server posts its single-logout
requests back to duban's service URL.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

SETTINGS = """
SECRET_KEY = "cas-test-server-only"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "cas_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": %(database)r}}
STATIC_URL = "/static/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CAS_AUTH_CLASS = "cas_server.auth.DjangoAuthUser"
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
CAS_SLO_TIMEOUT = 10
"""

URLS = """
from django.urls import include, path

urlpatterns = [path("cas/", include("cas_server.urls", namespace="cas_server"))]
"""

SETUP = """
import sys
from django.contrib.auth.models import User
from cas_server.models import ServicePattern

for username, password in zip(sys.argv[1::2], sys.argv[2::2]):
    User.objects.create_user(username=username, password=password)
ServicePattern.objects.create(
    pos=1,
    name="duban",
    pattern=r"^http://(testserver|localhost|127\\.0\\.0\\.1)(:\\d+)?/.*$",
    single_log_out=True,
)
"""


@dataclass
class CasServer:
    url: str  # e.g. http://127.0.0.1:41234/cas/

    def ticket_for(self, username: str, password: str, service: str) -> str:
        """Sign in at the CAS server as a browser would and return the service URL
        with the ticket the server redirects to."""
        session = requests.Session()
        page = session.get(self.url + "login", params={"service": service}, timeout=10)
        page.raise_for_status()
        answer = session.post(
            self.url + "login",
            params={"service": service},
            data={
                "username": username,
                "password": password,
                "lt": hidden_value(page.text, "lt"),
                "service": service,
                "csrfmiddlewaretoken": hidden_value(page.text, "csrfmiddlewaretoken"),
            },
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1) if match else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def start_cas_server(directory: Path, users: Mapping[str, str]) -> Iterator[CasServer]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cas_settings.py").write_text(
        SETTINGS % {"database": str(directory / "cas.sqlite3")}
    )
    (directory / "cas_urls.py").write_text(URLS)
    (directory / "setup_users.py").write_text(SETUP)
    (directory / "manage.py").write_text(
        "import sys\nfrom django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    env.update(DJANGO_SETTINGS_MODULE="cas_settings", PYTHONPATH=str(directory))
    manage = [sys.executable, str(directory / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=directory, env=env, check=True)
    pairs = [value for pair in users.items() for value in pair]
    subprocess.run(
        [
            *manage,
            "shell",
            "-v",
            "0",
            "-c",
            f"import sys; sys.argv = ['x', *{pairs!r}]; "
            f"exec(open({str(directory / 'setup_users.py')!r}).read())",
        ],
        cwd=directory,
        env=env,
        check=True,
    )
    port = free_port()
    log = (directory / "server.log").open("w")
    process = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=directory,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/cas/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "login", timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the CAS server did not start: " + (directory / "server.log").read_text()
                    ) from None
                time.sleep(0.1)
        yield CasServer(url=url)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
