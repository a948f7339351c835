"""A bounded schemathesis run against a real ``jupyter server`` subprocess: whatever the
generated input, the API answers without a server error (5xx)."""

from __future__ import annotations

import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.resources import files
from pathlib import Path

import pytest

from jupyter_mlws.store import get_store

pytestmark = pytest.mark.timeout(180)
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, token: str, process: subprocess.Popen, timeout: float,
                  log: Path) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"jupyter server exited with {process.returncode}: "
                                 f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)  # polling a condition (server listening), not synchronizing
    raise AssertionError("jupyter server did not come up in time")


@pytest.fixture
def live_server(tmp_path, mlws_home):
    store = get_store()
    ws = store.create_workspace("fuzzed", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "exp1")
    store.create_run(ws.id, exp.id, run_id="run0", status="Running")
    store.append_metrics([("run0", "loss", "scalar", i, time.time(), 1.0 / (i + 1), "")
                          for i in range(20)])
    store.upload_artifact("run0", "outputs/a.txt", io.BytesIO(b"hello"))

    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, "MLWS_HOME": str(mlws_home),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    (tmp_path / "root").mkdir()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}}}))
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "jupyter"), "server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={tmp_path / 'root'}"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/mlws/api/v1"
    try:
        wait_until_up(f"{base}/openapi.json", token, process, timeout=30,
                      log=tmp_path / "server.log")
        yield base, token, ws.id
    finally:
        log.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_no_server_errors_under_fuzzing(live_server, tmp_path):
    base, token, _ = live_server
    spec = files("jupyter_mlws.server").joinpath("openapi.json")
    result = subprocess.run(
        [str(BIN / "schemathesis"), "run", str(spec), "--url", base,
         "-H", f"Authorization: token {token}", "--checks", "not_a_server_error",
         "--phases", "examples,coverage,fuzzing", "--max-examples", "8", "--max-time", "40",
         "--seed", "1", "--no-shrink", "--generation-database", "none", "--workers", "1",
         "--no-color", "--request-timeout", "10"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
