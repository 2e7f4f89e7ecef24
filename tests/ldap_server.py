"""A real OpenLDAP server for the tests: Debian's slapd in its own process on loopback,
with its own temporary slapd.conf and database (tests/test_sync_org_ldap.py).

Tests skip with the reason when slapd is not installed (`make system-deps` installs
it; CI does)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
SUFFIX = "dc=example,dc=edu,dc=cn"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd-test-only"

CONFIG = """
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
modulepath {modules}
moduleload back_mdb
pidfile {directory}/slapd.pid
argsfile {directory}/slapd.args
database mdb
maxsize 67108864
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {directory}/data
"""


def slapd_installed() -> bool:
    return Path(SLAPD).exists() and (SCHEMA / "inetorgperson.schema").exists()


@dataclass
class LdapServer:
    url: str

    def connect(self):  # type: ignore[no-untyped-def]
        import ldap3

        return ldap3.Connection(
            ldap3.Server(self.url.rstrip("/")), user=ROOT_DN, password=ROOT_PASSWORD, auto_bind=True
        )


@contextmanager
def start_slapd(directory: Path, port: int) -> Iterator[LdapServer]:
    import ldap3

    (directory / "data").mkdir(parents=True)
    config = directory / "slapd.conf"
    config.write_text(
        CONFIG.format(
            schema=SCHEMA,
            modules=MODULES,
            directory=directory,
            suffix=SUFFIX,
            root_dn=ROOT_DN,
            root_password=ROOT_PASSWORD,
        )
    )
    url = f"ldap://127.0.0.1:{port}/"
    log = (directory / "slapd.log").open("w")
    # -d 0: stay in the foreground (so the fixture owns the process), logging nothing.
    process = subprocess.Popen(
        [SLAPD, "-d", "0", "-f", str(config), "-h", url], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server = LdapServer(url)
                connection = server.connect()
                break
            except ldap3.core.exceptions.LDAPException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "slapd did not start: " + (directory / "slapd.log").read_text()
                    ) from None
                time.sleep(0.1)
        connection.add(SUFFIX, ["dcObject", "organization"], {"o": "示例大学", "dc": "example"})
        for ou in ("units", "people"):
            connection.add(f"ou={ou},{SUFFIX}", ["organizationalUnit"], {"ou": ou})
        connection.unbind()
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
