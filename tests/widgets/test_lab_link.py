"""The link a run displays: only a Jupyter server that serves the run's own store (it says so
in the runtime folder), found without importing jupyter_server; no server: mlws:// in a
notebook, the run's folder in a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyter_mlws.core import lab_link
from jupyter_mlws.store import reset_store_cache
from jupyter_mlws.store.liveness import process_identity
from tests.helpers import jupyter_server


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "runtime"
    folder.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(folder))
    return folder


def _server_files(folder: Path, pid: int, identity: dict, url: str) -> None:
    """What a server with the extension leaves in the runtime folder."""
    (folder / f"mlws-server-{pid}.json").write_text(json.dumps(
        {"pid": pid, "identity": process_identity(pid), **identity}))
    (folder / f"jpserver-{pid}.json").write_text(json.dumps({"url": url, "pid": pid}))


def test_no_server_gives_a_folder_in_a_terminal_and_mlws_in_a_notebook(experiment, runtime,
                                                                          monkeypatch):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    ws = experiment.workspace._record
    # An unrelated server (another store) on the machine is never linked.
    other = lab_link.store_identity(type("S", (), {"database_url": "sqlite:///elsewhere.db",
                                                   "home": "/elsewhere"})())
    _server_files(runtime, os.getpid(), other, "http://127.0.0.1:9/")
    # A terminal, whatever earlier tests of this process imported (ipykernel).
    monkeypatch.setattr(lab_link, "in_notebook", lambda: False)
    url = run.get_portal_url()
    assert url == os.path.join(ws.storage_url, "runs", run.id) and os.path.isabs(url)
    monkeypatch.setattr(lab_link, "in_notebook", lambda: True)
    assert run.get_portal_url() == f"mlws://runs/{ws.id}/{run.id}"
    run.complete()


def test_a_server_of_this_store_is_linked_while_it_lives(experiment, runtime):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    ws_id = experiment.workspace._record.id
    mine = lab_link.store_identity(run._store.settings)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        _server_files(runtime, sleeper.pid, mine, "http://127.0.0.1:8123/base/")
        assert run.get_portal_url() == (
            f"http://127.0.0.1:8123/base/lab?mlws-run={run.id}&mlws-workspace={ws_id}")
        assert 'href="http://127.0.0.1:8123/base/lab?mlws-run=' in run._repr_html_()
    finally:
        sleeper.kill()
        sleeper.wait(10)
    assert not run.get_portal_url().startswith("http")  # its file outlived it: not linked
    run.complete()


FIRST_DISPLAY = textwrap.dedent("""
    import sys
    from jupyter_mlws.core import Experiment, Workspace
    run = Experiment(Workspace.create("shown", show_output=False), "e").start_logging(
        snapshot_directory=None, outputs=False)
    html = run._repr_html_()
    from jupyter_mlws.widgets import RunDetails
    widget = RunDetails(run)
    run.complete()
    widget.close()
    print(run.get_portal_url())
    print("jupyter_server" in sys.modules)
""")


def test_first_display_does_not_import_jupyter_server(mlws_home, runtime, tmp_path):
    out = subprocess.run([sys.executable, "-c", FIRST_DISPLAY], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120,
                         env={**os.environ, "MLWS_HOME": str(mlws_home)}, check=True)
    url, imported = out.stdout.strip().splitlines()[-2:]
    assert imported == "False", "finding a server must not import jupyter_server"
    assert "://" not in url  # a terminal: the run's folder


def test_only_the_server_of_the_store_is_linked_end_to_end(tmp_path, monkeypatch):
    """Two real servers with the extension share one runtime folder; each run links the one
    serving its store."""
    from jupyter_mlws.core import Experiment, Workspace

    runtime = tmp_path / "runtime"
    homes = {name: tmp_path / name / "home" for name in ("a", "b")}
    servers = []
    try:
        for name, home in homes.items():
            home.mkdir(parents=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("MLWS_")}
            env["MLWS_HOME"] = str(home)
            ctx = jupyter_server(tmp_path / name, env, runtime_dir=runtime)
            servers.append((ctx, ctx.__enter__()))
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
        for (_ctx, server), home in zip(servers, homes.values(), strict=True):
            monkeypatch.setenv("MLWS_HOME", str(home))
            reset_store_cache()
            run = Experiment(Workspace.create("linked", show_output=False), "e").start_logging(
                snapshot_directory=None, outputs=False)
            assert run.get_portal_url().startswith(f"{server.base_url}/lab?mlws-run={run.id}")
            run.complete()
    finally:
        for ctx, _server in reversed(servers):
            ctx.__exit__(None, None, None)
    assert not list(runtime.glob("mlws-server-*.json"))  # withdrawn at stop
