# Quick start: `make run` (the system on SQLite with demo data) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATABASE_URL_PG ?= postgres://postgres@127.0.0.1:5432/duban
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite test-postgres lint browser-deps pdf-deps backup-deps ldap-deps system-deps clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install pdf-deps
	mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py demo
	DEBUG=1 PORT=$(PORT) $(BIN)/python manage.py serve

# Chromium for the browser test comes from Debian, never from a download of its own.
browser-deps:
	@dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and CJK fonts for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

# PDF circulars, dossiers and indexes (duban.documents): WeasyPrint draws with Debian's
# Pango and sets Chinese in Noto CJK. Without them the PDF links answer with a message
# saying so; Word circulars and everything else work.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
pdf-deps:
	@dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1 || { \
	  echo "Installing Debian's $(PDF_PACKAGES) for PDF documents"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES); } || \
	  echo "Could not install $(PDF_PACKAGES): PDF documents are unavailable until they are installed."; }

# pg_dump and pg_restore for `manage.py backup` and `restore` on PostgreSQL.
backup-deps:
	@command -v pg_dump >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql-client for backups of PostgreSQL"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client; }

# slapd (and ldap-utils, to look into it by hand): the real LDAP directory that the
# tests of `manage.py sync_org ldap://…` start on loopback (tests/ldap_server.py).
ldap-deps:
	@dpkg -s slapd ldap-utils >/dev/null 2>&1 || { \
	  echo "Installing Debian's slapd and ldap-utils for the LDAP directory tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils; }

# Every Debian package the project needs (idempotent).
system-deps: browser-deps pdf-deps backup-deps ldap-deps

lint: install
	$(BIN)/ruff check duban tests
	$(BIN)/ruff format --check duban tests
	DEBUG=1 $(BIN)/mypy duban

# Two-factor sign-in is off for the suite (its personas sign in with a password only);
# tests/test_accounts_two_factor.py turns it on.
test-sqlite: install
	OTP_REQUIRED=0 DEBUG=1 DATABASE_URL= $(BIN)/pytest -p no:cacheprovider

test-postgres: install
	OTP_REQUIRED=0 DEBUG=1 DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_PG)} $(BIN)/pytest -p no:cacheprovider

test: install system-deps lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) var
