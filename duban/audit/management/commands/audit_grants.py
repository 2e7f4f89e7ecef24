"""`python manage.py audit_grants --app-role ROLE [--apply]`: the privileges of the
application's database role, for a deployment where that role does not own the audit
tables (docs/deployment.md, "The audit log").

Migrations run as the owner role. The application connects as ROLE, which may read and
write every table but may only append to the audit log: no UPDATE, DELETE or TRUNCATE of
its events, no DELETE or TRUNCATE of its head (whose UPDATE the trigger lets move only
forward), and, not owning the tables, it cannot switch their triggers off. Without
`--apply` the statements are printed for the database administrator; with it they are
run on the configured database (as the owner). Run it again after each `migrate`.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
AUDIT_TABLES = ("audit_auditevent", "audit_audithead")


def grant_statements(role: str, database: str) -> list[str]:
    if not ROLE_NAME.fullmatch(role):
        raise CommandError(f"not a plain role name (lower case letters, digits, _): {role!r}")
    quoted_database = '"' + database.replace('"', '""') + '"'
    return [
        f"GRANT CONNECT ON DATABASE {quoted_database} TO {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The audit log: append only.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM {role}",
        f"REVOKE DELETE, TRUNCATE ON audit_audithead FROM {role}",
        "REVOKE ALL ON audit_auditevent, audit_audithead FROM PUBLIC",
    ]


class Command(BaseCommand):
    help = "Print (or apply) the database privileges of the application role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="the role the application uses")
        parser.add_argument("--apply", action="store_true", help="run the statements now")

    def handle(self, *args: Any, app_role: str, apply: bool = False, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("audit_grants is for PostgreSQL; SQLite has no roles")
        statements = grant_statements(app_role, connection.settings_dict["NAME"])
        if not apply:
            for statement in statements:
                self.stdout.write(statement + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role])
            if cursor.fetchone() is None:
                raise CommandError(f"role {app_role} does not exist: CREATE ROLE it first")
            cursor.execute(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [app_role]
            )
            if cursor.fetchone()[0]:
                raise CommandError(f"role {app_role} is a superuser: it could switch triggers off")
            cursor.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = ANY(%s)", [list(AUDIT_TABLES)]
            )
            if any(owner == app_role for (owner,) in cursor.fetchall()):
                raise CommandError(
                    f"role {app_role} owns the audit tables; run migrate as another role"
                )
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"granted: {app_role} may append to the audit log, not change it")
