#!/usr/bin/env bash
# Install everything the tests need and run the whole suite (lint included).
# Extra arguments go to pytest, e.g. scripts/test.sh tests/store -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh "test,lab,plot,postgres,s3,dask"
echo "==> starting a throwaway PostgreSQL for the PostgreSQL tests"
eval "$(scripts/test-postgres.sh start)"
trap 'scripts/test-postgres.sh stop >/dev/null 2>&1 || true' EXIT
echo "==> ruff"
.venv/bin/ruff check .
echo "==> pytest"
.venv/bin/pytest "$@"
