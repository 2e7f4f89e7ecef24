"""Settings, read from the environment.

Every variable is optional in development; a malformed value stops the start-up
with a message naming the variable, rather than running with a surprise.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, got {raw!r}")


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = _env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production-0123456789"  # noqa: S105
elif len(SECRET_KEY) < 50 and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}")
    return int(raw)


def _planner_setting(name: str, default: str, valid: Callable[[str], bool], what: str) -> str:
    """A planner setting for every connection, from the environment: `server` keeps
    the server's own value (an empty string)."""
    value = os.environ.get(name, "").strip() or default
    if value == "server":
        return ""
    try:
        if not valid(value):
            raise ValueError(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what} or 'server', got {value!r}") from None
    return value


_database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'duban.sqlite3'}"
try:
    # Connections are not kept per thread (CONN_MAX_AGE 0): on PostgreSQL they come from
    # a bounded pool per process, so a threaded server cannot hold one per thread.
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=0)}
except Exception as error:  # dj_database_url raises several kinds on bad input
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from error
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a
    # transaction begins, so concurrent writers queue (up to `timeout` seconds) instead of
    # failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's psycopg pool (docs/deployment.md: size it per worker process).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": _env_int("DB_POOL_MIN_SIZE", 1),
        "max_size": _env_int("DB_POOL_MAX_SIZE", 4),
        "timeout": _env_int("DB_POOL_TIMEOUT", 10),
    }

    # The planner's price of reading a page out of order (random_page_cost), set on each
    # connection. The server's default, 4, prices a spinning disk; on SSD, or with the
    # indexes in memory as on a server sized for the ledger, a page read out of order
    # costs about what one in order does (1.1). At 4 the planner counted the office's
    # ledger (10,000 of 100,000 items) by reading the items table itself, 8 ms, rather
    # than the visibility index, 2 ms (docs/performance.md). `DB_RANDOM_PAGE_COST` sets
    # another price; `server` keeps the server's own setting.
    _page_cost = _planner_setting(
        "DB_RANDOM_PAGE_COST", "1.1", lambda v: 0 < float(v) < 1000, "a positive number"
    )
    # Parallel workers per statement (max_parallel_workers_per_gather): none by default.
    # A page's statements take a few to a few tens of milliseconds; launching workers for
    # them cost more than they saved (the office's dashboard 84 → 64 ms at 100,000
    # items), and under load there is no idle core to give them (docs/performance.md).
    _parallel = _planner_setting(
        "DB_PARALLEL_WORKERS", "0", lambda v: v.isascii() and v.isdigit(), "a whole number"
    )
    _options = DATABASES["default"]["OPTIONS"]
    _options["options"] = " ".join(
        filter(
            None,
            [
                _options.get("options", ""),
                _page_cost and f"-c random_page_cost={_page_cost}",
                _parallel and f"-c max_parallel_workers_per_gather={_parallel}",
            ],
        )
    )

# The covering indexes' INCLUDE columns (duban.items.models) serve PostgreSQL's
# index-only scans; SQLite builds the same indexes on their key columns alone, which is
# what it can use, so its warning that it ignores them says nothing to act on.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

INSTALLED_APPS = [
    # Django's admin, for the system administrator only (三员分立).
    "duban.accounts.admin_site.DubanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "duban.organisation",
    "duban.workcalendar",
    "duban.audit",
    "duban.items",
    "duban.notify",
    "duban.hooks",
    "duban.attachments",
    "duban.ledger",
    "duban.intake",
    "duban.reports",
    "duban.spotchecks",
    "duban.documents",
    "duban.web",
    "duban.api",
    "duban.health",
    "duban.backups",
    "django_prometheus",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # CAS single sign-on: its SessionTicket table maps a CAS ticket to the session it
    # opened, for single logout (duban/accounts/cas.py).
    "django_cas_ng",
    "duban.accounts",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "duban.health.logs.RequestLogMiddleware",
    # Before every middleware that reads the Host header: the API answers a bad one in JSON.
    "duban.api.middleware.ApiHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "duban.accounts.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "duban.accounts.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "duban.accounts.throttle.ThrottleMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "duban.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "duban.web.middleware.ChineseNotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "duban.urls"
WSGI_APPLICATION = "duban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Django admin templates with the texts its Chinese translation lacks.
        "DIRS": [BASE_DIR / "duban" / "accounts" / "admin_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The pages' small helpers (`field_block`, `light`, `deadline`, ...) in every
            # template without a `{% load %}`.
            "builtins": ["duban.web.templatetags.duban_tags"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "duban.web.context.header",
            ],
        },
    },
]

AUTH_USER_MODEL = "organisation.User"
# Argon2id first (OWASP's first choice: memory-hard, and half PBKDF2's CPU time per
# sign-in at Django's defaults); a PBKDF2 hash from an earlier version still verifies
# and is re-hashed with Argon2id at that person's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # MLPS level 3: complexity, and none of the last five passwords again.
    {"NAME": "duban.accounts.passwords.ComplexityValidator"},
    {"NAME": "duban.accounts.passwords.PasswordHistoryValidator"},
]
# Django's model backend with the lockout (duban/accounts/lockout.py), for the web
# login, the admin login and the API's token endpoint alike.
# CasBackend only loads the person of a session opened through CAS.
AUTHENTICATION_BACKENDS = ["duban.accounts.lockout.LockoutBackend", "duban.accounts.cas.CasBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my-work"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The key of the audit log's hash chain. Set it explicitly in production and keep it
# apart from SECRET_KEY, so rotating SECRET_KEY never breaks the chain's verification.
# With DEBUG off it must be given: deriving it from SECRET_KEY would make a rotation of
# SECRET_KEY look like tampering with every later event.
AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
if not AUDIT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_KEY must be set when DEBUG is off: it signs the audit log, must stay apart "
            "from SECRET_KEY and must never change (docs/deployment.md, 'The audit log')"
        )
    AUDIT_KEY = hashlib.sha256(f"duban-audit:{SECRET_KEY}".encode()).hexdigest()
elif len(AUDIT_KEY) < 32 and not DEBUG:
    raise ImproperlyConfigured("AUDIT_KEY must be at least 32 characters long")
# The signed copy of the chain's head that the nightly task writes and verify_audit
# compares against (keep a copy off this machine too).
AUDIT_ANCHOR_FILE = Path(
    os.environ.get("AUDIT_ANCHOR_FILE") or BASE_DIR / "var" / "audit-anchor.json"
)

# API tokens expire after this many hours.
API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", "12"))

# Accounts (duban/accounts, MLPS level 3). A session ends after SESSION_IDLE_MINUTES
# without a request and when the browser closes; a request pushes the end back (the
# session is saved again at most every SESSION_TOUCH_SECONDS: IdleSessionMiddleware).
SESSION_COOKIE_AGE = 60 * int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_TOUCH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Five failed logins in a row lock a username for ACCOUNT_LOCK_MINUTES.
ACCOUNT_LOCK_AFTER = 5
ACCOUNT_LOCK_MINUTES = int(os.environ.get("ACCOUNT_LOCK_MINUTES", "30"))
# Behind a reverse proxy, take the client's address from X-Forwarded-For.
TRUST_X_FORWARDED_FOR = _env_bool("TRUST_X_FORWARDED_FOR", False)
# Two-factor sign-in (TOTP) for these roles; OTP_REQUIRED=0 turns it off (the test
# run does, and the tests of two-factor sign-in turn it back on).
OTP_REQUIRED = _env_bool("OTP_REQUIRED", True)
OTP_REQUIRED_ROLES = _env_list(
    "OTP_REQUIRED_ROLES", ["system_admin", "security_admin", "audit_admin", "office_supervisor"]
)
OTP_TOTP_ISSUER = "督办系统"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# CAS single sign-on (统一身份认证, duban/accounts/cas.py): on when CAS_SERVER_URL is set
# (e.g. https://cas.example.edu.cn/cas/). The CAS user id is the person's 工号.
CAS_SERVER_URL = os.environ.get("CAS_SERVER_URL", "").strip()
if CAS_SERVER_URL and not CAS_SERVER_URL.endswith("/"):
    CAS_SERVER_URL += "/"
CAS_VERSION = os.environ.get("CAS_VERSION", "").strip() or "3"
if CAS_VERSION not in {"1", "2", "3", "CAS_2_SAML_1_0"}:
    raise ImproperlyConfigured(
        f"CAS_VERSION must be 1, 2, 3 or CAS_2_SAML_1_0, got {CAS_VERSION!r}"
    )
# Seconds to wait for the CAS server (ticket validation and the reachability check).
CAS_TIMEOUT = _env_int("CAS_TIMEOUT", 5)
# A CAS that enforces its own second factor: its sign-in then needs no TOTP here.
CAS_SATISFIES_OTP = _env_bool("CAS_SATISFIES_OTP", False)
CAS_CREATE_USER = False  # an unknown CAS user is refused, never created
CAS_VERIFY_SSL_CERTIFICATE = True


def _cas_http_session() -> object:
    from duban.accounts.cas import http_session

    return http_session()


CAS_SESSION_FACTORY = _cas_http_session


# The people directory (`manage.py sync_org ldap://host:port/`,
# duban/organisation/directory.py): where units and people are, and which attribute
# holds each column of the spreadsheet. An attribute left empty is read as empty
# (an empty 在职 means 是). Override a mapping with key=attribute pairs, e.g.
# LDAP_PEOPLE_ATTRIBUTES=staff_number=uid,role=eduPersonAffiliation.
def _env_mapping(name: str, default: dict[str, str]) -> dict[str, str]:
    mapping = dict(default)
    for pair in _env_list(name, []):
        key, separator, value = pair.partition("=")
        if not separator or key.strip() not in default:
            raise ImproperlyConfigured(
                f"{name} takes key=attribute pairs with keys {sorted(default)}, got {pair!r}"
            )
        mapping[key.strip()] = value.strip()
    return mapping


LDAP_BIND_DN = os.environ.get("LDAP_BIND_DN", "")
LDAP_BIND_PASSWORD = os.environ.get("LDAP_BIND_PASSWORD", "")
LDAP_TIMEOUT = _env_int("LDAP_TIMEOUT", 10)
LDAP_UNIT_BASE = os.environ.get("LDAP_UNIT_BASE", "")
LDAP_UNIT_FILTER = os.environ.get("LDAP_UNIT_FILTER", "") or "(objectClass=organizationalUnit)"
LDAP_UNIT_ATTRIBUTES = _env_mapping(
    "LDAP_UNIT_ATTRIBUTES",
    {"code": "ou", "name": "description", "kind": "businessCategory", "leader": ""},
)
LDAP_PEOPLE_BASE = os.environ.get("LDAP_PEOPLE_BASE", "")
LDAP_PEOPLE_FILTER = os.environ.get("LDAP_PEOPLE_FILTER", "") or "(objectClass=inetOrgPerson)"
LDAP_PEOPLE_ATTRIBUTES = _env_mapping(
    "LDAP_PEOPLE_ATTRIBUTES",
    {
        "staff_number": "employeeNumber",
        "full_name": "cn",
        "unit": "departmentNumber",
        "title": "title",
        "role": "employeeType",
        "phone": "mobile",
        "email": "mail",
        "active": "",
        # 账号, the username (e.g. uid); none: a new person's username is their 工号.
        "username": "",
    },
)

# With CAS on, the roles that may still use the local username/password form (empty:
# everyone), e.g. LOCAL_LOGIN_ROLES=system_admin,security_admin,audit_admin.
LOCAL_LOGIN_ROLES = _env_list("LOCAL_LOGIN_ROLES", [])


# Notifications (duban.notify; every variable is described in docs/deployment.md).
# Links in emails and messages point here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Email over SMTP; with EMAIL_HOST empty the email channel is off.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
EMAIL_TIMEOUT = _env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "duban@localhost")
# SMS: logging (var/log/sms.log), aliyun or tencent.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "logging").strip() or "logging"
if SMS_BACKEND not in {"logging", "aliyun", "tencent"}:
    raise ImproperlyConfigured(
        f"SMS_BACKEND must be logging, aliyun or tencent, got {SMS_BACKEND!r}"
    )
SMS_LOG_FILE = Path(os.environ.get("SMS_LOG_FILE", BASE_DIR / "var" / "log" / "sms.log"))
ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME", "")
ALIYUN_SMS_TEMPLATE_CODE = os.environ.get("ALIYUN_SMS_TEMPLATE_CODE", "")
ALIYUN_SMS_TEMPLATE_PARAM = os.environ.get("ALIYUN_SMS_TEMPLATE_PARAM", "content")
ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com")
TENCENT_SMS_SECRET_ID = os.environ.get("TENCENT_SMS_SECRET_ID", "")
TENCENT_SMS_SECRET_KEY = os.environ.get("TENCENT_SMS_SECRET_KEY", "")
TENCENT_SMS_SDK_APP_ID = os.environ.get("TENCENT_SMS_SDK_APP_ID", "")
TENCENT_SMS_SIGN_NAME = os.environ.get("TENCENT_SMS_SIGN_NAME", "")
TENCENT_SMS_TEMPLATE_ID = os.environ.get("TENCENT_SMS_TEMPLATE_ID", "")
TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou")
# Group robots; each channel is on only when its webhook is set.
WECOM_WEBHOOK_URL = os.environ.get("WECOM_WEBHOOK_URL", "")
DINGTALK_WEBHOOK_URL = os.environ.get("DINGTALK_WEBHOOK_URL", "")
DINGTALK_SECRET = os.environ.get("DINGTALK_SECRET", "")
WEBHOOK_TIMEOUT = _env_int("WEBHOOK_TIMEOUT", 10)
# Webhooks of item events (duban.hooks; docs/api.md): a delivery is tried this many
# times, with backoff, before it fails and its endpoint is paused as failing. The
# server itself and link-local addresses are refused as targets unless
# WEBHOOK_ALLOW_LOCAL is on (tests, a receiver on the same machine).
WEBHOOK_MAX_ATTEMPTS = _env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_ALLOW_LOCAL = _env_bool("WEBHOOK_ALLOW_LOCAL", False)
# Personal work notices (duban.notify.platforms): 企业微信 application messages and
# 钉钉 work notices, each on only when all three of its credentials are set. The API
# bases point at the official hosts; tests point them at a stand-in on loopback.
WECOM_CORP_ID = os.environ.get("WECOM_CORP_ID", "")
WECOM_AGENT_ID = os.environ.get("WECOM_AGENT_ID", "")
WECOM_SECRET = os.environ.get("WECOM_SECRET", "")
WECOM_API_BASE = os.environ.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com").rstrip("/")
DINGTALK_APP_KEY = os.environ.get("DINGTALK_APP_KEY", "")
DINGTALK_APP_SECRET = os.environ.get("DINGTALK_APP_SECRET", "")
DINGTALK_AGENT_ID = os.environ.get("DINGTALK_AGENT_ID", "")
DINGTALK_API_BASE = os.environ.get("DINGTALK_API_BASE", "https://oapi.dingtalk.com").rstrip("/")
# Where a university made each member's 企业微信/钉钉 userid their 工号 (common when the
# platform is fed from the HR directory), the account is the person's staff number,
# with no lookup; otherwise it is looked up by 手机.
WECOM_USERID_IS_STAFF_NUMBER = _env_bool("WECOM_USERID_IS_STAFF_NUMBER", False)
DINGTALK_USERID_IS_STAFF_NUMBER = _env_bool("DINGTALK_USERID_IS_STAFF_NUMBER", False)

# The background engine: the Django Tasks API on the database backend; workers are
# `python manage.py run_worker`, which also enqueues PERIODIC_TASKS (path, seconds).
# Test databases: the audit log is not part of the snapshot a serialized-rollback test
# restores (its rows may only be appended: restoring them would be an UPDATE).
TEST_NON_SERIALIZED_APPS = ["duban.audit"]

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
PERIODIC_TASKS = [
    ("duban.notify.tasks.deliver_due", 30),
    ("duban.hooks.tasks.deliver_due", 30),
    ("duban.items.tasks.sweep", 300),
    ("duban.audit.tasks.write_anchor", 24 * 3600),
    ("duban.backups.tasks.scheduled_backup", 24 * 3600),
    ("duban.ledger.exporting.expire_exports", 3600),
    ("duban.ledger.tasks.expire_checks", 300),
]

# The ledger page's export (duban.ledger.exporting): up to LEDGER_EXPORT_DIRECT_ROWS rows
# are written within the request; a larger selection is written by a worker, with its
# progress on the page, and the file kept for LEDGER_EXPORT_KEEP_HOURS.
LEDGER_EXPORT_DIRECT_ROWS = _env_int("LEDGER_EXPORT_DIRECT_ROWS", 500)
LEDGER_EXPORT_KEEP_HOURS = _env_int("LEDGER_EXPORT_KEEP_HOURS", 24)
# The ledger page's import (duban.ledger.actions.upload_ledger): a file of up to
# LEDGER_IMPORT_DIRECT_ROWS rows is checked within the upload's request; a larger one
# by a worker, with its progress on the page.
LEDGER_IMPORT_DIRECT_ROWS = _env_int("LEDGER_IMPORT_DIRECT_ROWS", 200)

# Scheduled backups (duban.backups): daily into BACKUP_DIR when it is set, keeping the
# BACKUP_KEEP newest. `manage.py backup --output DIR` and `restore DIR` by hand.
BACKUP_DIR = os.environ.get("BACKUP_DIR", "")
BACKUP_KEEP = _env_int("BACKUP_KEEP", 7)

# Attachments (duban.attachments), the only uploads: kept in ATTACHMENT_ROOT, which no
# URL serves (there is no MEDIA_URL route), and sent only by the download views after
# the visibility rule. A file over ATTACHMENT_MAX_MB is dropped while it uploads.
ATTACHMENT_ROOT = Path(os.environ.get("ATTACHMENT_ROOT") or BASE_DIR / "var" / "attachments")
ATTACHMENT_MAX_MB = _env_int("ATTACHMENT_MAX_MB", 20)
if ATTACHMENT_MAX_MB < 1:
    raise ImproperlyConfigured("ATTACHMENT_MAX_MB must be at least 1")
if ATTACHMENT_ROOT.resolve().is_relative_to(Path(STATIC_ROOT).resolve()):
    raise ImproperlyConfigured("ATTACHMENT_ROOT must not be inside STATIC_ROOT")
FILE_UPLOAD_HANDLERS = [
    "duban.attachments.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files above 2.5 MB go to a temporary file while they upload, not into memory; the
# other fields of a request stay small (2.5 MB), and one upload carries a few files.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Logs (duban.health.logs): JSON lines on stderr, one per request with its id, the
# user's id and the time taken; LOG_FORMAT=text for plain lines. Passwords, tokens,
# keys and mobile numbers are masked in every record.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "duban.health.logs.RedactFilter"}},
    "formatters": {
        "json": {"()": "duban.health.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "duban.requests": {
            "handlers": ["console"],
            "level": os.environ.get("REQUEST_LOG_LEVEL", "INFO" if not DEBUG else "WARNING"),
            "propagate": False,
        }
    },
}

# The cache: process-local by default; CACHE_URL=redis://host:6379/0 shares it between
# processes (the throttle's counters, duban.accounts.throttle).
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # A background job's progress (duban.ledger: an import's rows done), written by the
    # worker and read by the page: in Redis with CACHE_URL, else in files under var/,
    # which the embedded default's server and worker share on their one machine.
    "progress": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "progress",
        }
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("PROGRESS_CACHE_DIR") or str(BASE_DIR / "var" / "progress"),
        }
    ),
}
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("CACHE_URL must be a redis:// or rediss:// address")

# Throttling (duban.accounts.throttle): requests per window ("N/s", "/m", "/h", "/d");
# THROTTLE_<NAME>=off turns one off.
THROTTLE_RATES = {
    name: value
    for name, value in {
        "sign_in_address": os.environ.get("THROTTLE_SIGN_IN_ADDRESS", "30/m"),
        "sign_in_account": os.environ.get("THROTTLE_SIGN_IN_ACCOUNT", "10/m"),
        "upload_address": os.environ.get("THROTTLE_UPLOAD_ADDRESS", "60/m"),
        "upload_account": os.environ.get("THROTTLE_UPLOAD_ACCOUNT", "20/m"),
        "api_token": os.environ.get("THROTTLE_API_TOKEN", "600/m"),
        "api_address": os.environ.get("THROTTLE_API_ADDRESS", "120/m"),
    }.items()
    if value != "off"
}
for _name, _rate in THROTTLE_RATES.items():
    if not re.fullmatch(r"[1-9][0-9]*/[smhd]", _rate):
        raise ImproperlyConfigured(
            f"THROTTLE_{_name.upper()} must be like 10/m or off, got {_rate!r}"
        )

# Health and metrics (duban.health): /healthz, /readyz and /metrics.
TASK_QUEUE_MAX_WAIT_SECONDS = _env_int("TASK_QUEUE_MAX_WAIT_SECONDS", 300)
WORKER_HEARTBEAT_TIMEOUT_SECONDS = _env_int("WORKER_HEARTBEAT_TIMEOUT_SECONDS", 60)
OUTBOX_MAX_DELAY_SECONDS = _env_int("OUTBOX_MAX_DELAY_SECONDS", 900)
ATTACHMENT_MIN_FREE_MB = _env_int("ATTACHMENT_MIN_FREE_MB", 500)
AUDIT_VERIFY_MAX_AGE_HOURS = _env_int("AUDIT_VERIFY_MAX_AGE_HOURS", 36)
METRICS_ALLOWED_IPS = _env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
