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
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )) || ! command -v npm >/dev/null; then
  echo "jupyter_mlws builds its JupyterLab extension with Node.js >= 20 and npm;" \
       "install them first (found node major version: $node_major)" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$python" -m venv .venv
fi
if [[ ! -x .venv/bin/uv ]]; then
  echo "==> installing uv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.4"
fi
echo "==> installing jupyter_mlws[$extras]"
# --compile-bytecode: uv (unlike pip) leaves no .pyc by default, and with
# PYTHONDONTWRITEBYTECODE set none is ever written, so every process (a run's supervisor, a
# cold `import jupyter_mlws`) would compile SQLAlchemy and friends from source again.
.venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python -e ".[$extras]"
# The install builds the front end once (hatch-jupyter-builder) and copies it into the venv.
# Build again so edited TypeScript is never served stale, and serve the build folder itself
# (a link, as `jupyter-builder develop` makes, but without writing install.json into the
# build folder, which the wheel's shared-data already maps).
echo "==> building the front end (jlpm install && jlpm build)"
export PATH="$PWD/.venv/bin:$PATH"  # the package scripts call jlpm and jupyter-builder
jlpm install
jlpm build
labext_dir=$(.venv/bin/python -c 'import sys; print(sys.prefix)')/share/jupyter/labextensions
rm -rf "$labext_dir/jupyter-mlws"
ln -s "$PWD/jupyter_mlws/labextension" "$labext_dir/jupyter-mlws"
