"""A bounded schemathesis run against a real ``jupyter server`` subprocess: whatever the
generated input, the API answers without a server error (5xx)."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jupyter_mlws.store import get_store
from tests.helpers import free_port, wait_for_http

pytestmark = pytest.mark.timeout(180)
BIN = Path(sys.executable).parent


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
         # No silent move to another port: a port taken meanwhile by another process would
         # leave this test talking to a foreign server (403s for our token).
         f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={tmp_path / 'root'}"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/mlws/api/v1"
    try:
        wait_for_http(f"{base}/openapi.json", process, tmp_path / "server.log", token=token,
                      timeout=30)
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
    # The document the server serves (generated from the operation table).
    spec = tmp_path / "openapi.json"
    spec.write_bytes(httpx.get(f"{base}/openapi.json",
                               headers={"Authorization": f"token {token}"}).content)
    result = subprocess.run(
        [str(BIN / "schemathesis"), "run", str(spec), "--url", base,
         "-H", f"Authorization: token {token}", "--checks", "not_a_server_error",
         "--phases", "examples,coverage,fuzzing", "--max-examples", "8", "--max-time", "40",
         "--seed", "1", "--no-shrink", "--generation-database", "none", "--workers", "1",
         "--no-color", "--request-timeout", "10"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
