"""The authorization matrix (issue 4; R-C1–C5): every route × every persona → the
expected answer, and every refusal changes nothing.

The routes are not listed here: they are walked from Django's URL resolver (pages,
the admin under /admin/ and the ninja API under /api/v1/, whose methods come from
its operations). Each route is classified by `RULES` (by URL name or path); a route
no rule classifies fails `test_every_route_is_classified` and its own matrix row, so
a new page cannot slip in unreviewed.

Who may do what is not hard-coded either: item-scoped routes follow
`Item.objects.visible_to(persona)` (a hidden item answers exactly like a missing id,
404, never 403) and action routes follow `policy.allowed_actions` (a refusal answers
with the status `policy.check` gives). Every request runs in a savepoint that is
rolled back, so allowed actions really run and the shared world stays as built;
each refused request compares a snapshot of every table of the project (item rows,
notices, feedback, urges, extension requests, attachments, people, units, audit
events other than sign-ins and reads, ...) before and after. Every answer is also
searched for the titles and ledger numbers of the items hidden from the persona.
"""

from __future__ import annotations

import functools
import inspect
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from ninja.operation import PathView

from duban import clock
from duban.api.tokens import issue_token
from duban.attachments import actions as attachment_actions
from duban.attachments.models import Attachment
from duban.audit.models import AuditEvent
from duban.hooks import actions as hook_actions
from duban.hooks.models import Endpoint
from duban.items import actions, policy
from duban.items.errors import ActionError
from duban.items.models import Item, Notice
from duban.notify.models import Channel, Delivery, DeliveryStatus
from duban.organisation.models import Role, Unit, UnitKind, User
from duban.web.item_views import ACTIONS

from .conftest import PASSWORD, make_person, make_unit, meeting_input

pytestmark = pytest.mark.django_db

MISSING_ID = 999_999
# Sign-ins and reads are audited too (issue 4), but they are not changes.
NOT_CHANGES = ("login", "logout", "read_restricted", "download")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


# ----------------------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    path: str  # the full pattern, e.g. "items/<int:pk>/<slug:action>/"
    name: str  # "namespace:name"; "" for an unnamed pattern
    methods: tuple[str, ...]  # the API's, from its operation; () for pages

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("admin/")

    def __str__(self) -> str:
        return f"/{self.path} [{self.name or '-'}]"


def _operation_methods(pattern: URLPattern) -> tuple[str, ...]:
    """A ninja pattern's HTTP methods: its view closes over the path's `PathView`."""
    view = inspect.unwrap(pattern.callback)
    for cell in getattr(view, "__closure__", None) or ():
        contents = cell.cell_contents
        if isinstance(contents, PathView):
            for operation in contents.operations:
                if operation.view_func.__name__ == pattern.name:
                    return tuple(sorted(operation.methods))
    return ()


def walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            continue
        name = pattern.name or ""
        full_name = f"{namespace}:{name}" if namespace and name else name
        path = prefix + str(pattern.pattern)
        methods = _operation_methods(pattern) if path.startswith("api/") else ()
        yield Route(path, full_name, methods)


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def parameters(path: str) -> list[str]:
    return [match["name"] or match["group"] for match in PARAMETER.finditer(path)]


def concrete(path: str, values: dict[str, str]) -> str:
    filled = PARAMETER.sub(lambda match: values[match["name"] or match["group"]], path)
    return "/" + filled.replace("^", "").replace("$", "")


# ----------------------------------------------------------------------------- the rules

# Who may use a route (`Rule.access`):
PUBLIC = "public"  # anyone, signed in or not
LOGIN_PAGE = "login page"
LOGOUT = "logout"
TOKEN = "token"  # POST /api/v1/auth/token: anyone with a password
MISSING = "missing"  # answers 404 to everyone (the API's root and unknown paths)
SIGNED_IN = "signed in"
ESTABLISH = "establish"  # the General Office's supervisors (R-S2)
OFFICE = "office supervisors"  # any supervising office's supervisors
SECURITY_ADMIN = "security admin"
AUDIT_ADMIN = "audit admin"
ADMIN_LOGIN = "admin login"
SYSTEM_ADMIN = "system admin"  # Django's admin site
SYSTEM_ADMIN_PAGE = "system admin page"  # the system administrator's own pages
ITEM = "item"  # reading an item: whoever may see it
ACTION = "action"  # an action on an item: whom policy.allowed_actions offers it
OFFICE_URGE = "office urge"  # the attention page's one-click urge
DELIVERY = "delivery"  # retrying a failed delivery: office supervisors who see its item
OWN_NOTICE = "own notice"
# An office's webhook endpoint (duban.hooks), by its id: its office's supervisors get the
# rule's answers; another office's answer as for a missing id (404); anyone else 403.
WEBHOOK = "webhook"
RECUSAL = "recusal"  # declaring one's own recusal: whoever sees the item (R-C4)
ATTACH = "attach"  # uploading: whom duban.attachments.actions.check_may_attach lets
ATTACHMENT = "attachment"  # downloading, by the attachment's id: whoever sees its item
# Oversight pages being built (ledger import, spot checks, reports, documents): who may
# open them is their owners' to settle, so any answer but a server error is taken from
# a signed-in person; still, anonymous people are sent to sign in, a refusal (4xx)
# changes nothing, no answer shows an item hidden from its reader, and an item-scoped
# one answers a hidden item like a missing id.
OVERSIGHT = "oversight"
# The figures, the ledger file and the calendar over the API (duban.api.reports,
# .ledger, .calendar): the pages' rules, settled here exactly.
REPORT_READER = "report reader"  # office supervisors and school leaders
ASSESSMENT_READER = "assessment reader"  # those, and a unit's head and liaison (own unit)
LEDGER_IMPORTER = "ledger importer"  # office supervisors, each with their own uploads
CALENDAR_ADMIN = "calendar admin"  # the system administrator


@dataclass(frozen=True)
class Rule:
    access: str
    methods: tuple[str, ...] = ("GET",)  # pages; the API's come from its operations
    action: str = ""  # the policy action of an ACTION route
    variants: tuple[str, ...] = ("",)  # values of the route's `action` parameter
    ok: tuple[int, ...] = ()  # allowed answers, when not the access kind's default
    shows_items: bool = False  # a list: every visible item appears in it
    # Values of the route's parameters: "missing" (an id nothing has), "leader",
    # "lead_unit", "year", "today", or "=" and a literal.
    params: tuple[tuple[str, str], ...] = ()
    item_scoped: bool = False  # OVERSIGHT: the route's id parameter is an item's


def by_name(*names: str) -> Callable[[Route], bool]:
    return lambda route: route.name in names


def by_path(pattern: str) -> Callable[[Route], bool]:
    return lambda route: re.search(pattern, route.path) is not None


ITEM_ACTION_VARIANTS = (*ACTIONS, "no_such_action")

MISSING_PK = (("pk", "missing"),)

# API endpoint → the policy action it takes.
API_ACTIONS = {
    "assign_item": "assign",
    "sign_for_item": "sign_for",
    "return_item": "return",
    "reassign_item": "reassign",
    "change_item": "change",
    "record_plan": "record_plan",
    "submit_feedback": "submit_feedback",
    "report_contribution": "report_contribution",
    "draft_completion_report": "draft_completion_report",
    "decline_report": "decline_report",
    "confirm_report": "confirm_report",
    "review_report": "accept_report",
    "request_extension": "request_extension",
    "decide_extension": "decide_extension",
    "adjust_item": "adjust",
    "terminate_item": "terminate",
    "urge_item": "urge",
}

RULES: list[tuple[Callable[[Route], bool], Rule]] = [
    # Anyone.
    (by_name("login"), Rule(LOGIN_PAGE)),
    (by_name("logout", "admin:logout"), Rule(LOGOUT, ("POST",))),
    (by_name("api-v1:openapi-json"), Rule(PUBLIC)),
    # Probes and metrics (duban.health): /readyz is 503 while no worker beats (none
    # runs here); /metrics answers the allowed addresses, the test client's among them.
    (by_name("healthz", "metrics"), Rule(PUBLIC)),
    (by_name("readyz"), Rule(PUBLIC, ok=(200, 503))),
    (by_name("favicon"), Rule(PUBLIC, ok=(301,))),  # to the static icon
    # A calendar feed takes no session: its token is the key, and a made-up one opens
    # nothing (tests/test_calendar_feed.py reads real ones).
    (by_name("calendar-feed"), Rule(PUBLIC, ok=(404,), params=(("token", "=no-such-token"),))),
    (by_name("api-v1:issue_api_token"), Rule(TOKEN)),
    (by_name("api-v1:api-root"), Rule(MISSING)),
    # CAS single sign-on: not found while CAS_SERVER_URL is unset (tests/test_accounts_cas).
    (by_name("cas-login"), Rule(MISSING)),
    (by_path(r"^api/v1/\^\(\?P<path>"), Rule(MISSING)),
    # Any signed-in person.
    (by_name("my-work", "inbox", "notice-menu"), Rule(SIGNED_IN)),
    # 全部标为已读: one's own notices only; answers with the inbox.
    (by_name("notices-read-all"), Rule(SIGNED_IN, ("POST",), ok=(302,))),
    (by_name("ledger"), Rule(SIGNED_IN, shows_items=True)),
    (by_name("ledger-export"), Rule(SIGNED_IN, shows_items=True)),  # the ledger as .xlsx
    # A large export, written by a worker: queued by anyone, seen only by its requester.
    (by_name("ledger-export-start"), Rule(SIGNED_IN, ("POST",))),
    (
        by_name("ledger-export-job", "ledger-export-download"),
        Rule(SIGNED_IN, ok=(404,), params=MISSING_PK),
    ),
    # 我的视图: each person's own saved filters; deleting another's (or none) is 404.
    (by_name("ledger-view-save"), Rule(SIGNED_IN, ("POST",))),
    (by_name("ledger-view-delete"), Rule(SIGNED_IN, ("POST",), ok=(404,), params=MISSING_PK)),
    # The print view of an item: whoever may see it (R-C5).
    (by_name("item-print"), Rule(ITEM)),
    (by_name("notify-preferences"), Rule(SIGNED_IN, ("GET", "POST"))),
    # One's own calendar URL: made (the page, showing it once) and revoked (back to
    # the page, refused when there is none).
    (by_name("notify-calendar-create"), Rule(SIGNED_IN, ("POST",), ok=(200,))),
    (by_name("notify-calendar-revoke"), Rule(SIGNED_IN, ("POST",))),
    (by_name("password-change"), Rule(SIGNED_IN, ("GET", "POST"), ok=(200,))),
    (by_name("api-tokens"), Rule(SIGNED_IN)),
    # Revoking a token by id: one's own only, so a made-up id is not found for everyone
    # (tests/test_hardening_accounts.py revokes real ones).
    (
        by_name("api-token-revoke"),
        Rule(SIGNED_IN, ("POST",), ok=(404,), params=(("token_id", "missing"),)),
    ),
    # Without two-factor sign-in (OTP_REQUIRED off), its steps send one on.
    (by_name("otp-setup", "otp-verify"), Rule(SIGNED_IN, ("GET", "POST"), ok=(302,))),
    (by_name("api-v1:read_me", "api-v1:list_units", "api-v1:list_notices"), Rule(SIGNED_IN)),
    (by_name("api-v1:list_items"), Rule(SIGNED_IN, shows_items=True)),
    # The office.
    (by_name("item-new"), Rule(ESTABLISH, ("GET", "POST"))),
    (by_name("item-deadline-preview"), Rule(ESTABLISH)),  # the 立项 form's live deadline
    (by_name("api-v1:establish_item"), Rule(ESTABLISH)),
    (by_name("attention", "notify-failures"), Rule(OFFICE)),
    # The ledger's bulk actions: office supervisors only (403 for everyone else); an
    # empty selection is refused (400). tests/test_ledger_page_bulk.py settles the rest.
    (by_name("ledger-bulk"), Rule(OFFICE, ("POST",), ok=(400,))),
    # Items and actions on them.
    (by_name("item-detail", "api-v1:read_item"), Rule(ITEM)),
    (by_name("item-action"), Rule(ACTION, ("POST",), variants=ITEM_ACTION_VARIANTS)),
    *(
        (by_name(f"api-v1:{name}"), Rule(ACTION, action=action))
        for name, action in API_ACTIONS.items()
    ),
    (by_name("attention-urge"), Rule(OFFICE_URGE, ("POST",), action="urge")),
    (by_name("notify-retry"), Rule(DELIVERY, ("POST",))),
    # Webhooks (duban.hooks; tests/test_hooks.py): office supervisors manage their own
    # office's. An empty form or body is refused with the fields to fix.
    (by_name("webhook-list", "api-v1:list_webhooks"), Rule(OFFICE)),
    (by_name("webhook-new"), Rule(OFFICE, ("GET", "POST"))),
    (by_name("api-v1:create_webhook"), Rule(OFFICE, ok=(400,))),
    (by_name("webhook-detail"), Rule(WEBHOOK, ("GET", "POST"), ok=(200,))),
    (by_name("webhook-deactivate", "webhook-ping"), Rule(WEBHOOK, ("POST",), ok=(302,))),
    (by_name("webhook-activate"), Rule(WEBHOOK, ("POST",), ok=(302,))),  # refused: active
    (by_name("webhook-secret"), Rule(WEBHOOK, ("POST",), ok=(200,))),  # shown once
    (
        by_name(
            "api-v1:read_webhook",
            "api-v1:update_webhook",
            "api-v1:deactivate_webhook",
            "api-v1:regenerate_webhook_secret",
            "api-v1:ping_webhook",
            "api-v1:list_webhook_deliveries",
        ),
        Rule(WEBHOOK, ok=(200,)),
    ),
    (by_name("api-v1:activate_webhook"), Rule(WEBHOOK, ok=(409,))),  # it is active
    (by_name("notice-read", "api-v1:read_notice"), Rule(OWN_NOTICE, ("POST",))),
    (by_name("item-recusal", "api-v1:declare_recusal"), Rule(RECUSAL, ("POST",))),
    # Attachments: listed with the item, uploaded to it, downloaded by their own id.
    (by_name("api-v1:list_attachments"), Rule(ITEM)),
    (by_name("item-attachments", "api-v1:upload_attachment"), Rule(ATTACH, ("POST",))),
    (by_name("attachment-download", "api-v1:download_attachment"), Rule(ATTACHMENT)),
    # Oversight (issue 5, being built): see OVERSIGHT.
    (by_name("ledger-import"), Rule(OVERSIGHT, ("GET", "POST"))),
    (by_name("ledger-import-detail"), Rule(OVERSIGHT, ("GET", "POST"), params=MISSING_PK)),
    # Intake (issue 12): the General Office's supervisors only (tests/test_intake_pages.py).
    (by_name("intake"), Rule(OVERSIGHT, ("GET", "POST"))),
    (by_name("intake-document"), Rule(OVERSIGHT, params=MISSING_PK)),
    (by_name("intake-merge", "intake-confirm"), Rule(OVERSIGHT, ("POST",), params=MISSING_PK)),
    (
        by_name("intake-proposal-edit", "intake-proposal-drop"),
        Rule(OVERSIGHT, ("POST",), params=(("pk", "missing"), ("proposal_pk", "missing"))),
    ),
    (
        by_name(
            "spotchecks",
            "spotcheck-rectifications",
            "reports-home",
            "reports-dashboard",
            "reports-assessment",
            "reports-assessment-csv",
            "reports-meetings",
            "reports-leaders",
            "reports-period",
            "documents",
        ),
        Rule(OVERSIGHT),
    ),
    (by_name("spotcheck-draw", "spotcheck-rectification"), Rule(OVERSIGHT, params=MISSING_PK)),
    (
        by_name(
            "spotcheck-record",
            "spotcheck-rectification-submit",
            "spotcheck-rectification-decide",
        ),
        Rule(OVERSIGHT, ("POST",), params=MISSING_PK),
    ),
    (by_name("spotcheck-draw-new"), Rule(OVERSIGHT, ("POST",))),
    (
        by_name("reports-assessment-figure"),
        Rule(OVERSIGHT, params=(("year", "year"), ("unit_id", "lead_unit"), ("figure", "=led"))),
    ),
    (
        by_name("reports-meeting"),
        Rule(OVERSIGHT, params=(("source_body", "=president_meeting"), ("minutes", "today"))),
    ),
    (by_name("reports-leader"), Rule(OVERSIGHT, params=(("pk", "leader"),))),
    (by_name("documents-circulars", "documents-volumes"), Rule(OVERSIGHT, ("GET", "POST"))),
    (by_name("documents-volume", "documents-volume-index"), Rule(OVERSIGHT, params=MISSING_PK)),
    (by_name("documents-dossier"), Rule(OVERSIGHT, item_scoped=True)),
    # 分办 (R-A4): tests/test_r_a4_parts.py settles who may do what; here, a hidden
    # item's parts are not found and nothing answers 500.
    (
        by_name(
            "api-v1:list_parts",
            "api-v1:divide_item",
            "api-v1:sign_part",
            "api-v1:report_part",
            "api-v1:urge_part",
            "api-v1:redate_part",
        ),
        Rule(OVERSIGHT, item_scoped=True),
    ),
    (by_name("item-part-divide"), Rule(OVERSIGHT, ("POST",), item_scoped=True)),
    # Spot checks, circulars, volumes and dossiers over the API (duban.api.spotchecks,
    # duban.api.documents): the pages' rules, settled by tests/test_api_oversight.py.
    (
        by_name(
            "api-v1:list_spot_check_draws",
            "api-v1:draw_spot_check_sample",
            "api-v1:list_rectifications",
            "api-v1:list_circulars",
            "api-v1:generate_circular",
            "api-v1:list_volumes",
            "api-v1:list_items_to_file",
            "api-v1:file_volume",
        ),
        Rule(OVERSIGHT),
    ),
    (by_name("api-v1:read_spot_check_draw"), Rule(OVERSIGHT, params=(("draw_id", "missing"),))),
    (by_name("api-v1:record_spot_check"), Rule(OVERSIGHT, params=(("check_id", "missing"),))),
    (
        by_name(
            "api-v1:read_rectification",
            "api-v1:submit_rectification",
            "api-v1:decide_rectification",
        ),
        Rule(OVERSIGHT, params=(("rectification_id", "missing"),)),
    ),
    (
        by_name("api-v1:read_volume", "api-v1:read_volume_index"),
        Rule(OVERSIGHT, params=(("volume_id", "missing"),)),
    ),
    (by_name("api-v1:read_dossier"), Rule(OVERSIGHT, item_scoped=True)),
    (
        by_name("item-part-action"),
        Rule(OVERSIGHT, ("POST",), item_scoped=True, variants=("sign_part",)),
    ),
    # The figures and reports, the ledger file and the calendar over the API.
    (
        by_name(
            "api-v1:read_dashboard",
            "api-v1:list_meetings",
            "api-v1:list_leaders",
            "api-v1:read_period",
        ),
        Rule(REPORT_READER),
    ),
    (
        by_name("api-v1:read_meeting"),
        Rule(REPORT_READER, params=(("source_body", "=president_meeting"), ("minutes", "today"))),
    ),
    (by_name("api-v1:read_leader"), Rule(REPORT_READER, params=(("leader_id", "leader"),))),
    (by_name("api-v1:read_assessment", "api-v1:export_assessment"), Rule(ASSESSMENT_READER)),
    (
        by_name("api-v1:read_assessment_figure"),
        Rule(
            ASSESSMENT_READER,
            params=(("year", "year"), ("unit_id", "lead_unit"), ("figure", "=led")),
        ),
    ),
    (by_name("api-v1:export_ledger"), Rule(SIGNED_IN)),  # an .xlsx: its cells are searched
    # A background export: queued for anyone signed in; read by its requester only.
    (by_name("api-v1:request_ledger_export"), Rule(SIGNED_IN, ok=(202,))),
    (
        by_name("api-v1:read_ledger_export", "api-v1:download_ledger_export"),
        Rule(SIGNED_IN, ok=(404,), params=(("export_id", "missing"),)),
    ),
    (by_name("api-v1:list_ledger_imports"), Rule(LEDGER_IMPORTER)),
    (by_name("api-v1:upload_ledger"), Rule(LEDGER_IMPORTER, ok=(400,))),  # without a file
    (
        by_name("api-v1:read_ledger_import", "api-v1:confirm_ledger_import"),
        Rule(LEDGER_IMPORTER, ok=(404,), params=(("import_id", "missing"),)),
    ),
    (by_name("api-v1:read_calendar_year"), Rule(SIGNED_IN, params=(("year", "=2026"),))),
    (by_name("api-v1:edit_calendar_day"), Rule(CALENDAR_ADMIN, params=(("day", "=2026-10-12"),))),
    (by_name("api-v1:load_calendar_year"), Rule(CALENDAR_ADMIN, params=(("year", "=2026"),))),
    (by_name("api-v1:load_holiday_notice"), Rule(CALENDAR_ADMIN)),  # a preview: no change
    # The three administrators (三员分立).
    (by_name("account-locks"), Rule(SECURITY_ADMIN, ("GET", "POST"), ok=(200, 302))),
    (by_name("two-factor-devices"), Rule(SECURITY_ADMIN)),
    (by_name("two-factor-reset"), Rule(SECURITY_ADMIN, ("POST",))),
    (by_name("audit-log", "audit-export", "audit-verification"), Rule(AUDIT_ADMIN)),
    # 校验: queues a verification of the chain, then shows the audit page.
    (by_name("audit-verify"), Rule(AUDIT_ADMIN, ("POST",), ok=(302,))),
    (by_name("admin:login"), Rule(ADMIN_LOGIN)),
    # The directory sync (tests/test_sync_org_page.py): an empty upload is refused (400).
    (by_name("directory-sync"), Rule(SYSTEM_ADMIN_PAGE, ("GET", "POST"), ok=(200, 400))),
    (
        by_name("directory-sync-detail"),
        Rule(SYSTEM_ADMIN_PAGE, ("GET", "POST"), ok=(404,), params=MISSING_PK),
    ),
    (by_path(r"^admin/"), Rule(SYSTEM_ADMIN, ("GET", "POST"))),
]

# The system administrator's answers to GET in the admin that are not a plain 200
# (by URL name, or path when unnamed).
ADMIN_ANSWERS: dict[str, tuple[int, ...]] = {
    "admin:view_on_site": (404,),  # units have no page of their own
    "admin:autocomplete": (403,),  # without its query parameters
    # Task results are the engine's: read-only.
    "admin:django_tasks_database_dbtaskresult_add": (403,),
    "admin:django_tasks_database_dbtaskresult_delete": (403,),
    # Units, people and calendar days are deactivated or changed, never deleted.
    "admin:organisation_unit_delete": (403,),
    "admin:organisation_user_delete": (403,),
    "admin:workcalendar_calendarday_delete": (403,),
    "admin/(?P<url>.*)$": (404,),  # the catch-all: no such page
}


def rule_for(route: Route) -> Rule | None:
    for matches, rule in RULES:
        if matches(route):
            return rule
    return None


@dataclass(frozen=True)
class Case:
    route: Route
    rule: Rule | None
    variant: str

    def __str__(self) -> str:
        return f"{self.route}{'/' + self.variant if self.variant else ''}"


def cases() -> list[Case]:
    found = []
    for route in all_routes():
        rule = rule_for(route)
        for variant in rule.variants if rule else ("",):
            found.append(Case(route, rule, variant))
    return found


CASES = cases()

PERSONAS = (
    "anonymous",
    "office_supervisor",
    "lead_liaison",
    "lead_head",
    "cooperating_liaison",
    "other_unit_liaison",
    "leader_in_charge",
    "system_admin",
    "security_admin",
    "audit_admin",
    "recused_person",
    "discipline_supervisor",
    "secrecy_supervisor",
)
ITEM_KINDS = ("ordinary", "sensitive", "discipline", "classified")


# ----------------------------------------------------------------------------- the world


@dataclass
class World:
    people: dict[str, User | None]
    items: dict[str, Item]
    notice: Notice  # an unread notice of the lead head's about the ordinary item
    webhook: Endpoint  # the General Office's
    deliveries: dict[str, Delivery]  # a failed delivery about each item
    attachments: dict[str, Attachment]  # one for each item but the classified one
    sessions: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    visible: dict[str, set[int]] = field(default_factory=dict)
    allowed: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    refusal: dict[tuple[str, int, str], int] = field(default_factory=dict)
    attach_refusal: dict[tuple[str, int], int] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)  # one test client each


def build_world() -> World:
    leader = make_person("leader_in_charge", Role.SCHOOL_LEADER, None, "王校长")
    office, _head, _liaison = make_unit(
        "0100", "党政办公室", UnitKind.GENERAL_OFFICE, leader, "赵主任", "钱联络", "office"
    )
    lead_unit, lead_head, lead_liaison = make_unit(
        "0200", "教务处", UnitKind.DEPARTMENT, leader, "李处长", "周联络", "lead"
    )
    cooperating_unit, _cooperating_head, cooperating_liaison = make_unit(
        "0300", "人事处", UnitKind.DEPARTMENT, leader, "吴处长", "郑联络", "cooperating"
    )
    _other_unit, _other_head, other_liaison = make_unit(
        "0400", "财务处", UnitKind.DEPARTMENT, leader, "冯处长", "陈联络", "other_unit"
    )
    discipline_office = Unit.objects.create(
        code="0150", name="纪委办公室/监察处", kind=UnitKind.DISCIPLINE_OFFICE
    )
    secrecy_office = Unit.objects.create(
        code="0160", name="保密办公室", kind=UnitKind.SECRECY_OFFICE
    )
    supervisor = make_person("office_supervisor", Role.OFFICE_SUPERVISOR, office, "孙督办")
    people: dict[str, User | None] = {
        "anonymous": None,
        "office_supervisor": supervisor,
        "lead_liaison": lead_liaison,
        "lead_head": lead_head,
        "cooperating_liaison": cooperating_liaison,
        "other_unit_liaison": other_liaison,
        "leader_in_charge": leader,
        "system_admin": make_person("system_admin", Role.SYSTEM_ADMIN, None, "系统管理员"),
        "security_admin": make_person("security_admin", Role.SECURITY_ADMIN, None, "安全管理员"),
        "audit_admin": make_person("audit_admin", Role.AUDIT_ADMIN, None, "审计管理员"),
        "recused_person": make_person(
            "recused_supervisor", Role.OFFICE_SUPERVISOR, office, "回避督办员"
        ),
        "discipline_supervisor": make_person(
            "discipline_supervisor", Role.OFFICE_SUPERVISOR, discipline_office, "纪委督办员"
        ),
        "secrecy_supervisor": make_person(
            "secrecy_supervisor", Role.OFFICE_SUPERVISOR, secrecy_office, "保密督办员"
        ),
    }
    # The admin site asks for the role, not the flags: the other two administrators get
    # every flag too, and must still be refused (三员分立).
    for persona in ("system_admin", "security_admin", "audit_admin"):
        User.objects.filter(username=persona).update(is_staff=True, is_superuser=True)

    class Org:  # what conftest.meeting_input reads
        pass

    org: Any = Org()
    org.lead_unit, org.cooperating_unit = lead_unit, cooperating_unit

    def start(actor: User, **overrides: Any) -> Item:
        item = actions.establish_item(actor, meeting_input(org, **overrides))
        actions.assign_item(actor, item)
        actions.sign_for_item(lead_liaison, item)
        item.refresh_from_db()
        return item

    items = {
        "ordinary": start(supervisor, title="普通事项：修订培养方案"),
        "sensitive": start(
            supervisor,
            title="敏感事项：信访件办理",
            content="核实来访人反映的问题并答复。",
            confidentiality="sensitive",
        ),
        "discipline": start(
            people["discipline_supervisor"],  # type: ignore[arg-type]
            title="执纪事项：专项检查整改",
            content="按纪委要求完成专项检查整改。",
            confidentiality="discipline",
            cooperating_units=[],
        ),
        "classified": start(
            people["secrecy_supervisor"],  # type: ignore[arg-type]
            title="涉密事项：登记编号",
            content="线下报送",
            basis="线下报送",
            confidentiality="classified",
            cooperating_units=[],
        ),
    }
    ordinary, sensitive = items["ordinary"], items["sensitive"]
    # A draft waits for the head (confirm/decline); an extension waits for the office.
    actions.draft_completion_report(lead_liaison, ordinary, "培养方案已修订完成。")
    actions.request_extension(
        lead_liaison,
        sensitive,
        requested_deadline=sensitive.deadline + timedelta(days=20),
        reason="来访人补充材料，需再次核实。",
    )
    # R-C4: the recused supervisor could otherwise run the ordinary item.
    actions.declare_recusal(
        supervisor, ordinary, reason="亲属在承办单位任职", person=people["recused_person"]
    )
    for kind in ITEM_KINDS:
        items[kind].refresh_from_db()

    notice = (
        Notice.objects.filter(recipient=lead_head, item=ordinary, read_at__isnull=True)
        .order_by("pk")
        .first()
    )
    assert notice is not None
    now = clock.now()
    deliveries = {
        kind: Delivery.objects.create(
            notice=Notice.objects.filter(recipient=lead_liaison, item=item).order_by("pk").first(),
            channel=Channel.EMAIL,
            address="lead@example.edu.cn",
            status=DeliveryStatus.FAILED,
            attempts=5,
            next_attempt_at=now,
            last_error="连接被拒绝",
            created_at=now,
        )
        for kind, item in items.items()
    }
    attachments = {
        kind: attachment_actions.attach_file(lead_liaison, item, a_file())
        for kind, item in items.items()
        if kind != "classified"  # nothing of a classified item enters the system (R-C3)
    }
    webhook, _secret = hook_actions.create_endpoint(
        supervisor, name="数据中心", url="https://data.example.edu.cn/hook", kinds=["item.assigned"]
    )
    world = World(people, items, notice, webhook, deliveries, attachments)
    for persona, user in people.items():
        if user is None:
            continue
        user.refresh_from_db()
        client = Client()
        client.force_login(user)
        world.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
        world.tokens[persona] = issue_token(user)[0]
        world.visible[persona] = set(Item.objects.visible_to(user).values_list("pk", flat=True))
        for item in items.values():
            if item.pk not in world.visible[persona]:
                continue  # hidden: 404 before any policy (the expectations' first rule)
            world.allowed[persona, item.pk] = policy.allowed_actions(user, item)
            for action in ACTIONS:
                try:
                    policy.check(user, item, action)
                except ActionError as error:
                    world.refusal[persona, item.pk, action] = error.status
            try:
                attachment_actions.check_may_attach(user, item)
            except ActionError as error:
                world.attach_refusal[persona, item.pk] = error.status
    return world


def a_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("进展说明.txt", "第一阶段工作已完成。".encode(), "text/plain")


def atomic_for_tests() -> transaction.Atomic:
    """A savepoint that, like a TestCase's own, may hold a durable block
    (duban.attachments.actions.attach_file is one)."""
    atomic = transaction.atomic()
    atomic._from_testcase = True  # type: ignore[attr-defined]
    return atomic


@pytest.fixture(scope="module")
def world(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Built once for the module, inside a transaction rolled back at its end."""
    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ATTACHMENT_ROOT=tmp_path_factory.mktemp("attachments"),
    )
    with django_db_blocker.unblock(), quick, atomic_for_tests():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def password_sign_in(settings: Any) -> None:
    settings.OTP_REQUIRED = False


@pytest.fixture(autouse=True, scope="module")
def quiet_refusals() -> Iterator[None]:
    """Thousands of 403s and 404s are the point here; don't log each one."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


# ----------------------------------------------------------------------------- state


def _project_models() -> list[Any]:
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("duban.")
        or model._meta.label in ("otp_totp.TOTPDevice", "auth.Group")
    ]


# Rows whose values (not only their number) matter; `last_login` and token use are not
# changes a request may make behind a refusal, only bookkeeping.
VALUED = {
    "items.Item": (),
    "items.Notice": (),
    "items.Feedback": (),
    "items.ExtensionRequest": (),
    "notify.Delivery": (),
    "hooks.Endpoint": (),
    "hooks.HookDelivery": (),
    "notify.ChannelPreference": (),
    "organisation.User": ("last_login",),
    "organisation.Unit": (),
}


@functools.cache
def _state_queries() -> list[tuple[str, str]]:
    """(label, SQL) of what `state` reads: one query counting every table, one per
    table whose values matter, and the audit events that are changes. (Every name in
    the SQL is a model's table or column, quoted: hence the S608 exemptions.)"""
    quote = connection.ops.quote_name
    tables = set(connection.introspection.table_names())
    counted = [
        model
        for model in _project_models()
        if model is not AuditEvent and model._meta.db_table in tables
    ]
    queries = [
        (
            "counts",
            "SELECT "
            + ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in counted),
        )
    ]
    for label, ignored in VALUED.items():
        model = apps.get_model(label)
        columns = ", ".join(
            quote(f.column) for f in model._meta.concrete_fields if f.attname not in ignored
        )
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        queries.append((label, f"SELECT {columns} FROM {table} ORDER BY {pk}"))
    verbs = ", ".join(f"'{verb}'" for verb in NOT_CHANGES)
    table = quote(AuditEvent._meta.db_table)
    sql = f"SELECT COUNT(*) FROM {table} WHERE verb NOT IN ({verbs})"
    queries.append(("audit events", sql))
    queries.append(("tables", ",".join(m._meta.label for m in counted)))
    return queries


def state() -> dict[str, Any]:
    """Everything a request could change, but sign-ins and reads (raw SQL: it runs
    around every request of the matrix)."""
    *queries, (_tables, labels) = _state_queries()
    found: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for label, sql in queries:
            cursor.execute(sql)
            found[label] = cursor.fetchall()
    counts = found.pop("counts")[0]
    found.update(zip((f"{label} rows" for label in labels.split(",")), counts, strict=True))
    return found


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [label for label, value in after.items() if before.get(label) != value]


# ----------------------------------------------------------------------------- requests


@dataclass
class Answer:
    status: int
    location: str
    text: str
    changed: list[str]

    def json(self) -> Any:
        return json.loads(self.text)


def send(
    world: World,
    persona: str,
    route: Route,
    method: str,
    url: str,
    body: Any,
    before: dict[str, Any] | None,
) -> Answer:
    """One request as `persona`, in a savepoint rolled back once its effect is known:
    what changed since `before` (not looked for without it)."""
    client = world.clients.setdefault(persona, Client())
    client.cookies.clear()  # nothing carried over from the request before
    headers = {}
    if route.is_api:
        if persona in world.tokens:
            headers["Authorization"] = f"Bearer {world.tokens[persona]}"
    elif persona in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    with atomic_for_tests():
        if isinstance(body, dict) and any(isinstance(v, UploadedFile) for v in body.values()):
            response = client.post(url, body, headers=headers)  # multipart
        elif route.is_api:
            data = json.dumps(body) if body is not None else None
            response = client.generic(
                method, url, data or "", content_type="application/json", headers=headers
            )
        elif method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = client.generic(
                method,
                url,
                _form_encoded(body or {}),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        text = _text(response)
        changed = differences(before, state()) if before is not None else []
        transaction.set_rollback(True)
    return Answer(response.status_code, response.get("Location", ""), text, changed)


def _form_encoded(data: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({key: str(value) for key, value in data.items()})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(response: HttpResponse) -> str:
    """The answer's text; a spreadsheet's is the text of its cells."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        content = response.content
    if response.get("Content-Type", "").startswith(XLSX):
        return spreadsheet_text(content)
    return content.decode("utf-8", errors="replace")


def spreadsheet_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


# ----------------------------------------------------------------------------- bodies


def _text_for(item: Item | None) -> str:
    # Classified items take no content (R-C3): "handled offline" is the only text.
    if item is not None and item.confidentiality == "classified":
        return "线下报送"
    return "按计划推进，已完成阶段任务。"


def page_form(action: str, item: Item | None, leader: User) -> dict[str, Any]:
    """A valid form for `action` on the item page (`leader`: who decides R-T1)."""
    text = _text_for(item)
    today = clock.today()
    deadline = item.deadline if item else today
    decision = {"decision_kind": "leader", "leader": leader.pk, "basis": text, "reason": text}
    forms: dict[str, dict[str, Any]] = {
        "assign": {},
        "sign_for": {},
        "confirm_report": {},
        "return": {"reason": text},
        "reassign": {"note": text},
        "change": {"reason": text, "title": text},
        "record_plan": {
            "goals": text,
            "milestone_title_1": text,
            "milestone_due_1": today.isoformat(),
        },
        "submit_feedback": {"text": text},
        "report_contribution": {"text": text},
        "draft_completion_report": {"text": text},
        "decline_report": {"reason": text},
        "accept_report": {"comment": ""},
        "return_report": {"comment": text},
        "urge": {"channel": "system", "recipient": "liaison", "note": ""},
        "request_extension": {
            "requested_deadline": (deadline + timedelta(days=20)).isoformat(),
            "reason": text,
        },
        "decide_extension": {"decision": "approve", "comment": ""},
        "adjust": {**decision, "new_deadline": (deadline + timedelta(days=10)).isoformat()},
        "terminate": decision,
        "no_such_action": {},
    }
    # Confirmed, as the confirmation page posts it (web.item_views.confirm_page).
    return {"confirmed": "1", **forms[action]}


def api_body(action: str, item: Item | None, leader: User, liaison: User) -> Any:
    """A valid body for `action`'s endpoint (`liaison`: whom an urge goes to)."""
    text = _text_for(item)
    today = clock.today()
    deadline = item.deadline if item else today
    decision = {"decision_kind": "leader", "leader": leader.pk, "basis": text, "reason": text}
    bodies: dict[str, Any] = {
        "assign": None,
        "sign_for": None,
        "confirm_report": None,
        "return": {"reason": text},
        "reassign": {"note": text},
        "change": {"reason": text, "title": text},
        "record_plan": {"goals": text, "milestones": [{"title": text, "due_on": str(today)}]},
        "submit_feedback": {"text": text},
        "report_contribution": {"text": text},
        "draft_completion_report": {"text": text},
        "decline_report": {"reason": text},
        "accept_report": {"accept": True, "comment": ""},
        "request_extension": {
            "requested_deadline": str(deadline + timedelta(days=20)),
            "reason": text,
        },
        "decide_extension": {"approve": True, "comment": ""},
        "adjust": {**decision, "new_deadline": str(deadline + timedelta(days=10))},
        "terminate": decision,
        "urge": {"channel": "system", "recipient": liaison.pk, "note": ""},
    }
    return bodies[action]


# A notice for a year the seed does not hold (tests/test_holiday_notice.py's).
HOLIDAY_NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：2026年12月31日（周四）至2027年1月3日（周日）放假调休，共4天。1月9日（周六）上班。
二、春节：2月6日（周六）至13日（周六）放假调休，共8天。2月20日（周六）上班。
"""


def establish_data(world: World, route: Route) -> dict[str, Any]:
    lead_unit = world.items["ordinary"].lead_unit
    data: dict[str, Any] = {
        "title": "新立项事项：校园安全检查",
        "content": "开展全校安全检查并整改。",
        "basis": "校长办公会纪要〔2026〕第20期",
        "source_kind": "meeting",
        "source_body": "president_meeting",
        "lead_unit": lead_unit.pk,
        "confidentiality": "ordinary",
        "minutes_issued_on": clock.today().isoformat(),
    }
    if route.is_api:
        data["cooperating_units"] = []
    return data


def body_for(world: World, case: Case, method: str, target: Target) -> Any:
    rule = case.rule
    assert rule is not None
    if method == "GET":
        return None
    if rule.access == ACTION:
        action = rule.action or case.variant
        leader, liaison = world.people["leader_in_charge"], world.people["lead_liaison"]
        assert leader is not None and liaison is not None
        if case.route.is_api:
            return api_body(action, target.item, leader, liaison)
        return page_form(action, target.item, leader)
    if rule.access == OFFICE_URGE:
        return {}
    if rule.access == ATTACH:
        return {"file": a_file()}
    if rule.access == RECUSAL:
        reason = "本人与承办单位负责人系亲属。"
        if case.route.is_api:
            user = world.people[target.persona]
            return {"person": user.pk if user else 1, "reason": reason}
        return {"who": "self", "reason": reason}
    if rule.access == ESTABLISH:
        return establish_data(world, case.route)
    if rule.access == CALENDAR_ADMIN:
        if case.route.name == "api-v1:edit_calendar_day":
            return {"kind": "holiday", "note": "校庆日"}
        if method == "PUT":  # a year's calendar file
            return {"text": "2026-10-12 休息日 校庆日"}
        return {"text": HOLIDAY_NOTICE_2027}
    if rule.access == TOKEN:
        user = world.people[target.persona]
        if user is None:
            return {"username": "nobody", "password": "wrong-password"}
        return {"username": user.username, "password": PASSWORD}
    return {} if case.route.is_api else None


# ----------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    key: str  # an item kind, "missing", or what else the id names
    pk: int | None
    item: Item | None = None  # whose visibility decides
    persona: str = ""


def targets(world: World, case: Case, persona: str) -> list[Target]:
    rule = case.rule
    assert rule is not None
    if rule.access in (ITEM, ACTION, OFFICE_URGE, RECUSAL, ATTACH) or rule.item_scoped:
        found = [Target(kind, item.pk, item, persona) for kind, item in world.items.items()]
        if len(rule.variants) > 1:
            found = sampled_items(world, case, persona, found)
        return [*found, Target("missing", MISSING_ID, None, persona)]
    if rule.access == DELIVERY:
        found = [
            Target(kind, world.deliveries[kind].pk, item, persona)
            for kind, item in world.items.items()
        ]
        return [*found, Target("missing", MISSING_ID, None, persona)]
    if rule.access == WEBHOOK:
        return [
            Target("webhook", world.webhook.pk, None, persona),
            Target("missing", MISSING_ID, None, persona),
        ]
    if rule.access == OWN_NOTICE:
        return [
            Target("notice", world.notice.pk, world.items["ordinary"], persona),
            Target("missing", MISSING_ID, None, persona),
        ]
    if rule.access == ATTACHMENT:
        found = [
            Target(kind, attachment.pk, world.items[kind], persona)
            for kind, attachment in world.attachments.items()
        ]
        return [*found, Target("missing", MISSING_ID, None, persona)]
    if rule.access == SECURITY_ADMIN and parameters(case.route.path):
        person = world.people["office_supervisor"]
        assert person is not None
        return [Target("person", person.pk, None, persona)]
    if rule.access == SYSTEM_ADMIN:
        return [Target("object", admin_object(world, case.route), None, persona)]
    return [Target("", None, None, persona)]


def sampled_items(world: World, case: Case, persona: str, found: list[Target]) -> list[Target]:
    """The item page's actions (one route, a variant per action): every item on which
    the persona may take the action, and, a different one from variant to variant, one
    visible item on which they may not and one hidden from them. Each (persona, item)
    still meets the route, each variant meets every kind of answer, and the full grid
    of (persona, item, action) refusals runs through the same actions in the API's
    rows — at a third of the item pages this route would otherwise render."""
    assert case.rule is not None
    visible = world.visible.get(persona, set())
    allowed, refused, hidden = [], [], []
    for target in found:
        assert target.item is not None
        if target.item.pk not in visible:
            hidden.append(target)
        elif case.variant in world.allowed[persona, target.item.pk]:
            allowed.append(target)
        else:
            refused.append(target)
    turn = case.rule.variants.index(case.variant) + PERSONAS.index(persona)
    return [*allowed, *(group[turn % len(group)] for group in (refused, hidden) if group)]


def admin_object(world: World, route: Route) -> int | None:
    """A row of the model an admin route is about, if it names one: for units and
    people, ones that items refer to (their pages must not show those items)."""
    if route.name == "admin:view_on_site":  # its content type is the unit's
        return world.items["sensitive"].lead_unit_id
    match = re.match(r"admin/(\w+)/(\w+)/", route.path)
    if not match:
        return None
    try:
        model = apps.get_model(match[1], match[2])
    except LookupError:
        return None
    if model is Unit:
        return world.items["sensitive"].lead_unit_id
    if model is User:
        supervisor = world.people["office_supervisor"]
        return supervisor.pk if supervisor else None
    first = model.objects.order_by("pk").values_list("pk", flat=True).first()
    return first if first is not None else MISSING_ID


def symbolic(world: World, value: str) -> str:
    if value.startswith("="):
        return value[1:]
    today = clock.today()
    leader = world.people["leader_in_charge"]
    values = {
        "missing": str(MISSING_ID),
        "leader": str(leader.pk if leader else MISSING_ID),
        "lead_unit": str(world.items["ordinary"].lead_unit_id),
        "year": str(today.year),
        "today": today.isoformat(),
    }
    return values[value]


def url_for(world: World, case: Case, target: Target) -> str:
    assert case.rule is not None
    unit_type = ContentType.objects.get_for_model(Unit)
    fixed = {
        **{name: symbolic(world, value) for name, value in case.rule.params},
        "action": case.variant,
        "app_label": "organisation",
        "url": "no-such-page/",
        "path": "no-such-endpoint",
        "content_type_id": str(unit_type.pk),
    }
    values = {}
    for name in parameters(case.route.path):
        if name in fixed:
            values[name] = fixed[name]
        else:
            assert target.pk is not None, f"{case}: nothing to put in <{name}>"
            values[name] = str(target.pk)
    url = concrete(case.route.path, values)
    resolved = resolve(url).route.replace("^", "")
    assert resolved == case.route.path.replace("^", ""), f"{url} does not resolve to {case.route}"
    return url


# ----------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Expect:
    statuses: tuple[int, ...]
    location: str = ""  # a redirect's target (prefix)
    change: bool | None = False  # must change (True), must not (False), either (None)


def expect(world: World, case: Case, persona: str, method: str, target: Target) -> Expect:
    rule, route = case.rule, case.route
    assert rule is not None
    user = world.people[persona]
    access = rule.access
    ok_post = (200,) if route.is_api else (302,)

    if access == PUBLIC:
        return Expect(rule.ok or (200,), change=None)
    if access == MISSING:
        return Expect((404,))
    if access == TOKEN:
        return Expect((200,) if user else (401,), change=None)
    if access == LOGIN_PAGE:
        if user is None:
            return Expect((200,))
        return Expect((302,), resolve_url(settings.LOGIN_REDIRECT_URL))
    if access == LOGOUT:
        return Expect((302,), change=None)
    if access == ADMIN_LOGIN:
        if persona == "system_admin":
            return Expect((302,), "/admin/")
        return Expect((200,))
    if user is None:
        if route.is_api:
            return Expect((401,))
        if route.is_admin:
            return Expect((302,), "/admin/login/?next=")
        return Expect((302,), f"{resolve_url(settings.LOGIN_URL)}?next=")

    forbidden = Expect((403,))
    hidden = Expect((404,))
    item = target.item
    visible = item is not None and item.pk in world.visible[persona]
    is_office = user.role == Role.OFFICE_SUPERVISOR

    if access == OVERSIGHT:
        if rule.item_scoped and not visible:
            return hidden
        return Expect((200, 302, 400, 403, 404), change=None)
    if access == REPORT_READER:
        if user.role not in (Role.OFFICE_SUPERVISOR, Role.SCHOOL_LEADER):
            return forbidden
        if "minutes" in parameters(route.path):
            # Every item of the world is of today's 校长办公会: a meeting is found while
            # one of them is visible (the recused supervisor sees none).
            return Expect((200,) if world.visible[persona] else (404,))
        return Expect(rule.ok or (200,))
    if access == ASSESSMENT_READER:
        allowed = Expect((200,), change=None if route.path.endswith("export") else False)
        if user.role in (Role.OFFICE_SUPERVISOR, Role.SCHOOL_LEADER):
            return allowed  # an export is audited
        unit_id = world.items["ordinary"].lead_unit_id
        own_unit = "unit_id" not in parameters(route.path) or user.unit_id == unit_id
        unit_contact = user.role in (Role.UNIT_HEAD, Role.LIAISON) and user.unit_id
        return allowed if unit_contact and own_unit else forbidden
    if access == LEDGER_IMPORTER:
        return Expect(rule.ok or (200,)) if is_office else forbidden
    if access == CALENDAR_ADMIN:
        if persona != "system_admin":
            return forbidden
        return Expect((200,), change=method == "PUT")
    if access == SIGNED_IN:
        if rule.ok:
            return Expect(rule.ok, change=None)
        return Expect((200,) if method == "GET" else (302,), change=None)
    if access == OFFICE:
        return Expect(rule.ok or (200,), change=None) if is_office else forbidden
    if access == SECURITY_ADMIN:
        if persona != "security_admin":
            return forbidden
        return Expect(rule.ok or ((200,) if method == "GET" else (302,)), change=None)
    if access == AUDIT_ADMIN:
        return Expect(rule.ok or (200,), change=None) if persona == "audit_admin" else forbidden
    if access == SYSTEM_ADMIN_PAGE:
        return Expect(rule.ok, change=None) if persona == "system_admin" else forbidden
    if access == SYSTEM_ADMIN:
        if persona != "system_admin":
            return Expect((302,), "/admin/login/?next=")
        if method == "POST":  # an empty form: shown again, or refused
            return Expect((200, 302, 403, 404, 405), change=None)
        return Expect(ADMIN_ANSWERS.get(route.name or route.path, (200, 302)), change=None)
    if access == ESTABLISH:
        if method == "GET":
            return Expect((200,), change=None) if is_office else forbidden
        general_office = is_office and user.unit is not None and user.unit.kind == "general_office"
        if general_office:
            return Expect((201,) if route.is_api else (302,), change=True)
        return forbidden
    if access == ITEM:
        return Expect((200,), change=None) if visible else hidden
    if access == ATTACHMENT:
        return Expect((200,), change=None) if visible else hidden
    if access == RECUSAL:
        if not visible:
            return hidden
        return Expect((201,) if route.is_api else (302,), change=True)
    if access == ATTACH:
        if not visible:
            return hidden
        assert item is not None
        status = world.attach_refusal.get((persona, item.pk))
        if status is None:
            return Expect((201,) if route.is_api else (302,), change=True)
        return Expect((status,))
    if access == WEBHOOK:
        if not is_office:
            return forbidden
        if target.key == "webhook" and user.unit_id == world.webhook.office_id:
            return Expect(rule.ok, change=None)
        return hidden
    if access == OWN_NOTICE:
        mine = target.key == "notice" and world.notice.recipient_id == user.pk
        return Expect(ok_post, change=True) if mine else hidden
    if access == DELIVERY:
        if not is_office:
            return forbidden
        return Expect((302,), change=True) if visible else hidden
    if access == OFFICE_URGE:
        if not is_office:
            return forbidden
        if not visible:
            return hidden
        assert item is not None
        # A refused urge comes back to the page as a message; nothing changes.
        return Expect(
            (302,), "/supervision/attention/", change="urge" in world.allowed[persona, item.pk]
        )
    if access == ACTION:
        action = rule.action or case.variant
        if not visible:
            return hidden
        assert item is not None
        if action not in ACTIONS:
            return hidden  # an unknown action on a visible item
        if action in world.allowed[persona, item.pk]:
            location = f"/items/{item.pk}/" if not route.is_api else ""
            return Expect(ok_post, location, change=True)
        status = world.refusal.get((persona, item.pk, action))
        # No refusal from the policy, yet not offered: the action itself refuses
        # (R-E1, one extension request ever).
        return Expect((status,) if status else (400, 409))
    raise AssertionError(f"no expectation for {access}")


# ----------------------------------------------------------------------------- checks


def hidden_strings(world: World, persona: str) -> list[str]:
    """What must never reach a persona: the hidden items' titles, numbers, content."""
    strings = []
    for item in world.items.values():
        if item.pk not in world.visible.get(persona, set()):
            strings += [item.title, item.ledger_number]
            if item.confidentiality != "classified":
                strings.append(item.content)
    return strings


# The audit administrator reads every event, whatever its item (三员分立).
SEES_EVERY_EVENT = {("audit_admin", "audit-log"), ("audit_admin", "audit-export")}


def problems(
    world: World,
    case: Case,
    persona: str,
    method: str,
    target: Target,
    wanted: Expect,
    answer: Answer,
) -> list[str]:
    found = []
    where = f"{method} {case}→{target.key or '-'} as {persona}"
    if answer.status >= 500 and answer.status not in wanted.statuses:
        found.append(f"{where}: server error {answer.status}")
    elif answer.status not in wanted.statuses:
        found.append(f"{where}: {answer.status}, expected {wanted.statuses} {answer.text[:200]!r}")
    if (
        wanted.location
        and answer.status in (301, 302)
        and not answer.location.startswith(wanted.location)
    ):
        found.append(f"{where}: redirected to {answer.location}, expected {wanted.location}")
    if (wanted.change is False or answer.status >= 400) and answer.changed:
        found.append(f"{where}: refused, yet changed {answer.changed}")
    if wanted.change is True and answer.status in wanted.statuses and not answer.changed:
        found.append(f"{where}: allowed, yet nothing changed")
    if answer.status in (400, 403, 404, 409) and not CHINESE.search(answer.text):
        found.append(f"{where}: {answer.status} without a Chinese message")
    if (persona, case.route.name) not in SEES_EVERY_EVENT:
        leaked = [text for text in hidden_strings(world, persona) if text in answer.text]
        if leaked:
            found.append(f"{where}: shows hidden items' {leaked}")
    return found


def check_lists(world: World, case: Case, persona: str, answer: Answer) -> list[str]:
    """A list shows every item the persona may see."""
    assert case.rule is not None
    if not case.rule.shows_items or answer.status != 200:
        return []
    visible = world.visible[persona]
    if case.route.is_api:
        shown = {row["id"] for row in answer.json()["results"]}
        return [] if shown == visible else [f"{case} as {persona}: lists {shown}, not {visible}"]
    missing = [
        item.ledger_number
        for item in world.items.values()
        if item.pk in visible and item.ledger_number not in answer.text
    ]
    return [f"{case} as {persona}: does not list {missing}"] if missing else []


# The admin's views that change rows; a POST to the others (lists of links, the
# JavaScript catalogue, history) changes nothing whoever sends it.
ADMIN_CHANGING_VIEW = re.compile(r"_(add|change|delete|changelist|import|password_change)$")


def methods_of(case: Case) -> tuple[str, ...]:
    assert case.rule is not None
    if case.route.is_api:
        return case.route.methods
    if case.rule.access == SYSTEM_ADMIN and not ADMIN_CHANGING_VIEW.search(case.route.name):
        return ("GET",)
    return case.rule.methods


# ----------------------------------------------------------------------------- the tests


def test_every_route_is_classified() -> None:
    unclassified = [str(case.route) for case in CASES if case.rule is None]
    assert unclassified == [], "classify these routes in RULES"


def test_api_rules_agree_with_the_api_methods() -> None:
    disagreeing = [
        str(case.route)
        for case in CASES
        if case.rule is not None
        and case.route.is_api
        and case.rule.access in (ACTION, OWN_NOTICE)
        and case.route.methods != ("POST",)
    ]
    assert disagreeing == []


def test_the_matrix_covers_every_route_and_persona() -> None:
    routes = {case.route for case in CASES}
    assert len(routes) >= 100
    assert len(routes) * len(PERSONAS) >= 1300


@pytest.mark.parametrize("case", CASES, ids=str)
def test_authorization_matrix(world: World, case: Case, settings: Any) -> None:
    """One route (or one action of the item page) × every persona × every target."""
    assert case.rule is not None, f"{case.route} is not classified in RULES"
    # Every persona from one address in a moment: the throttle (tests/test_throttle.py)
    # would answer 429 before the rules this test is about.
    settings.THROTTLE_RATES = {}
    before = state()
    found: list[str] = []
    for persona in PERSONAS:
        found += row(world, case, persona, before)
    found += wrong_method(world, case, before)
    if found:
        pytest.fail("\n".join(found), pytrace=False)


def row(world: World, case: Case, persona: str, before: dict[str, Any]) -> list[str]:
    assert case.rule is not None
    found: list[str] = []
    for method in methods_of(case):
        answers: dict[Target, Answer] = {}
        for target in targets(world, case, persona):
            wanted = expect(world, case, persona, method, target)
            watch = wanted.change is not None or case.rule.access == OVERSIGHT
            answer = send(
                world,
                persona,
                case.route,
                method,
                url_for(world, case, target),
                body_for(world, case, method, target),
                before if watch else None,
            )
            answers[target] = answer
            found += problems(world, case, persona, method, target, wanted, answer)
            found += check_lists(world, case, persona, answer)
        found += hidden_like_missing(world, case, persona, method, answers)
    return found


def hidden_like_missing(
    world: World, case: Case, persona: str, method: str, answers: dict[Target, Answer]
) -> list[str]:
    """A hidden item (or its delivery, notice, attachment) answers exactly like a
    missing id, status and body (R-C5: ids cannot be enumerated)."""
    missing = next((answer for target, answer in answers.items() if target.key == "missing"), None)
    if missing is None:
        return []
    found = []
    for target, answer in answers.items():
        if target.item is None or target.item.pk in world.visible.get(persona, set()):
            continue
        same_body = answer.text == missing.text or not case.route.is_api
        if answer.status != missing.status or not same_body:
            found.append(
                f"{method} {case}→{target.key} as {persona}: hidden answers {answer.status} "
                f"{answer.text[:120]!r}, missing answers {missing.status} {missing.text[:120]!r}"
            )
    return found


# Routes whose methods are anyone's to use (signing in and out, the API document).
OPEN_ACCESS = (PUBLIC, LOGIN_PAGE, LOGOUT, TOKEN, ADMIN_LOGIN, MISSING)


def other_method(case: Case) -> str | None:
    """A method the route does not take, if it is one whose methods matter."""
    assert case.rule is not None
    if case.rule.access in OPEN_ACCESS or case.rule.access == SYSTEM_ADMIN:
        return None  # anyone's; the admin's views take both, after its own sign-in
    if case.route.is_api:
        return "DELETE"  # no endpoint of the API takes it
    methods = methods_of(case)
    if methods == ("GET",):
        return "POST"
    if methods == ("POST",):
        return "GET"
    return None


def wrong_method(world: World, case: Case, before: dict[str, Any]) -> list[str]:
    """A method the route does not take is refused (405, or the sign-in first), and
    changes nothing."""
    other = other_method(case)
    if other is None or case.variant not in ("", case.rule.variants[0] if case.rule else ""):
        return []
    found = []
    for persona in ("anonymous", "lead_liaison"):
        target = targets(world, case, persona)[0]
        url = url_for(world, case, target)
        answer = send(world, persona, case.route, other, url, None, before)
        allowed = {405} | ({302, 401} if world.people[persona] is None else set())
        if answer.status not in allowed or answer.changed:
            found.append(
                f"{other} {case} as {persona}: {answer.status} (expected {sorted(allowed)}), "
                f"changed {answer.changed}"
            )
    return found
