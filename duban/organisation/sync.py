"""Synchronising units and people with the directory (`manage.py sync_org`, and the
system administrator's page /directory/sync/).

`plan_sync` compares what `duban.organisation.directory` read with the database and
lists every change and every problem; `sync_directory` (the action) applies a plan
with no problems, all or nothing, with one audit event. The rules:

- units and people are matched by 单位代码 and 工号 (`User.staff_number`); a new
  person's username is their 账号, or their 工号 when the source gives none, and they
  have no password of their own (they sign in through CAS, duban.accounts.cas). A 账号
  given for an existing person renames them; none leaves their username as it is. A
  username belongs to one person: two rows with the same one, or one that another
  account already holds, is a problem (so a 账号 never moves from one person to
  another within a sync);
- a unit's head (第一责任人) is the person in it with the role 单位负责人, its liaison
  the one with 联络员; a unit whose head or liaison left (or, absent from the
  source, no longer belongs to it) loses them, and is reported;
- people with 在职=否 are deactivated (never deleted); with `deactivate_missing`, so
  are the active people with a 工号 whom the source no longer lists, and the units it
  no longer lists. The three administrators are never touched;
- the report names the units left without a head or liaison and the active items
  whose contact (the lead or a cooperating unit's head or liaison, the supervisor,
  a named leader) left in this sync — by ledger number only, since the system
  administrator may not see the items themselves (R-C5).

The summary line is `units +A ~B -C; people +X ~Y -Z` (added, changed, deactivated).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from duban.api.tokens import revoke_tokens
from duban.audit.models import record
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.notify.outbox import notify_roles

from .directory import KIND_NAMES, ROLE_NAMES, Directory, PersonRecord, Problem, UnitRecord
from .models import (
    SUPERVISING_OFFICE_KINDS,
    DirectorySync,
    DirectorySyncStatus,
    Role,
    Unit,
    User,
)

ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
KIND_LABELS: dict[str, str] = {str(value): name for name, value in KIND_NAMES.items()}
ROLE_LABELS: dict[str, str] = {str(value): name for name, value in ROLE_NAMES.items()}
UNIT_FIELDS = {"name": "单位名称", "kind": "单位类别", "is_active": "启用"}
UNIT_LINKS = {"leader_in_charge": "分管校领导", "head": "第一责任人", "liaison": "联络员"}
PERSON_FIELDS = {
    "username": "账号",
    "full_name": "姓名",
    "unit": "单位",
    "title": "职务",
    "role": "角色",
    "phone": "手机",
    "email": "邮箱",
    "is_active": "在职",
}


@dataclass
class Change:
    """One row of the preview: what happens to one unit or person."""

    kind: str  # "unit" | "person"
    action: str  # "add" | "change" | "deactivate"
    key: str  # 单位代码 or 工号
    name: str
    fields: list[list[str]] = field(default_factory=list)  # [label, before, after]


@dataclass
class SyncReport:
    source: str
    dry_run: bool
    synced: bool = False
    problems: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    units_without_head: list[str] = field(default_factory=list)
    units_without_liaison: list[str] = field(default_factory=list)
    items_whose_contact_left: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        c = self.counts
        return (
            f"units +{c.get('units_added', 0)} ~{c.get('units_changed', 0)} "
            f"-{c.get('units_deactivated', 0)}; people +{c.get('people_added', 0)} "
            f"~{c.get('people_changed', 0)} -{c.get('people_deactivated', 0)}"
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncReport:
        return cls(**data)


# ----------------------------------------------------------------------------- the plan


@dataclass
class _Plan:
    directory: Directory
    deactivate_missing: bool
    problems: list[str] = field(default_factory=list)
    units: dict[str, Unit] = field(default_factory=dict)  # by code, existing
    people: dict[str, User] = field(default_factory=dict)  # by 工号, existing
    unit_records: dict[str, UnitRecord] = field(default_factory=dict)
    person_records: dict[str, PersonRecord] = field(default_factory=dict)

    def problem(self, where: str, text: str) -> None:
        self.problems.append(str(Problem(where, text)))


def _check(plan: _Plan) -> None:
    """Every problem of the source as a whole, with its row."""
    directory = plan.directory
    plan.problems.extend(str(problem) for problem in directory.problems)
    if directory.incomplete:
        return
    first_row: dict[str, str] = {}
    for unit in directory.units:
        if unit.code in plan.unit_records:
            plan.problem(
                unit.where,
                _("单位代码“%(code)s”重复（另见%(other)s）。")
                % {"code": unit.code, "other": first_row[unit.code]},
            )
            continue
        plan.unit_records[unit.code] = unit
        first_row[unit.code] = unit.where
    names = Counter(unit.name for unit in plan.unit_records.values())
    for unit in plan.unit_records.values():
        if names[unit.name] > 1:
            plan.problem(unit.where, _("单位名称“%(name)s”重复。") % {"name": unit.name})
    offices = Counter(
        unit.kind for unit in plan.unit_records.values() if unit.kind in SUPERVISING_OFFICE_KINDS
    )
    for unit in plan.unit_records.values():
        if offices[unit.kind] > 1:
            plan.problem(
                unit.where,
                _("单位类别“%(kind)s”只能有一个单位。") % {"kind": KIND_LABELS[unit.kind]},
            )
    first_person: dict[str, str] = {}
    for person in directory.people:
        if person.staff_number in plan.person_records:
            plan.problem(
                person.where,
                _("工号“%(number)s”重复（另见%(other)s）。")
                % {"number": person.staff_number, "other": first_person[person.staff_number]},
            )
            continue
        plan.person_records[person.staff_number] = person
        first_person[person.staff_number] = person.where

    plan.units = {unit.code: unit for unit in Unit.objects.all()}
    plan.people = {person.staff_number: person for person in User.objects.exclude(staff_number="")}
    for code, record_ in plan.unit_records.items():
        clash = (
            Unit.objects.filter(name=record_.name)
            .exclude(code=code)
            .exclude(
                code__in=[other.code for other in plan.unit_records.values() if other.code != code]
            )
        ).first()
        if clash is not None:
            plan.problem(
                record_.where,
                _("单位名称“%(name)s”已被单位%(code)s使用。")
                % {"name": record_.name, "code": clash.code},
            )
        if record_.kind in SUPERVISING_OFFICE_KINDS:
            holder = Unit.objects.filter(kind=record_.kind).exclude(code=code).first()
            if holder is not None and holder.code not in plan.unit_records:
                plan.problem(
                    record_.where,
                    _("单位类别“%(kind)s”已由单位%(code)s使用。")
                    % {"kind": KIND_LABELS[record_.kind], "code": holder.code},
                )

    leaders = {
        number
        for number, person in plan.person_records.items()
        if person.role == Role.SCHOOL_LEADER and person.active
    } | {
        number
        for number, user in plan.people.items()
        if user.role == Role.SCHOOL_LEADER and user.is_active and number not in plan.person_records
    }
    for record_ in plan.unit_records.values():
        if record_.leader and record_.leader not in leaders:
            plan.problem(
                record_.where,
                _("分管校领导工号“%(number)s”不是在职的校领导。") % {"number": record_.leader},
            )

    holders: dict[tuple[str, str], list[PersonRecord]] = defaultdict(list)
    for person in plan.person_records.values():
        if person.unit and person.unit not in plan.unit_records and person.unit not in plan.units:
            plan.problem(person.where, _("单位代码“%(code)s”不存在。") % {"code": person.unit})
        existing = plan.people.get(person.staff_number)
        if existing is not None and existing.role in ADMIN_ROLES:
            plan.problem(
                person.where,
                _("工号“%(number)s”属于系统的管理员账号，不能通过同步修改。")
                % {"number": person.staff_number},
            )
        if person.active and person.role in (Role.UNIT_HEAD, Role.LIAISON):
            holders[(person.unit, person.role)].append(person)
    _check_usernames(plan)
    for (code, role), people in sorted(holders.items()):
        if len(people) > 1:
            label = _("单位负责人") if role == Role.UNIT_HEAD else _("联络员")
            for person in people:
                plan.problem(
                    person.where,
                    _("单位%(code)s有%(count)d名%(role)s（%(names)s），每个单位只能有一名。")
                    % {
                        "code": code,
                        "count": len(people),
                        "role": label,
                        "names": "、".join(p.full_name for p in people),
                    },
                )


def _username_of(person: PersonRecord, existing: User | None) -> str:
    """The username `person` has after the sync: their 账号; without one, their
    current username, or their 工号 if they are new."""
    if person.username:
        return person.username
    return existing.username if existing is not None else person.staff_number


def _check_usernames(plan: _Plan) -> None:
    """Each username the sync gives belongs to one person only."""
    first_row: dict[str, PersonRecord] = {}
    # Every account's 工号 ("" for none), by username.
    accounts = dict(User.objects.values_list("username", "staff_number"))
    for number, person in plan.person_records.items():
        existing = plan.people.get(number)
        if existing is None and not person.active:
            continue  # never created
        username = _username_of(person, existing)
        other = first_row.get(username)
        if other is not None:
            plan.problem(
                person.where,
                _("账号“%(username)s”重复（另见%(other)s）。")
                % {"username": username, "other": other.where},
            )
            continue
        first_row[username] = person
        if existing is not None and existing.username == username:
            continue
        holder = accounts.get(username)
        if holder is None:
            continue
        if holder:
            text = _("账号“%(username)s”已被工号%(number)s的人员使用。") % {
                "username": username,
                "number": holder,
            }
        else:
            text = _("账号“%(username)s”已被其他账号使用；如是同一人，请先在该账号上填写工号。") % {
                "username": username
            }
        plan.problem(person.where, text)


def _display(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Unit):
        return value.code
    if isinstance(value, User):
        return value.staff_number or value.username
    return str(value)


def _label_of(name: str, value: Any) -> str:
    if name == "kind":
        return KIND_LABELS.get(value, str(value))
    if name == "role":
        return ROLE_LABELS.get(value, str(value))
    return _display(value)


# ----------------------------------------------------------------------------- the action


class _RollBack(Exception):
    pass


def _require_system_admin(actor: Any) -> None:
    # None: the command line, which runs with the server's own rights.
    if actor is not None and not (actor.is_active and actor.role == Role.SYSTEM_ADMIN):
        raise PermissionRefused(_("只有系统管理员可以同步单位和人员。"))


def sync_directory(
    actor: Any,
    directory: Directory,
    *,
    source: str,
    content: bytes | None = None,
    dry_run: bool = False,
    deactivate_missing: bool = False,
) -> SyncReport:
    """Compare and (unless `dry_run`, or there is a problem) apply; see the module
    docstring. Raises PermissionRefused for anyone but the system administrator."""
    _require_system_admin(actor)
    report = SyncReport(source=source, dry_run=dry_run)
    plan = _Plan(directory=directory, deactivate_missing=deactivate_missing)
    _check(plan)
    if plan.problems:
        report.problems = plan.problems
        return report
    try:
        with transaction.atomic():
            _apply(plan, report)
            if dry_run:
                raise _RollBack
            record(
                actor,
                "sync_org",
                _("同步单位和人员（%(source)s）：%(summary)s")
                % {"source": source, "summary": report.summary()},
                data={
                    "source": source,
                    "sha256": hashlib.sha256(content).hexdigest() if content else None,
                    "deactivate_missing": deactivate_missing,
                    "via": "command" if actor is None else "page",
                    "counts": report.counts,
                    "changes": [
                        {"kind": c["kind"], "action": c["action"], "key": c["key"]}
                        for c in report.changes
                    ],
                },
            )
    except _RollBack:
        return report
    except IntegrityError as error:
        # Two rows that trade names or office kinds within one sync, for example: the
        # check above cannot see every such order of updates; nothing was written.
        report.problems = [_("同步未完成，数据与现有记录冲突：%(error)s") % {"error": error}]
        report.changes, report.counts = [], {}
        return report
    report.synced = True
    return report


def _apply(plan: _Plan, report: SyncReport) -> None:
    counts: Counter[str] = Counter()
    changes: list[Change] = []
    touched_units: dict[str, Unit] = {}

    # 1. Units: name, kind, active (their people come next).
    for code, unit_record in plan.unit_records.items():
        unit = plan.units.get(code)
        if unit is None:
            unit = Unit.objects.create(code=code, name=unit_record.name, kind=unit_record.kind)
            counts["units_added"] += 1
            changes.append(Change("unit", "add", code, unit_record.name))
        else:
            fields = []
            for name, value in (
                ("name", unit_record.name),
                ("kind", unit_record.kind),
                ("is_active", True),
            ):
                if getattr(unit, name) != value:
                    fields.append(
                        [
                            UNIT_FIELDS[name],
                            _label_of(name, getattr(unit, name)),
                            _label_of(name, value),
                        ]
                    )
                    setattr(unit, name, value)
            if fields:
                unit.save()
                changes.append(Change("unit", "change", code, unit.name, fields))
        touched_units[code] = unit
    all_units = {**plan.units, **touched_units}

    # 2. People.
    deactivated: list[User] = []
    # Office supervisors see their office's restricted items (R-C1–C3): the security
    # administrator hears of each new one, as for a change in the admin.
    new_supervisors: list[User] = []
    for number, person in plan.person_records.items():
        user = plan.people.get(number)
        unit = all_units.get(person.unit) if person.unit else None
        values: dict[str, Any] = {
            "username": _username_of(person, user),
            "full_name": person.full_name,
            "unit": unit,
            "title": person.title,
            "role": person.role,
            "phone": person.phone,
            "email": person.email,
            "is_active": person.active,
        }
        if user is None:
            if not person.active:
                continue  # someone who left before we ever knew them
            user = User(staff_number=number, **values)
            user.set_unusable_password()
            user.save()
            counts["people_added"] += 1
            changes.append(Change("person", "add", number, person.full_name))
            if user.role == Role.OFFICE_SUPERVISOR:
                new_supervisors.append(user)
            continue
        fields = []
        for name, value in values.items():
            before = getattr(user, name)
            if before != value:
                fields.append(
                    [PERSON_FIELDS[name], _label_of(name, before), _label_of(name, value)]
                )
                setattr(user, name, value)
        if not fields:
            continue
        user.save()
        if user.is_active is False and any(f[0] == PERSON_FIELDS["is_active"] for f in fields):
            counts["people_deactivated"] += 1
            deactivated.append(user)
            changes.append(Change("person", "deactivate", number, user.full_name, fields))
        else:
            counts["people_changed"] += 1
            changes.append(Change("person", "change", number, user.full_name, fields))
        if any(f[0] in (PERSON_FIELDS["role"], PERSON_FIELDS["unit"]) for f in fields):
            revoke_tokens(user, _("人员同步：角色或单位变更"))
            if user.is_active and user.role == Role.OFFICE_SUPERVISOR:
                new_supervisors.append(user)
    if plan.deactivate_missing:
        missing = (
            User.objects.filter(is_active=True)
            .exclude(staff_number="")
            .exclude(staff_number__in=list(plan.person_records))
            .exclude(role__in=ADMIN_ROLES)
        )
        for user in missing:
            user.is_active = False
            user.save(update_fields=["is_active"])
            counts["people_deactivated"] += 1
            deactivated.append(user)
            changes.append(
                Change(
                    "person",
                    "deactivate",
                    user.staff_number,
                    user.full_name,
                    [[PERSON_FIELDS["is_active"], _("是"), _("否")]],
                )
            )
        for code, unit in plan.units.items():
            if code not in plan.unit_records and unit.is_active:
                unit.is_active = False
                unit.save(update_fields=["is_active"])
                counts["units_deactivated"] += 1
                changes.append(
                    Change(
                        "unit",
                        "deactivate",
                        code,
                        unit.name,
                        [[UNIT_FIELDS["is_active"], _("是"), _("否")]],
                    )
                )
    for user in deactivated:
        revoke_tokens(user, _("人员同步：已离职"))
    if new_supervisors:
        names = "、".join(
            f"{user.full_name}（{user.staff_number}，{user.unit or _('无单位')}）"
            for user in new_supervisors
        )
        notify_roles(
            (Role.SECURITY_ADMIN,),
            _("人员同步：%(count)d人成为督办员") % {"count": len(new_supervisors)},
            _(
                "人员同步将以下人员设为督办员，其可查看所在督办部门的事项"
                "（含敏感、执纪审查或涉密登记事项）：%(names)s。如非正常授权，请及时核实。"
            )
            % {"names": names},
        )

    report.items_whose_contact_left = _items_whose_contact_left(deactivated)

    # 3. Each unit's leader in charge, head and liaison.
    people = {u.staff_number: u for u in User.objects.exclude(staff_number="")}
    unit_changes = {c.key: c for c in changes if c.kind == "unit"}
    for unit in Unit.objects.select_related("head", "liaison", "leader_in_charge"):
        listed = plan.unit_records.get(unit.code)
        wanted: dict[str, User | None] = {
            "head": _holder(unit, unit.head, Role.UNIT_HEAD, plan, people),
            "liaison": _holder(unit, unit.liaison, Role.LIAISON, plan, people),
        }
        if listed is not None:
            wanted["leader_in_charge"] = people.get(listed.leader) if listed.leader else None
        fields = []
        for name, holder in wanted.items():
            before = getattr(unit, name)
            if before != holder:
                fields.append([UNIT_LINKS[name], _display(before), _display(holder)])
                setattr(unit, name, holder)
        if not fields:
            continue
        unit.save()
        change = unit_changes.get(unit.code)
        if change is None:
            change = Change("unit", "change", unit.code, unit.name)
            unit_changes[unit.code] = change
            changes.append(change)
        change.fields.extend(fields)
    counts["units_changed"] = sum(1 for c in changes if c.kind == "unit" and c.action == "change")

    # 4. What the office must act on.
    for unit in Unit.objects.filter(is_active=True).select_related("head", "liaison"):
        if unit.kind in SUPERVISING_OFFICE_KINDS:
            continue  # the offices supervise; they are not asked to lead items
        label = f"{unit.code} {unit.name}"
        if unit.head is None or not unit.head.is_active:
            report.units_without_head.append(label)
        if unit.liaison is None or not unit.liaison.is_active:
            report.units_without_liaison.append(label)
    report.counts = {
        key: counts[key]
        for key in (
            "units_added",
            "units_changed",
            "units_deactivated",
            "people_added",
            "people_changed",
            "people_deactivated",
        )
    }
    report.changes = [asdict(change) for change in changes]


def _holder(
    unit: Unit, current: User | None, role: str, plan: _Plan, people: dict[str, User]
) -> User | None:
    """The unit's head (or liaison) after the sync."""
    for number, person in plan.person_records.items():
        if person.unit == unit.code and person.role == role and person.active:
            return people.get(number)
    if current is None or not current.is_active or current.unit_id != unit.pk:
        return None
    if current.staff_number in plan.person_records:
        # Listed, but no longer in that role.
        return None if current.role != role else current
    return current


def _items_whose_contact_left(deactivated: list[User]) -> list[str]:
    """Ledger numbers of the active items whose supervisor, named leader, or lead or
    cooperating unit's head or liaison is among `deactivated` (before step 3 clears
    the units' heads and liaisons)."""
    from duban.items.models import Item
    from duban.items.states import ACTIVE_STATUSES

    if not deactivated:
        return []
    gone = [user.pk for user in deactivated]
    units = list(
        Unit.objects.filter(Q(head_id__in=gone) | Q(liaison_id__in=gone)).values_list(
            "pk", flat=True
        )
    )
    items = (
        Item.objects.filter(status__in=ACTIVE_STATUSES)
        .filter(
            Q(supervisor_id__in=gone)
            | Q(named_leaders__in=gone)
            | Q(lead_unit_id__in=units)
            | Q(cooperating_units__in=units)
        )
        .order_by("ledger_number")
        .values_list("ledger_number", flat=True)
        .distinct()
    )
    return list(items)


# ----------------------------------------------------------------------------- the page


def upload_directory(
    actor: Any, *, filename: str, content: bytes, deactivate_missing: bool
) -> DirectorySync:
    """Keep an uploaded spreadsheet and its preview (a dry run). Raises
    PermissionRefused for anyone but the system administrator, InvalidInput for a
    file that is not a readable .xlsx."""
    from duban import clock

    from .directory import DirectoryError, read_workbook

    if actor is None:
        raise PermissionRefused(_("只有系统管理员可以同步单位和人员。"))
    _require_system_admin(actor)
    try:
        directory = read_workbook(content, filename)
    except DirectoryError as error:
        raise InvalidInput(error.message, errors={"file": error.message}) from None
    report = sync_directory(
        actor,
        directory,
        source=filename,
        content=content,
        dry_run=True,
        deactivate_missing=deactivate_missing,
    )
    return DirectorySync.objects.create(
        uploaded_by=actor,
        filename=filename,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        deactivate_missing=deactivate_missing,
        report=report.as_json(),
        created_at=clock.now(),
    )


def confirm_directory_sync(actor: Any, upload: DirectorySync) -> SyncReport:
    """确认同步: the sync of a previewed upload, all or nothing. The file is read and
    compared again, so a change made since the preview is taken into account."""
    from duban import clock

    from .directory import read_workbook

    if actor is None:
        raise PermissionRefused(_("只有系统管理员可以同步单位和人员。"))
    _require_system_admin(actor)
    with transaction.atomic():
        locked = DirectorySync.objects.select_for_update().get(pk=upload.pk)
        if locked.uploaded_by_id != actor.pk:
            raise PermissionRefused(_("只能同步自己上传的文件。"))
        if locked.status != DirectorySyncStatus.PREVIEWED:
            raise StateRefused(_("该文件已同步，不能重复同步。"))
        content = bytes(locked.content)
        report = sync_directory(
            actor,
            read_workbook(content, locked.filename),
            source=locked.filename,
            content=content,
            deactivate_missing=locked.deactivate_missing,
        )
        locked.report = report.as_json()
        if report.synced:
            locked.status = DirectorySyncStatus.SYNCED
            locked.synced_at = clock.now()
        locked.save(update_fields=["report", "status", "synced_at"])
    return report
