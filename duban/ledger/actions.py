"""The ledger's actions: recording an export, and importing an office's Excel ledger.

An import is all or nothing (one transaction): every row is read and checked
(`importing.read_ledger`), then taken through the real actions of
`duban.items.actions`; if any row has a problem — in reading or refused by an
action — the whole transaction is rolled back and the report names every problem by
row number. A dry run does the same and always rolls back, so its report (with the
ledger numbers the items would get) is exactly what the import would do.

How a row becomes an item (the honest path for a historical ledger):
- 立项: `establish_item` by the importing supervisor, with the clock set to the row's
  立项日期 (else its 交办日期, else now: `clock.frozen_at`, as the demo loader
  does), so the item belongs to its year and its deadline, past today, is not refused;
  a 会议 item's deadline is recorded as set by the office from the old ledger (R-D3);
- 交办: `assign_item` by the importing supervisor on the 交办日期;
- 办理中 and after: `sign_for_item` by the lead unit's liaison on the 交办日期;
- 已报结/已办结: the liaison's completion report (its text says it was recorded from
  the old ledger), the head's confirmation and, for 已办结, the supervisor's
  acceptance, all on the 办结日期 — so lateness (R-E4) and the figures count the
  dates of the old ledger.
Each item's timeline then carries an `import_ledger_row` event by the importing
supervisor, dated now, naming the file, the row and the old ledger number, and
saying which records were filled in from the old ledger; the import as a whole is one
`import_ledger` event. Notices of the filled-in steps of closed items are marked read
for their recipients, so the inboxes are not flooded with last year's matters. (The
outbox sends them to the inbox only — `notify.outbox.inbox_only` — never by email or
SMS.)

Batches: the rows whose history is the common one (`_is_common`: no return,
extension, termination or later deadline change — nearly every row of a year's
ledger) are taken 1,000 at a time through the batch bodies of the same actions
(`establish_items`, `assign_items`, `sign_for_items`, `draft_completion_reports`,
`confirm_reports`, `review_reports`): each step of all of them with one lock, one
visibility query per person, one insert or update per table and one chained append
to the audit log, each row's step still by its own person on its own date. The
other rows go one by one through the single actions, as above. Runs are taken in
row order, so items are numbered in the order of their rows.

An import holds its transaction, and with it the audit chain's head, while it runs:
about a minute for 10,000 rows (docs/performance.md); the page and the command take
at most `importing.MAX_ROWS` rows. The page's import runs in a background worker
(`confirm_ledger_import` queues it, `run_ledger_import` runs it: `tasks.run_import`),
which leaves its progress in the progress cache for the page; so does the dry run that
checks a larger upload (`upload_ledger` queues it, `check_ledger_import` runs it:
`tasks.check_import`). The command checks and imports in its own process, as it
always did.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import Entry, record, record_many
from duban.items import actions as item_actions
from duban.items.errors import ActionError, InvalidInput, PermissionRefused, StateRefused
from duban.items.models import DecisionKind, ExtensionStatus, Item, SourceKind
from duban.items.states import Status
from duban.items.visibility import visible_pairs
from duban.notify.outbox import inbox_only
from duban.organisation.models import Role, User

from .export import ExportResult
from .importing import FIELDS, ImportFileError, ImportRow, Problem, check_xlsx, read_ledger
from .models import IMPORTING, ImportStatus, LedgerImport

# ----------------------------------------------------------------------------- export


def record_export(
    actor: Any, *, filters: dict[str, str], description: str, result: ExportResult, via: str
) -> None:
    """Exporting the ledger is audited: who, which filters, how many rows, and which
    restricted items left the system in the file."""
    record(
        actor,
        "export_ledger",
        _("导出督办工作台账（%(filters)s），共%(count)d项")
        % {"filters": description, "count": result.count},
        data={
            "filters": filters,
            "count": result.count,
            "restricted": result.restricted,
            "via": via,
        },
    )


# ----------------------------------------------------------------------------- import


@dataclass
class ImportReport:
    """What an import did or would do; stored as JSON with the page's upload."""

    filename: str
    dry_run: bool
    imported: bool = False
    row_count: int = 0
    header_row: int | None = None
    mapping: list[dict[str, str]] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"row", "text"}
    created: list[dict[str, Any]] = field(default_factory=list)  # {"row", "number", ...}

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem_texts(self) -> list[str]:
        return [str(problem["text"]) for problem in self.problems]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportReport:
        return cls(**data)

    def add(self, problems: list[Problem]) -> None:
        self.problems.extend({"row": p.row, "text": p.text()} for p in problems)


class _RollBack(Exception):
    """Raised inside the import's transaction to undo it (a dry run, or a problem)."""


def _require_supervisor(actor: Any) -> None:
    if not (actor.is_active and actor.role == Role.OFFICE_SUPERVISOR):
        raise PermissionRefused(_("只有督办部门的督办员可以导入台账。"))


def import_ledger(
    actor: Any,
    content: bytes,
    *,
    filename: str,
    year: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import (or, with `dry_run`, check) an Excel ledger; see the module docstring.
    Raises PermissionRefused for anyone but an office supervisor; everything wrong
    with the file or its rows is in the report, and then nothing is written.
    `progress(rows done, rows to do)` is called once the file is read and after each
    batch of rows."""
    _require_supervisor(actor)
    report = ImportReport(filename=filename, dry_run=dry_run)
    try:
        read = read_ledger(content, filename, year=year)
    except ImportFileError as error:
        report.add([Problem(None, error.message)])
        return report
    report.row_count = read.row_count
    if read.mapping is not None:
        report.header_row = read.mapping.header_row
        report.mapping = read.mapping.rows()
        report.unrecognised = read.mapping.unrecognised
    report.add(read.problems)
    if read.mapping is None or (report.problems and not read.rows):
        return report
    source = _("《%(file)s》") % {"file": filename}
    total = len(read.rows)
    if progress is not None:  # the file is read: the rows to do are known
        progress(0, total)
    try:
        with transaction.atomic():
            archived: list[tuple[dict[str, Any], Item]] = []
            done = 0
            for chunk in _chunks(read.rows):
                imported = _import_chunk(actor, chunk, source, report)
                for row, item in imported:
                    report.created.append(
                        {
                            "row": row.number,
                            "number": item.ledger_number,
                            "title": item.title,
                            "status": str(Status(item.status).label),
                            "original_number": row.original_number,
                        }
                    )
                    if row.status == Status.ARCHIVED:
                        archived.append((report.created[-1], item))
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            if archived and not report.problems:
                try:
                    _file_archived(actor, [item for _entry, item in archived])
                except ActionError as error:
                    report.add([Problem(None, error.message)])
                for entry, _item in archived:
                    entry["status"] = str(Status.ARCHIVED.label)
            report.problems.sort(key=lambda problem: problem["row"] or 0)
            if report.problems or dry_run:
                raise _RollBack
            record(
                actor,
                "import_ledger",
                _("导入台账%(source)s，共%(count)d项")
                % {"source": source, "count": len(report.created)},
                data={
                    "filename": filename,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "year": year,
                    "items": [
                        {"row": entry["row"], "number": entry["number"]} for entry in report.created
                    ],
                },
            )
    except _RollBack:
        return report
    report.imported = True
    return report


# The times of day the filled-in steps are dated at, minutes after midnight.
STEP_MINUTES = {
    "establish": 9 * 60,
    "assign": 9 * 60 + 30,
    "sign_for": 10 * 60,
    "draft": 9 * 60,
    "confirm": 9 * 60 + 20,
    "accept": 9 * 60 + 40,
}


# Statuses of a row whose item the lead unit signed for.
SIGNED_STATUSES = (Status.IN_PROGRESS, Status.SUBMITTED, Status.COMPLETED)


class _Moments:
    """The moments of one row's steps: on their dates, in order, never after now. A
    step without a date of its own (a deadline change the ledger shows only by its
    result) follows the last step, else happens now."""

    def __init__(self) -> None:
        self.now = clock.now()
        self.last: dt.datetime | None = None

    def at(self, day: dt.date | None, step: str) -> dt.datetime:
        if day is None:
            moment = self.now if self.last is None else self.last
        else:
            start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
            moment = min(start + dt.timedelta(minutes=STEP_MINUTES[step]), self.now)
        if self.last is not None and moment <= self.last:
            moment = self.last + dt.timedelta(minutes=1)
        self.last = moment
        return moment


def _establish_input(row: ImportRow, source: str) -> item_actions.EstablishInput:
    deadline = row.extension.current_deadline if row.extension else row.first_deadline
    data = item_actions.EstablishInput(
        title=row.title,
        content=row.content,
        basis=row.basis,
        source_kind=row.source_kind,
        source_body=row.source_body,
        lead_unit=row.lead_unit,
        cooperating_units=row.cooperating_units,
        confidentiality=row.confidentiality,
        urgent=row.urgent,
        ledger_serial=row.serial,
    )
    if row.source_kind == SourceKind.MEETING:  # R-D3: the office sets it, with the reason
        data.office_deadline = row.original_deadline or deadline
        data.office_reason = _("按原台账%(source)s记载的办结时限导入") % {"source": source}
    elif row.source_kind == SourceKind.ANNUAL:  # R-D4
        data.year = row.year
    else:  # R-S2, R-D5
        data.instruction_deadline = row.original_deadline or deadline
        data.deciding_leader = row.deciding_leader
        data.decided_on = row.decided_on or row.established_on or row.assigned_on or clock.today()
    return data


# Rows taken through the batch actions together (`_import_chunk`).
BATCH_SIZE = 1000


def _is_common(row: ImportRow) -> bool:
    """Whether a row's history is the common one that the batch actions take for many
    rows at once — established, assigned, signed for, reported and accepted, each on
    its date — with no return, extension, termination or later deadline change."""
    if row.extension is not None or row.termination is not None:
        return False
    if row.status == Status.RETURNED:
        return False
    if row.deadline is None:
        return True
    if row.source_kind == SourceKind.ANNUAL:
        return row.deadline == dt.date(row.year, 12, 31)
    return row.deadline == row.first_deadline


def _is_reported(row: ImportRow) -> bool:
    """Whether the row's item reached the completion report (R-F4)."""
    return row.status in (Status.SUBMITTED, Status.COMPLETED) or row.closes == Status.COMPLETED


def _chunks(rows: list[ImportRow]) -> Iterator[list[ImportRow]]:
    """The rows in their order: runs of common rows up to BATCH_SIZE, and each other
    row alone, so that items are numbered in the order of their rows."""
    run: list[ImportRow] = []
    for row in rows:
        if _is_common(row):
            run.append(row)
            if len(run) == BATCH_SIZE:
                yield run
                run = []
            continue
        if run:
            yield run
            run = []
        yield [row]
    if run:
        yield run


def _import_chunk(
    actor: Any, chunk: list[ImportRow], source: str, report: ImportReport
) -> list[tuple[ImportRow, Item]]:
    """The chunk's rows as items; each refusal is added to the report by its row."""
    if len(chunk) == 1 and not _is_common(chunk[0]):
        row = chunk[0]
        try:
            with transaction.atomic():
                return [(row, _import_row(actor, row, source))]
        except ActionError as error:
            report.add([Problem(row.number, error.message)])
            return []
    with inbox_only():
        return _CommonRows(actor, chunk, source, report).run()


class _CommonRows:
    """Common rows taken together: each step of every row by the batch action, by the
    person who takes it and on its own date, as `_RowImport` takes one row."""

    def __init__(
        self, actor: Any, rows: list[ImportRow], source: str, report: ImportReport
    ) -> None:
        self.actor, self.rows, self.source, self.report = actor, rows, source, report
        self.moments = {row.number: _Moments() for row in rows}
        self.items: dict[int, Item] = {}  # row number -> item, while no step refused it
        self.steps: dict[int, list[str]] = {row.number: [] for row in rows}
        self.seeing: set[tuple[int, int]] = set()

    def run(self) -> list[tuple[ImportRow, Item]]:
        self._establish()
        # Who may see which new item, asked once for all the steps below, which change
        # nothing the visibility rule reads (units, people, recusals, confidentiality).
        self.seeing = visible_pairs(
            (person, item.pk)
            for row in self.rows
            if (item := self.items.get(row.number)) is not None
            for person in (
                self.actor,
                row.lead_unit.liaison,
                row.lead_unit.head,
                *(unit.liaison for unit in row.cooperating_units),
            )
            if person is not None and person.is_active
        )
        self._take(
            item_actions.assign_items,
            "assign",
            lambda row: row.status != Status.ESTABLISHED,
            lambda row: self.actor,
            lambda row: row.assigned_on or row.established_on,
        )
        self._take(
            item_actions.sign_for_items,
            "sign_for",
            lambda row: row.status in SIGNED_STATUSES or row.closes == Status.COMPLETED,
            lambda row: row.lead_unit.liaison,
            lambda row: row.assigned_on or row.established_on,
            _("签收"),
        )
        self._take(
            item_actions.draft_completion_reports,
            "draft",
            _is_reported,
            lambda row: row.lead_unit.liaison,
            lambda row: row.submitted_on or row.completed_on,
            text=lambda row: _report_text(row, self.source),
        )
        self._take(
            item_actions.confirm_reports,
            "confirm",
            _is_reported,
            lambda row: row.lead_unit.head,
            lambda row: row.submitted_on or row.completed_on,
            _("办结报告及确认"),
        )
        self._take(
            item_actions.review_reports,
            "accept",
            lambda row: row.closes == Status.COMPLETED,
            lambda row: self.actor,
            lambda row: row.completed_on,
            _("审核办结"),
            text=lambda row: _("据原台账补录审核，事项办结。"),
        )
        closed = [
            self.items[row.number] for row in self.rows if row.closes and row.number in self.items
        ]
        _mark_filled_in_notices_read(closed)
        record_many(
            [
                _row_entry(self.actor, row, self.source, self.steps[row.number], item)
                for row in self.rows
                if (item := self.items.get(row.number)) is not None
            ]
        )
        return [(row, self.items[row.number]) for row in self.rows if row.number in self.items]

    def _establish(self) -> None:
        inputs, moments = [], []
        for row in self.rows:
            moment = self.moments[row.number].at(row.established_on or row.assigned_on, "establish")
            with clock.frozen_at(moment):
                inputs.append(_establish_input(row, self.source))
            moments.append(moment)
        refused: item_actions.Refusals = {}
        items = item_actions.establish_items(self.actor, inputs, moments=moments, refused=refused)
        for row, item in zip(self.rows, items, strict=True):
            if item is not None:
                self.items[row.number] = item
        self._refused(self.rows, refused)

    def _take(
        self,
        action: Callable[..., Any],
        step: str,
        applies: Callable[[ImportRow], bool],
        person: Callable[[ImportRow], Any],
        day: Callable[[ImportRow], dt.date | None],
        label: str = "",
        *,
        text: Callable[[ImportRow], str] | None = None,
    ) -> None:
        rows = [row for row in self.rows if row.number in self.items and applies(row)]
        steps = [
            item_actions.Step(
                person(row),
                self.items[row.number],
                at=self.moments[row.number].at(day(row), step),
                text=text(row) if text is not None else "",
            )
            for row in rows
        ]
        refused: item_actions.Refusals = {}
        action(steps, refused=refused, seeing=self.seeing)
        for index, (row, taken) in enumerate(zip(rows, steps, strict=True)):
            if index in refused:
                continue
            self.items[row.number] = taken.item  # as the step's lock re-read it
            if label:
                self.steps[row.number].append(label)
        self._refused(rows, refused)

    def _refused(self, rows: list[ImportRow], refused: item_actions.Refusals) -> None:
        for index, error in sorted(refused.items()):
            self.items.pop(rows[index].number, None)
            self.report.add([Problem(rows[index].number, error.message)])


def _import_row(actor: Any, row: ImportRow, source: str) -> Item:
    # The steps happened long ago: their notices go to the inbox, never out by email/SMS.
    with inbox_only():
        return _RowImport(actor, row, source).run()


class _RowImport:
    """The steps of one row, each by the person who takes it and on its own date."""

    def __init__(self, actor: Any, row: ImportRow, source: str) -> None:
        self.actor, self.row, self.source = actor, row, source
        self.moments = _Moments()
        self.steps: list[str] = []
        self.liaison, self.head = row.lead_unit.liaison, row.lead_unit.head
        self.item: Item

    def at(self, day: dt.date | None, step: str) -> Any:
        return clock.frozen_at(self.moments.at(day, step))

    def run(self) -> Item:
        row = self.row
        established_on = row.established_on or row.assigned_on
        with self.at(established_on, "establish"):
            self.item = item_actions.establish_item(self.actor, _establish_input(row, self.source))
        if row.extension and self.item.deadline != row.extension.current_deadline:
            self._change_deadline(established_on, row.extension.current_deadline)
        if row.status != Status.ESTABLISHED and (row.assigned_on or not row.termination):
            with self.at(row.assigned_on or established_on, "assign"):
                item_actions.assign_item(self.actor, self.item)
        if row.status == Status.RETURNED:
            self._return(row.assigned_on or established_on)
        elif row.status in SIGNED_STATUSES or row.closes == Status.COMPLETED:
            self._sign(row.assigned_on or established_on)
        if row.extension:
            self._extension()
        if row.deadline and self._reload().deadline != row.deadline:
            self._change_deadline(None, row.deadline)  # right after the last step
        if row.status in (Status.SUBMITTED, Status.COMPLETED) or row.closes == Status.COMPLETED:
            self._report()
        if row.closes == Status.TERMINATED:
            self._terminate()
        if row.closes:
            _mark_filled_in_notices_read([self.item])
        self._record()
        self.item.refresh_from_db()
        return self.item

    def _reload(self) -> Item:
        self.item.refresh_from_db()
        return self.item

    def _sign(self, day: dt.date | None) -> None:
        with self.at(day, "sign_for"):
            item_actions.sign_for_item(self.liaison, self.item)
        self.steps.append(_("签收"))

    def _return(self, day: dt.date | None) -> None:
        reason = self.row.return_reason or _("据原台账%(source)s补录：承办单位退回") % {
            "source": self.source
        }
        with self.at(day, "sign_for"):
            item_actions.return_item(self.liaison, self._reload(), reason)
        self.steps.append(_("退回"))

    def _change_deadline(self, day: dt.date | None, deadline: dt.date) -> None:
        item = self._reload()
        reason = _("据原台账%(source)s补录：办结时限由%(old)s调整为%(new)s") % {
            "source": self.source,
            "old": item.deadline.isoformat(),
            "new": deadline.isoformat(),
        }
        with self.at(day, "establish"):
            item_actions.change_item(
                self.actor,
                item,
                reason=reason,
                authorised_by=self.row.deciding_leader,
                deadline=deadline,
            )
        self.steps.append(_("办结时限变更"))

    def _extension(self) -> None:
        extension = self.row.extension
        assert extension is not None
        with self.at(extension.requested_on, "sign_for"):
            request = item_actions.request_extension(
                self.liaison,
                self._reload(),
                requested_deadline=extension.requested_deadline,
                reason=_("据原台账%(source)s补录的延期申请") % {"source": self.source},
            )
        self.steps.append(_("延期申请"))
        if extension.status not in (ExtensionStatus.APPROVED, ExtensionStatus.REJECTED):
            return  # pending, or expired when the item closes below
        approver = request.approver or self.actor
        approve = extension.status == ExtensionStatus.APPROVED
        with self.at(extension.decided_on, "assign"):
            item_actions.decide_extension(
                approver,
                self._reload(),
                approve=approve,
                comment=_("据原台账%(source)s补录的审批结果") % {"source": self.source},
            )
        self.steps.append(_("延期审批"))

    def _report(self) -> None:
        row = self.row
        submitted = row.submitted_on or row.completed_on
        with self.at(submitted, "draft"):
            item_actions.draft_completion_report(
                self.liaison, self._reload(), _report_text(row, self.source)
            )
        with self.at(submitted, "confirm"):
            item_actions.confirm_report(self.head, self._reload())
        self.steps.append(_("办结报告及确认"))
        if row.closes == Status.COMPLETED:
            with self.at(row.completed_on, "accept"):
                item_actions.review_report(
                    self.actor,
                    self._reload(),
                    accept=True,
                    comment=_("据原台账补录审核，事项办结。"),
                )
            self.steps.append(_("审核办结"))

    def _terminate(self) -> None:
        termination = self.row.termination
        assert termination is not None
        meeting = bool(termination.meeting_name)
        with self.at(termination.day, "accept"):
            item_actions.terminate_item(
                self.actor,
                self._reload(),
                decision_kind=DecisionKind.MEETING if meeting else DecisionKind.LEADER,
                meeting_name=termination.meeting_name,
                meeting_date=termination.meeting_date,
                leader=self.row.terminating_leader,
                basis=termination.basis,
                reason=termination.reason,
            )
        self.steps.append(_("终止决定"))

    def _record(self) -> None:
        entry = _row_entry(self.actor, self.row, self.source, self.steps, self.item)
        record_many([entry])


def _report_text(row: ImportRow, source: str) -> str:
    """The completion report filled in from the old ledger."""
    return _("【据原台账补录】原台账%(source)s第%(row)d行记载该事项已办结%(date)s。") % {
        "source": source,
        "row": row.number,
        "date": _("（%(day)s）") % {"day": row.completed_on.isoformat()}
        if row.completed_on
        else "",
    }


def _row_entry(actor: Any, row: ImportRow, source: str, steps: list[str], item: Item) -> Entry:
    """The `import_ledger_row` event of a row's item: which file and row, the old
    number, and which steps were filled in from the old ledger."""
    summary = _("据台账%(source)s第%(row)d行导入") % {"source": source, "row": row.number}
    if row.original_number:
        summary += _("（原台账编号%(number)s）") % {"number": row.original_number}
    if steps:
        summary += _("；%(steps)s系按原台账补录，非在系统中办理") % {"steps": "、".join(steps)}
    return Entry(
        actor,
        "import_ledger_row",
        summary,
        item=item,
        data={"file": source, "row": row.number, "original_number": row.original_number},
    )


def _file_archived(actor: Any, items: list[Item]) -> None:
    """已归档 rows: filed, as the office files a year (R-K2), one volume per year closed."""
    from duban.documents.actions import file_volume

    by_year: dict[int, list[Item]] = {}
    for item in items:
        closed = item.completed_at or item.terminated_at
        by_year.setdefault(timezone.localdate(closed).year, []).append(item)
    for year, filed in sorted(by_year.items()):
        file_volume(actor, year, items=filed)


def _mark_filled_in_notices_read(items: list[Item]) -> None:
    """Closed items' filled-in steps need no one's attention now."""
    if items:
        item_actions.mark_item_notices_read(items)


# ----------------------------------------------------------------------------- the page


def rows_of_sheet(content: bytes) -> int | None:
    """The rows of the workbook's first sheet as the sheet records them (its dimension,
    which Excel, WPS and openpyxl write), title and header rows included: read in
    milliseconds, where counting the rows themselves takes seconds for a large file.
    None when the sheet does not say; ImportFileError when the file cannot be read."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(str(error)) from None
    try:
        rows = workbook.worksheets[0].max_row if workbook.worksheets else None
    finally:
        workbook.close()
    return rows if isinstance(rows, int) else None


@transaction.atomic
def upload_ledger(
    actor: Any, *, filename: str, content: bytes, year: int | None = None
) -> LedgerImport:
    """Keep an uploaded ledger for the page's two steps, and check it (a dry run).

    A small file — at most settings.LEDGER_IMPORT_DIRECT_ROWS rows by its sheet's own
    count (`rows_of_sheet`) — is checked here, within the upload's request: its dry
    run takes about a second (3-6 ms a row), the common upload of an office's few
    dozen rows then needs no worker and shows its report at once, and a deployment
    whose worker is down still checks it. A larger one (a year's 10,000 rows take
    30-60 s, past a proxy's request timeout) is kept as `checking` and checked by a
    worker (`tasks.check_import`, `check_ledger_import`) while its page shows how
    far it got; a sheet that does not say how many rows it has is checked there
    too (one whose count is wrong is at worst checked here, as every file was
    before). Either way the check is the same dry run and leaves the same report."""
    _require_supervisor(actor)
    try:
        check_xlsx(content, filename)
    except ImportFileError as error:
        raise InvalidInput(error.message, errors={"file": error.message}) from None
    try:
        rows = rows_of_sheet(content)
    except ImportFileError:
        rows = 0  # unreadable: the check says why, at once
    direct = rows is not None and rows <= settings.LEDGER_IMPORT_DIRECT_ROWS
    ledger_import = LedgerImport(
        uploaded_by=actor,
        filename=filename,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        year=year,
        status=ImportStatus.PREVIEWED if direct else ImportStatus.CHECKING,
        report=ImportReport(filename=filename, dry_run=True).as_json(),
        created_at=clock.now(),
    )
    if direct:
        report = import_ledger(actor, content, filename=filename, year=year, dry_run=True)
        ledger_import.report = report.as_json()
        ledger_import.checked_at = clock.now()
    ledger_import.save()
    if not direct:
        pk = ledger_import.pk

        def enqueue() -> None:
            from .tasks import check_import

            check_import.enqueue(pk)

        transaction.on_commit(enqueue)
    return ledger_import


def check_ledger_import(import_id: int) -> LedgerImport | None:
    """The background check of a larger upload (`tasks.check_import`): the same dry run
    as a small file's at its upload, with its progress and a sign of life in the
    progress cache after every batch of rows. Returns None when there is nothing to
    do — not waiting for its check, or another worker claimed it. A check given up
    while it ran (`give_up_lost_checks`) keeps its failure: the late report is
    dropped."""
    started = clock.now()
    claimed = LedgerImport.objects.filter(
        pk=import_id, status=ImportStatus.CHECKING, check_started_at__isnull=True
    ).update(check_started_at=started)
    if claimed != 1:
        return None
    ledger_import = LedgerImport.objects.select_related("uploaded_by").get(pk=import_id)
    report = _read_file(ledger_import, dry_run=True)
    LedgerImport.objects.filter(pk=import_id, status=ImportStatus.CHECKING).update(
        status=ImportStatus.PREVIEWED, report=report.as_json(), checked_at=clock.now()
    )
    cache.delete(_progress_key(import_id))
    return LedgerImport.objects.defer("content").get(pk=import_id)


# A check that no worker took within CHECK_WAIT, or whose worker gave no sign of life
# (a batch of rows checked) within CHECK_LEASE, is given up: its worker died, or none
# runs. A whole check of MAX_ROWS rows takes about a minute, a batch a few seconds.
CHECK_WAIT = dt.timedelta(hours=1)
CHECK_LEASE = dt.timedelta(minutes=10)


def give_up_lost_checks() -> int:
    """Fail the checks that no worker will finish (`tasks.expire_checks`, periodic), so
    their page says so instead of waiting for ever; returns how many."""
    now = clock.now()
    never_started = _(
        "后台检查一直未能开始，未导入任何事项。请稍后重新上传；如仍如此，请联系系统管理员。"
    )
    interrupted = _("后台检查已中断，未能完成，未导入任何事项。请重新上传。")
    lost: dict[int, str] = {}
    for pk, created_at, started_at in LedgerImport.objects.filter(
        status=ImportStatus.CHECKING
    ).values_list("pk", "created_at", "check_started_at"):
        if started_at is None:
            if created_at < now - CHECK_WAIT:
                lost[pk] = never_started
            continue
        found = cache.get(_progress_key(pk))
        last = started_at
        if found is not None and len(found) > 2:
            last = max(last, dt.datetime.fromtimestamp(float(found[2]), tz=dt.UTC))
        if last < now - CHECK_LEASE:
            lost[pk] = interrupted
    return sum(_fail(pk, message, ImportStatus.CHECKING) for pk, message in lost.items())


@transaction.atomic
def confirm_ledger_import(actor: Any, ledger_import: LedgerImport) -> LedgerImport:
    """Queue an uploaded, checked ledger for its import by a background worker
    (`tasks.run_import`). Refused for someone else's upload, an upload imported or
    being imported, one still being checked (StateRefused: its report is not there
    yet), one whose check found problems, and while another of the uploader's
    imports is queued or running: one at a time per person."""
    _require_supervisor(actor)
    # The uploader's row is the lock that lets one of their imports be queued at a time.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    locked = LedgerImport.objects.select_for_update().defer("content").get(pk=ledger_import.pk)
    if locked.uploaded_by_id != actor.pk:
        raise PermissionRefused(_("只能导入自己上传的台账。"))
    if locked.status == ImportStatus.IMPORTED:
        raise InvalidInput(_("该台账已经导入，不能重复导入。"))
    if locked.status in IMPORTING:
        raise InvalidInput(_("该台账已确认导入，正在后台处理，请勿重复确认。"))
    if locked.status == ImportStatus.CHECKING:
        raise StateRefused(_("该台账正在后台检查，请待检查完成、看过检查结果后再确认导入。"))
    if locked.report.get("problems"):
        raise InvalidInput(_("该台账的检查发现问题，未导入任何事项。请在Excel中修改后重新上传。"))
    running = LedgerImport.objects.filter(uploaded_by=actor, status__in=IMPORTING)
    _give_up_abandoned(running.exclude(pk=locked.pk))
    if running.exclude(pk=locked.pk).exists():
        raise InvalidInput(_("您有一份台账正在导入，请待其完成后再确认导入新的台账。"))
    locked.status = ImportStatus.QUEUED
    locked.queued_at = clock.now()
    locked.rows_total = len(locked.report.get("created", []))
    locked.rows_done = 0
    locked.save(update_fields=["status", "queued_at", "rows_total", "rows_done"])
    pk = locked.pk

    def enqueue() -> None:
        from .tasks import run_import

        run_import.enqueue(pk)

    transaction.on_commit(enqueue)
    return locked


# An import queued or running this long was abandoned (no worker took it, or its
# worker died: its transaction rolled back) and no longer holds its uploader's turn.
ABANDONED_AFTER = dt.timedelta(hours=6)


def _give_up_abandoned(imports: Any) -> None:
    since = clock.now() - ABANDONED_AFTER
    abandoned = imports.filter(
        Q(status=ImportStatus.QUEUED, queued_at__lt=since)
        | Q(status=ImportStatus.RUNNING, started_at__lt=since)
    )
    message = _("导入未能在后台完成（已中断），未导入任何事项。请重新上传后再确认导入。")
    for ledger_import in abandoned.defer("content"):
        report = ImportReport.from_json(ledger_import.report)
        report.problems = []
        report.add([Problem(None, message)])
        ledger_import.report = report.as_json()
        ledger_import.status = ImportStatus.FAILED
        ledger_import.finished_at = clock.now()
        ledger_import.save(update_fields=["report", "status", "finished_at"])


PROGRESS_SECONDS = 24 * 3600
# Where a running import's worker leaves its count for the page (settings.CACHES):
# the import's own transaction is not visible to the page until it commits.
cache = ConnectionProxy(caches, "progress")


def _progress_key(pk: int) -> str:
    return f"ledger-import:{pk}:progress"


def _read_file(ledger_import: LedgerImport, *, dry_run: bool) -> ImportReport:
    """The upload's file imported (or checked, `dry_run`) by a worker, telling the
    progress cache (rows done, rows to do, when) after every batch of rows: the page
    reads the counts, `give_up_lost_checks` the time. An uploader who may no longer
    import gets a report saying so."""
    key = _progress_key(ledger_import.pk)

    def progress(done: int, total: int) -> None:
        cache.set(key, (done, total, clock.now().timestamp()), PROGRESS_SECONDS)

    progress(0, 0)
    try:
        return import_ledger(
            ledger_import.uploaded_by,
            bytes(ledger_import.content),
            filename=ledger_import.filename,
            year=ledger_import.year,
            dry_run=dry_run,
            progress=progress,
        )
    except ActionError as error:
        report = ImportReport(filename=ledger_import.filename, dry_run=dry_run)
        report.add([Problem(None, error.message)])
        return report


def progress_of(ledger_import: LedgerImport) -> tuple[int, int]:
    """(rows done, rows to do) of a check or an import: while it runs, as its worker
    last told the progress cache (settings.CACHES); else as stored."""
    if ledger_import.status in (ImportStatus.CHECKING, ImportStatus.RUNNING):
        found = cache.get(_progress_key(ledger_import.pk))
        if found is not None:
            return int(found[0]), int(found[1])
    return ledger_import.rows_done, ledger_import.rows_total


def run_ledger_import(import_id: int) -> LedgerImport | None:
    """The background import of a queued upload (`tasks.run_import`), all or nothing:
    the items and the upload's final status are written in one transaction. Returns
    None when there is nothing to do — not queued, or another worker claimed it."""
    claimed = LedgerImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=clock.now()
    )
    if claimed != 1:
        return None
    ledger_import = LedgerImport.objects.select_related("uploaded_by").get(pk=import_id)
    with transaction.atomic():
        report = _read_file(ledger_import, dry_run=False)
        ledger_import.report = report.as_json()
        ledger_import.finished_at = clock.now()
        ledger_import.rows_done = ledger_import.rows_total if report.imported else 0
        if report.imported:
            ledger_import.status = ImportStatus.IMPORTED
            ledger_import.imported_at = ledger_import.finished_at
            ledger_import.item_count = len(report.created)
        else:
            ledger_import.status = ImportStatus.FAILED
        ledger_import.save(
            update_fields=[
                "report",
                "finished_at",
                "rows_done",
                "status",
                "imported_at",
                "item_count",
            ]
        )
    cache.delete(_progress_key(import_id))
    return ledger_import


def fail_ledger_import(import_id: int, message: str) -> None:
    """A worker's import ended by an error it did not expect: nothing was imported
    (its transaction rolled back); the page says so."""
    _fail(import_id, message, ImportStatus.RUNNING)


def fail_ledger_check(import_id: int, message: str) -> None:
    """A worker's check ended by an error it did not expect: the upload is failed, with
    the reason for its page, rather than left checking."""
    _fail(import_id, message, ImportStatus.CHECKING)


def _fail(import_id: int, message: str, status: ImportStatus) -> bool:
    """Mark the upload failed with `message`, if it is still `status`."""
    problems = [{"row": None, "text": message}]
    with transaction.atomic():
        found = LedgerImport.objects.select_for_update().defer("content").filter(pk=import_id)
        ledger_import = found.first()
        if ledger_import is None or ledger_import.status != status:
            return False
        ledger_import.report = {**ledger_import.report, "problems": problems}
        ledger_import.status = ImportStatus.FAILED
        ledger_import.finished_at = clock.now()
        ledger_import.rows_done = 0
        ledger_import.save(update_fields=["report", "status", "finished_at", "rows_done"])
    cache.delete(_progress_key(import_id))
    return True


__all__ = [
    "FIELDS",
    "ImportReport",
    "check_ledger_import",
    "confirm_ledger_import",
    "fail_ledger_check",
    "fail_ledger_import",
    "give_up_lost_checks",
    "import_ledger",
    "progress_of",
    "record_export",
    "run_ledger_import",
    "upload_ledger",
]
