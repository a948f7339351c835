#!/usr/bin/env bash
# Create (or reuse) the project's virtualenv in .venv and install jupyter_mlws into it.
# Usage: scripts/bootstrap.sh EXTRAS   e.g. "lab,plot"  or  "test,lab,plot,postgres"
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-lab,plot}"
python="${PYTHON:-python3}"
"$python" - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"jupyter_mlws needs Python >= 3.10, found {sys.version.split()[0]}")
PY
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$python" -m venv .venv
fi
if [[ ! -x .venv/bin/uv ]]; then
  echo "==> installing uv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.4"
fi
echo "==> installing jupyter_mlws[$extras]"
.venv/bin/uv pip install --quiet --python .venv/bin/python -e ".[$extras]"
