#!/usr/bin/env bash
# Install everything the tests need (Debian packages, Python dependencies, test servers), start
# PostgreSQL, then run the static checks and the whole test suite on SQLite and PostgreSQL.
# Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

apt_ensure postgresql-15 fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 poppler-utils \
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd sane-utils zint chromium \
  ghostscript   # OCRmyPDF, the peer in bench/ocr.py, writes its PDF through Ghostscript
build_tools_ensure   # compiles events/store/_leafscan.c when hoso is installed
venv_ensure "test"
catalogues_ensure   # the pages in Vietnamese
npm_tool_ensure axe-core@4.14.1 axe.min.js   # accessibility checks, injected by the browser tests

# PostgreSQL 15 from Debian: start the cluster and make the test role and database once.
if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main"' | grep -q .; then
  log "creating PostgreSQL cluster 15/main"
  pg_createcluster 15 main >/dev/null
fi
pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online \
  || { log "starting PostgreSQL 15"; pg_ctlcluster 15 main start; }
psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtAX "$@"; }
wait_for_postgres() { for _ in $(seq 1 50); do psql_admin -c 'select 1' >/dev/null 2>&1 && return; sleep 0.2; done; }
wait_for_postgres
# Tests open many short-lived pools at once (two workers, relay and consumer subprocesses):
# Debian's default of 100 connections has run out on a busy machine.
if [ "$(psql_admin -c 'show max_connections')" -lt 300 ]; then
  log "raising PostgreSQL max_connections to 300"
  psql_admin -c 'alter system set max_connections = 300'
  pg_ctlcluster 15 main restart
  wait_for_postgres
fi
[ "$(psql_admin -c "select 1 from pg_roles where rolname='hoso_test'")" = 1 ] \
  || psql_admin -c "create role hoso_test login password 'hoso_test'"
[ "$(psql_admin -c "select 1 from pg_database where datname='hoso_test'")" = 1 ] \
  || psql_admin -c "create database hoso_test owner hoso_test"
export HOSO_TEST_DATABASE_URL=postgresql://hoso_test:hoso_test@127.0.0.1:5432/hoso_test

log "static checks: ruff, mypy, import contracts"
"$VENV/bin/ruff" check .
"$VENV/bin/mypy"
"$VENV/bin/lint-imports" --no-cache >/dev/null

log "test suite"
exec "$VENV/bin/pytest" -n 2 --durations=30 "$@"  # the slowest, to keep the budget in sight
