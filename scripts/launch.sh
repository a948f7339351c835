#!/usr/bin/env bash
# Install jupyter_mlws with JupyterLab, matplotlib and Dask (what the README's examples use),
# create a demo workspace on the embedded store (SQLite + a folder under MLWS_HOME, by default
# <jupyter data dir>/mlws; export MLWS_HOME to choose) and launch JupyterLab with the extension.
# Extra arguments go to `jupyter lab`, e.g. scripts/launch.sh --port 8899
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh "lab,plot,dask"
echo "==> creating the demo workspace"
.venv/bin/python scripts/demo_workspace.py
root_args=()
[[ $(id -u) == 0 ]] && root_args+=(--allow-root)
echo "==> launching JupyterLab"
exec .venv/bin/jupyter lab --no-browser "${root_args[@]}" --notebook-dir="${MLWS_DEMO_DIR:-$PWD/demo}" "$@"
