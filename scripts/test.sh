#!/usr/bin/env bash
# Install everything the tests need and run the whole suite (lint included).
# Extra arguments go to pytest, e.g. scripts/test.sh tests/store -x (or -n 0: one process).
# The suite runs in MLWS_TEST_WORKERS pytest-xdist workers (default: the cores, at most 4).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

if [[ ! -x "${MLWS_CHROMIUM:-/usr/bin/chromium}" ]]; then
  echo "==> installing Chromium (Debian package) for the browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Installs into .venv and builds the front end (strict tsc: a type error fails here).
scripts/bootstrap.sh "test,lab,plot,postgres,s3,dask"

echo "==> starting a throwaway PostgreSQL for the PostgreSQL tests"
eval "$(scripts/test-postgres.sh)"
trap 'scripts/test-postgres.sh stop >/dev/null 2>&1 || true' EXIT

echo "==> ruff"
.venv/bin/ruff check .
echo "==> pytest"
# In this script the browser tests must run: missing Chromium or front end is an error.
export MLWS_REQUIRE_BROWSER=1
cores=$(nproc 2>/dev/null || echo 2)
workers="${MLWS_TEST_WORKERS:-$(( cores < 4 ? cores : 4 ))}"
# Whole modules per worker (module-scoped servers and clusters start once), in collection order
# (tests/conftest.py puts the browser tests last; nothing may run after them in a worker).
.venv/bin/pytest -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
