"""The release wheel: built from a checkout that holds a development build of the front end,
it carries a clean production build of the lab extension once (as shared data), no source maps
or build logs, and the widget's ES module once, inside the package. Installed into a fresh
virtual environment, its server serves the lab extension and the widget finds its module."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from jupyter_mlws.execution.environments import find_uv
from tests.helpers import jupyter_server

ROOT = Path(__file__).resolve().parents[1]
LABEXT = "share/jupyter/labextensions/jupyter-mlws/"
ESM = "jupyter_mlws/widgets/static/run_details.js"
# What a developer's checkout has that never belongs in a build.
SKIPPED = {".git", ".venv", ".mlws-test", ".cache", "dist", "build", "__pycache__",
           ".pytest_cache", ".ruff_cache"}

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, f"{cmd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment without this virtualenv (the build and the fresh env bring their own);
    node, npm and the package caches stay reachable."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH") and not k.startswith("MLWS_")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p != venv_bin)
    env["HOME"] = os.environ.get("HOME", str(tmp_path))
    return env


@pytest.fixture(scope="module")
def dev_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this checkout as a developer has it: node_modules installed and the
    development build (source maps, build_log.json) in place."""
    clone = tmp_path_factory.mktemp("clone") / "jupyter_mlws"
    shutil.copytree(ROOT, clone, symlinks=True, ignore=lambda folder, names: [
        n for n in names if n in SKIPPED and (Path(folder) == ROOT or n == "__pycache__")])
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    if not (clone / "jupyter_mlws" / "labextension" / "build_log.json").exists():
        _run(["jlpm", "install"], clone, env)
        _run(["jlpm", "build"], clone, env)
    assert list((clone / "jupyter_mlws" / "labextension" / "static").glob("*.js.map"))
    return clone


@pytest.fixture(scope="module")
def wheel(dev_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([find_uv(), "build", "--wheel", "--out-dir", str(out)], dev_clone,
         _clean_env(out), timeout=600)
    (built,) = out.glob("jupyter_mlws-*.whl")
    return built


def test_wheel_holds_the_production_lab_extension_once_and_the_widget_module_once(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/data/", 1)[0] + "/data/" for n in names if "/data/share/" in n)
    labext = [n[len(data) + len(LABEXT):] for n in names if n.startswith(data + LABEXT)]
    assert {"package.json", "install.json", "static/style.js",
            "static/third-party-licenses.json"} <= set(labext)  # licenses: production only
    assert not [n for n in names if n.endswith(".map") or n.endswith("build_log.json")]
    assert not [n for n in names if n.startswith("jupyter_mlws/labextension")]
    assert [n for n in names if n.endswith("run_details.js")] == [ESM]
    assert f"{data}etc/jupyter/jupyter_server_config.d/jupyter_mlws.json" in names
    package = json.loads(zipfile.ZipFile(wheel).read(f"{data}{LABEXT}package.json"))
    assert f"static/{Path(package['jupyterlab']['_build']['load']).name}" in labext


def test_wheel_from_the_sdist_is_the_same_production_build(dev_clone, tmp_path):
    # `uv build` (and `python -m build`) make the sdist, then the wheel from the unpacked sdist,
    # which has no node_modules: it must reuse the sdist's production build.
    _run([find_uv(), "build", "--out-dir", str(tmp_path)], dev_clone, _clean_env(tmp_path),
         timeout=600)
    (sdist_wheel,) = tmp_path.glob("jupyter_mlws-*.whl")
    names = zipfile.ZipFile(sdist_wheel).namelist()
    assert not [n for n in names if n.endswith(".map") or n.endswith("build_log.json")]
    assert not [n for n in names if n.startswith("jupyter_mlws/labextension")]
    assert [n for n in names if n.endswith("run_details.js")] == [ESM]
    assert any(n.endswith(LABEXT + "static/third-party-licenses.json") for n in names)


def test_installed_wheel_serves_the_extension_and_finds_the_widget_module(wheel, tmp_path):
    env = _clean_env(tmp_path)
    venv = tmp_path / "venv"
    _run([find_uv(), "venv", "--python", sys.executable, str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    _run([find_uv(), "pip", "install", "--python", str(python), f"{wheel}[lab]"], tmp_path,
         env, timeout=600)
    esm = _run([str(python), "-c", "from jupyter_mlws.widgets.run_details import esm_path; "
                "print(esm_path())"], tmp_path, env).strip()
    assert Path(esm).is_file() and Path(esm).is_relative_to(venv)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)  # as the store makes it
    # The base dependencies are enough for the embedded store (the first thing a user does;
    # the key vault's encryption once needed a package only the test extras brought).
    made = _run([str(python), "-c", "from jupyter_mlws.core import Workspace; "
                 "ws = Workspace.create('wheel-ws', show_output=False); "
                 "ws.get_default_keyvault().set_secret('s', 'v'); print(ws.name)"],
                tmp_path, {**env, "MLWS_HOME": str(home)}).strip()
    assert made == "wheel-ws"
    # Only the wheel's own configuration enables the server extension here.
    with jupyter_server(tmp_path / "server", {**env, "MLWS_HOME": str(home)},
                        bin_dir=venv / "bin", enable_extension=False) as server:
        headers = {"Authorization": f"token {server.token}"}

        def get(path: str) -> bytes:
            request = urllib.request.Request(f"{server.base_url}{path}", headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200, path
                return response.read()

        page = get("/lab").decode()
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">'
                                      r"(.*?)</script>", page, re.S).group(1))
        (ours,) = [e for e in config["federated_extensions"] if e["name"] == "jupyter-mlws"]
        assert b"jupyter-mlws" in get(f"/lab/extensions/jupyter-mlws/{ours['load']}")
        assert "jupyter-mlws" not in config.get("disabledExtensions", [])
