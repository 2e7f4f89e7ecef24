"""A scale dataset for measuring pages at 100,000 items (`manage.py seed_scale`).

It adds to the demo university (loaded first when the database is empty): more units up
to `UNIT_COUNT`, about 30 people each, and `items` items spread over the last three
years, the three kinds, every state and every light, with cooperating units, feedback,
urges, extension requests, notices and `events` audit events that form a valid hash
chain (`verify_audit` says ok).

Rows are written in bulk (COPY on PostgreSQL, bulk inserts on SQLite) with a seeded
random generator: the same `seed` gives the same data. It is test data, written around
the actions on purpose (the actions' rules would take hours at this size); nothing
here is used by the system itself.

It refuses a database holding anything but the demo and earlier scale data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from duban import clock
from duban.audit.chain import GENESIS, event_hash, head_signature, key_id
from duban.audit.models import AuditEvent, AuditHead
from duban.items.models import (
    LEDGER_PREFIX,
    SOURCE_BODIES,
    Confidentiality,
    DeadlineRule,
    ExtensionApprover,
    ExtensionRequest,
    ExtensionStatus,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Item,
    LedgerCounter,
    Notice,
    SourceKind,
    Urge,
    UrgeChannel,
)
from duban.items.states import Status
from duban.organisation import demo
from duban.organisation.models import Role, Unit, UnitKind, User

UNIT_COUNT = 100
PEOPLE_PER_UNIT = 36
SCALE_CODE_PREFIX = "S"  # the scale units' codes: S001, S002, ...
SCALE_USER_PREFIX = "scale_"
BATCH = 5000

TITLES = (
    "推进{n}号专项工作落实",
    "完善{n}项管理制度",
    "落实校长办公会第{n}项决定",
    "开展第{n}批专项检查整改",
    "建设{n}号信息化平台",
    "组织{n}期专题培训",
)
CONTENT = (
    "按照会议决定和工作要点要求，制定工作方案，明确责任分工和时间节点，按期完成并报送办理情况。"
)
FEEDBACK = "已完成阶段性工作，正在按计划推进，下一步将加强协调，确保按期完成。"


class RefusedDatabase(Exception):
    """The database holds data that is neither the demo nor scale data."""


@dataclass
class Progress:
    write: Callable[[str], None]

    def __call__(self, what: str, done: int, total: int) -> None:
        self.write(f"{what}: {done}/{total}")


def check_database() -> None:
    """Scale data goes only into an empty database, the demo, or earlier scale data."""
    units = Unit.objects.exclude(code__startswith=SCALE_CODE_PREFIX)
    if units.exists() and not demo.is_loaded():
        raise RefusedDatabase("the database holds real units; seed_scale only adds to the demo")
    demo_units = demo.demo_unit_codes()
    if units.exclude(code__in=demo_units).exists():
        raise RefusedDatabase("the database holds units that are not the demo's")


# ----------------------------------------------------------------------------- writing


def _defaults(model: type[models.Model], given: Sequence[str]) -> dict[str, Any]:
    """The values Django would fill in for the fields a row leaves out (COPY does not)."""
    now = timezone.now()
    values: dict[str, Any] = {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in given or model_field.attname in given:
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            values[model_field.attname] = now
        elif model_field.has_default():
            values[model_field.attname] = _json(model_field.get_default())
        elif not model_field.null:
            values[model_field.attname] = ""
        else:
            values[model_field.attname] = None
    return values


def _copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert rows: COPY on PostgreSQL, bulk inserts elsewhere. Returns the count."""
    table = model._meta.db_table
    count = 0
    if connection.vendor == "postgresql":
        extra = _defaults(model, fields)
        names = [*fields, *extra]
        columns = [str(model._meta.get_field(name).column) for name in fields] + list(extra)  # type: ignore[union-attr]
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        tail = tuple(extra.values())
        assert len(names) == len(columns)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *tail))
                    count += 1
        return count
    batch: list[models.Model] = []
    for row in rows:
        batch.append(model(**dict(zip(fields, row, strict=True))))
        count += 1
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)  # type: ignore[attr-defined]
            batch = []
    if batch:
        model.objects.bulk_create(batch)  # type: ignore[attr-defined]
    return count


def _json(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if connection.vendor == "postgresql" else value


# ----------------------------------------------------------------------------- the seed


class Seeder:
    def __init__(self, *, items: int, events: int, seed: int, progress: Progress) -> None:
        self.item_count = items
        self.event_count = events
        self.random = random.Random(seed)
        self.progress = progress
        self.now = clock.now()
        self.today = clock.today()

    # -- organisation -----------------------------------------------------------

    def organisation(self) -> None:
        if not demo.is_loaded():
            demo.load(items=False)
            self.progress("demo organisation", 1, 1)
        existing = Unit.objects.count()
        password = make_password(demo.DEMO_PASSWORD)
        leaders = list(User.objects.filter(role=Role.SCHOOL_LEADER).order_by("pk"))
        created = 0
        for number in range(existing + 1, UNIT_COUNT + 1):
            code = f"{SCALE_CODE_PREFIX}{number:03d}"
            if Unit.objects.filter(code=code).exists():
                continue
            kind = UnitKind.SCHOOL if number % 2 else UnitKind.DEPARTMENT
            suffix = "学院" if kind == UnitKind.SCHOOL else "处"
            unit = Unit.objects.create(code=code, name=f"第{number}{suffix}", kind=kind)
            people = [
                User(
                    username=f"{SCALE_USER_PREFIX}{number:03d}_{index:02d}",
                    password=password,
                    full_name=f"{unit.name}{index:02d}号",
                    role=Role.UNIT_HEAD
                    if index == 0
                    else Role.LIAISON
                    if index == 1
                    else Role.UNIT_MEMBER,
                    unit=unit,
                    title="",
                )
                for index in range(PEOPLE_PER_UNIT)
            ]
            User.objects.bulk_create(people)
            head, liaison = (
                User.objects.get(username=f"{SCALE_USER_PREFIX}{number:03d}_{index:02d}")
                for index in (0, 1)
            )
            unit.head, unit.liaison = head, liaison
            unit.leader_in_charge = leaders[number % len(leaders)] if leaders else None
            unit.save(update_fields=["head", "liaison", "leader_in_charge", "updated_at"])
            created += 1
        self.progress("units", Unit.objects.count(), UNIT_COUNT)

    # -- items ------------------------------------------------------------------

    def items(self) -> None:
        rnd = self.random
        units = list(
            Unit.objects.filter(kind__in=(UnitKind.SCHOOL, UnitKind.DEPARTMENT), is_active=True)
            .exclude(liaison=None)
            .order_by("pk")
        )
        offices = {
            unit.kind: unit for unit in Unit.objects.filter(kind__in=list(OFFICE_OF.values()))
        }
        supervisors: dict[int, list[int]] = {}
        for user_id, unit_id in User.objects.filter(role=Role.OFFICE_SUPERVISOR).values_list(
            "pk", "unit_id"
        ):
            supervisors.setdefault(unit_id, []).append(user_id)
        leaders = list(User.objects.filter(role=Role.SCHOOL_LEADER).values_list("pk", flat=True))
        years = [self.today.year - 2, self.today.year - 1, self.today.year]
        counters = {
            (c.year, c.source_kind): c.last_number
            for c in LedgerCounter.objects.filter(year__in=years)
        }
        first_id = (Item.objects.aggregate(models.Max("pk"))["pk__max"] or 0) + 1
        self.first_item_id = first_id
        self.items_made: list[tuple[int, int, str, int, str]] = []  # id, lead, status, office, conf
        fields = [
            "id", "ledger_number", "year", "serial", "title", "content", "basis", "source_kind",
            "source_body", "minutes_issued_on", "deciding_leader_id", "decided_on",
            "deadline_rule", "deadline_reason", "original_deadline", "deadline",
            "deadline_provisional", "confidentiality", "urgent", "lead_unit_id",
            "supervising_office_id", "supervisor_id", "status", "established_at",
            "assigned_at", "signed_at", "submitted_at", "completed_at", "terminated_at",
            "last_feedback_at", "created_by_id", "created_at", "updated_at",
        ]  # fmt: skip
        cooperating: list[tuple[int, int]] = []

        def rows() -> Iterable[Sequence[Any]]:
            for index in range(self.item_count):
                item_id = first_id + index
                year = years[min(2, int(rnd.random() ** 0.7 * 3))]
                kind = rnd.choices(
                    (SourceKind.MEETING, SourceKind.ANNUAL, SourceKind.OTHER), (6, 2, 2)
                )[0]
                counters[(year, kind)] = serial = counters.get((year, kind), 0) + 1
                body = rnd.choice(SOURCE_BODIES[kind])
                conf = rnd.choices(
                    (
                        Confidentiality.ORDINARY,
                        Confidentiality.SENSITIVE,
                        Confidentiality.DISCIPLINE,
                        Confidentiality.CLASSIFIED,
                    ),
                    (90, 6, 2, 2),
                )[0]
                office = offices[OFFICE_OF[conf]]
                supervisor = rnd.choice(supervisors[office.pk])
                lead = rnd.choice(units)
                established = self._moment(year, rnd)
                span = rnd.randint(10, 120)
                deadline = (
                    dt.date(year, 12, 31)
                    if kind == SourceKind.ANNUAL
                    else timezone.localdate(established) + dt.timedelta(days=span)
                )
                status = self._status(established, deadline, rnd)
                assigned = (
                    established + dt.timedelta(hours=2) if status != Status.ESTABLISHED else None
                )
                signed = (
                    established + dt.timedelta(days=1)
                    if status not in (Status.ESTABLISHED, Status.ASSIGNED, Status.RETURNED)
                    else None
                )
                done_day = min(
                    self.now - dt.timedelta(hours=1),
                    established + dt.timedelta(days=rnd.randint(5, max(6, span + 20))),
                )
                submitted = done_day if status in REPORTED else None
                completed = done_day + dt.timedelta(hours=3) if status in COMPLETED else None
                completed = min(completed, self.now) if completed else None
                terminated = done_day if status == Status.TERMINATED else None
                leader = rnd.choice(leaders) if kind == SourceKind.OTHER and leaders else None
                self.items_made.append((item_id, lead.pk, status, supervisor, conf))
                for other in rnd.sample(units, rnd.choice((0, 0, 1, 1, 2, 3))):
                    if other.pk != lead.pk:
                        cooperating.append((item_id, other.pk))
                yield (
                    item_id,
                    f"{LEDGER_PREFIX[kind]}〔{year}〕第{serial:04d}号",
                    year,
                    serial,
                    rnd.choice(TITLES).format(n=index + 1),
                    CONTENT,
                    "校长办公会纪要",
                    kind,
                    body,
                    timezone.localdate(established) if kind == SourceKind.MEETING else None,
                    leader,
                    timezone.localdate(established) if leader else None,
                    RULE_OF[kind],
                    "",
                    deadline,
                    deadline,
                    False,
                    conf,
                    rnd.random() < 0.05,
                    lead.pk,
                    office.pk,
                    supervisor,
                    status,
                    established,
                    assigned,
                    signed,
                    submitted,
                    completed,
                    terminated,
                    signed,
                    supervisor,
                    established,
                    max(
                        x
                        for x in (established, assigned, signed, submitted, completed, terminated)
                        if x
                    ),
                )
                if (index + 1) % 20000 == 0:
                    self.progress("items", index + 1, self.item_count)

        _copy_rows(Item, fields, rows())
        self.progress("items", self.item_count, self.item_count)
        for (year, kind), last in counters.items():
            LedgerCounter.objects.update_or_create(
                year=year, source_kind=kind, defaults={"last_number": last}
            )
        through = Item.cooperating_units.through
        _copy_rows(through, ["item_id", "unit_id"], cooperating)
        self.progress("cooperating units", len(cooperating), len(cooperating))
        _reset_sequence(Item)

    def _moment(self, year: int, rnd: random.Random) -> dt.datetime:
        last = self.today if year == self.today.year else dt.date(year, 12, 20)
        day = dt.date(year, 1, 5) + dt.timedelta(
            days=rnd.randint(0, max(0, (last - dt.date(year, 1, 5)).days - 1))
        )
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9, rnd.randint(0, 59))))
        return min(moment, self.now - dt.timedelta(days=1))

    def _status(self, established: dt.datetime, deadline: dt.date, rnd: random.Random) -> str:
        age = (self.now - established).days
        if age > 200:
            return rnd.choices(
                (Status.ARCHIVED, Status.COMPLETED, Status.TERMINATED, Status.IN_PROGRESS),
                (50, 40, 5, 5),
            )[0]
        return rnd.choices(
            (
                Status.ESTABLISHED,
                Status.ASSIGNED,
                Status.RETURNED,
                Status.IN_PROGRESS,
                Status.SUBMITTED,
                Status.COMPLETED,
                Status.TERMINATED,
            ),
            (3, 6, 1, 45, 8, 35, 2),
        )[0]

    # -- what hangs off the items -----------------------------------------------

    def details(self) -> None:
        rnd = self.random
        unit_people = dict(Unit.objects.exclude(liaison=None).values_list("pk", "liaison_id"))
        heads = dict(Unit.objects.exclude(head=None).values_list("pk", "head_id"))
        feedback, urges, extensions, notices = [], [], [], []
        for item_id, lead, status, supervisor, _conf in self.items_made:
            liaison = unit_people[lead]
            moment = self.now - dt.timedelta(days=rnd.randint(1, 300))
            if status not in (Status.ESTABLISHED, Status.ASSIGNED, Status.RETURNED):
                for _ in range(rnd.randint(1, 3)):
                    feedback.append(
                        (
                            item_id,
                            lead,
                            FeedbackKind.PROGRESS,
                            FEEDBACK,
                            FeedbackStatus.SUBMITTED,
                            liaison,
                            moment,
                        )
                    )
            if status in (Status.ASSIGNED, Status.IN_PROGRESS) and rnd.random() < 0.3:
                urges.append(
                    (
                        item_id,
                        lead,
                        liaison,
                        UrgeChannel.PHONE,
                        "请抓紧办理",
                        supervisor,
                        "",
                        moment,
                    )
                )
            if status == Status.IN_PROGRESS and rnd.random() < 0.05:
                extensions.append(
                    (
                        item_id, lead, liaison, self.today, self.today + dt.timedelta(days=30),
                        "工作量大，申请延期", ExtensionApprover.OFFICE, ExtensionStatus.PENDING,
                        moment,
                    )
                )  # fmt: skip
            for recipient in (liaison, heads.get(lead)):
                if recipient and rnd.random() < 0.5:
                    read = None if rnd.random() < 0.2 else moment + dt.timedelta(hours=1)
                    notices.append((recipient, item_id, "督办事项交办通知", "", moment, read))
        _copy_rows(
            Feedback,
            ["item_id", "unit_id", "kind", "text", "status", "author_id", "created_at"],
            feedback,
        )
        self.progress("feedback", len(feedback), len(feedback))
        _copy_rows(
            Urge,
            [
                "item_id",
                "unit_id",
                "recipient_id",
                "channel",
                "note",
                "urged_by_id",
                "step",
                "created_at",
            ],
            urges,
        )
        self.progress("urges", len(urges), len(urges))
        _copy_rows(
            ExtensionRequest,
            [
                "item_id", "unit_id", "requested_by_id", "current_deadline", "requested_deadline",
                "reason", "approver_kind", "status", "created_at",
            ],
            extensions,
        )  # fmt: skip
        self.progress("extension requests", len(extensions), len(extensions))
        _copy_rows(
            Notice, ["recipient_id", "item_id", "title", "body", "created_at", "read_at"], notices
        )
        self.progress("notices", len(notices), len(notices))

    # -- the audit chain --------------------------------------------------------

    def events(self) -> None:
        """`event_count` events over the items, chained after the existing head."""
        rnd = self.random
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
        sequence, previous = head.sequence, head.last_hash
        if sequence == 0:
            previous = GENESIS
        signer = key_id()
        items = self.items_made
        verbs = (
            "establish",
            "assign",
            "sign_for",
            "feedback",
            "urge",
            "reminder",
            "read_restricted",
        )
        start = self.now - dt.timedelta(days=3 * 365)
        step = (self.now - start) / max(1, self.event_count)
        fields = [
            "sequence", "created_at", "actor_id", "verb", "summary", "item_id", "unit_id",
            "data", "previous_hash", "hash", "key_id",
        ]  # fmt: skip
        last: dict[str, Any] = {}

        def rows() -> Iterable[Sequence[Any]]:
            nonlocal sequence, previous
            for index in range(self.event_count):
                item_id, lead, _status, supervisor, _conf = items[rnd.randrange(len(items))]
                sequence += 1
                created = (start + step * index).replace(microsecond=0)
                verb = verbs[index % len(verbs)]
                fields_of = {
                    "sequence": sequence,
                    "created_at": created,
                    "actor_id": supervisor,
                    "verb": verb,
                    "summary": f"{verb} #{index + 1}",
                    "item_id": item_id,
                    "unit_id": lead,
                    "data": {},
                    "previous_hash": previous,
                }
                digest = event_hash(fields_of)
                yield (
                    sequence, created, supervisor, verb, fields_of["summary"], item_id, lead,
                    _json({}), previous, digest, signer,
                )  # fmt: skip
                previous = digest
                last["sequence"], last["hash"] = sequence, digest
                if (index + 1) % 100000 == 0:
                    self.progress("audit events", index + 1, self.event_count)

        _copy_rows(AuditEvent, fields, rows())
        self.progress("audit events", self.event_count, self.event_count)
        if last:
            _move_head(head, last["sequence"], last["hash"])


OFFICE_OF = {
    Confidentiality.ORDINARY: UnitKind.GENERAL_OFFICE,
    Confidentiality.SENSITIVE: UnitKind.GENERAL_OFFICE,
    Confidentiality.DISCIPLINE: UnitKind.DISCIPLINE_OFFICE,
    Confidentiality.CLASSIFIED: UnitKind.SECRECY_OFFICE,
}
RULE_OF = {
    SourceKind.MEETING: DeadlineRule.MINUTES_DEADLINE,
    SourceKind.ANNUAL: DeadlineRule.YEAR_END,
    SourceKind.OTHER: DeadlineRule.INSTRUCTION,
}
REPORTED = (Status.SUBMITTED, Status.COMPLETED, Status.ARCHIVED)
COMPLETED = (Status.COMPLETED, Status.ARCHIVED)


def _move_head(head: AuditHead, sequence: int, last_hash: str) -> None:
    """Move the head to the newest event. On PostgreSQL the head's trigger lets it move
    one event at a time; a bulk load moves it with triggers off for this one statement
    (as the database owner may)."""
    signature = head_signature(sequence, last_hash)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "UPDATE audit_audithead SET sequence = %s, last_hash = %s, signature = %s "
                "WHERE id = 1",
                [sequence, last_hash, signature],
            )
            cursor.execute("SET LOCAL session_replication_role = origin")
        return
    AuditHead.objects.filter(pk=1).update(
        sequence=sequence, last_hash=last_hash, signature=signature
    )


def _reset_sequence(model: type[models.Model]) -> None:
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # The table name is the model's own, never input.
        sql = (
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
        )
        cursor.execute(sql)


def seed(*, items: int, events: int, seed: int, write: Callable[[str], None]) -> dict[str, int]:
    """Write the scale dataset (see the module); all or nothing."""
    check_database()
    progress = Progress(write)
    seeder = Seeder(items=items, events=events, seed=seed, progress=progress)
    with transaction.atomic():
        seeder.organisation()
        seeder.items()
        seeder.details()
        seeder.events()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Statistics for the planner, and the visibility map for index-only scans.
            cursor.execute("VACUUM ANALYZE")
    return {
        "units": Unit.objects.count(),
        "people": User.objects.count(),
        "items": Item.objects.count(),
        "events": AuditEvent.objects.count(),
    }


__all__ = ["RefusedDatabase", "seed"]
