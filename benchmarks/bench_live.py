"""Live-update latency: from ``run.log`` in one process to the point's arrival on a WebSocket
subscribed to the run through a real ``jupyter server``.

The writer process logs ``time.time()`` as the metric value, so the client's receipt time minus
the value is the latency of that point (same machine, same clock). Samples are spread over
random phases of the writer's flush interval and the server's polling interval.

Usage: python benchmarks/bench_live.py [--samples 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import figure, isolated_home

WRITER = r"""
import sys, time
from jupyter_mlws.core import Experiment, Workspace

run = Experiment(Workspace.get("bench-live"), "latency").start_logging(snapshot_directory=None)
print(run.id, flush=True)
for line in sys.stdin:
    step = int(line)
    run.log("latency", time.time(), step=step)
run.complete()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: str, token: str, port: int, log_path: Path) -> subprocess.Popen:
    config = Path(tempfile.mkdtemp(prefix="mlws-bench-jupyter-"))
    (config / "root").mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}}}))
    env = {**os.environ, "MLWS_HOME": home, "JUPYTER_CONFIG_DIR": str(config),
           "JUPYTER_DATA_DIR": str(config / "data"),
           "JUPYTER_RUNTIME_DIR": str(config / "runtime"), "JUPYTER_PLATFORM_DIRS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={config / 'root'}"],
        env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)


def wait_until_up(url: str, token: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"jupyter server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit("jupyter server did not come up in time")


async def measure(port: int, token: str, workspace_id: str, writer: subprocess.Popen,
                  run_id: str, samples: int) -> list[float]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(HTTPRequest(
        f"ws://127.0.0.1:{port}/mlws/api/v1/live",
        headers={"Authorization": f"token {token}"}))

    async def next_message(kind: str) -> dict:
        while True:
            raw = await asyncio.wait_for(conn.read_message(), 30)
            if raw is None:
                raise SystemExit("the server closed the live connection")
            message = json.loads(raw)
            if message["type"] == "error":
                raise SystemExit(f"live error: {message['message']}")
            if message["type"] == kind:
                return message

    await conn.write_message(json.dumps({"op": "subscribe", "id": "bench", "run_id": run_id,
                                         "workspace_id": workspace_id,
                                         "metrics": ["latency"]}))
    await next_message("subscribed")
    latencies: list[float] = []
    assert writer.stdin is not None
    for step in range(samples):
        # A random pause puts each point at a different phase of flush and poll intervals.
        await asyncio.sleep(random.uniform(0, 0.75))
        writer.stdin.write(f"{step}\n".encode())
        writer.stdin.flush()
        message = await next_message("metric")
        received = time.time()
        latencies += [received - logged for logged in message["value"]]
    conn.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()

    home = isolated_home()
    from jupyter_mlws.core import Workspace

    workspace = Workspace.create("bench-live", exist_ok=True, show_output=False)
    token, port = secrets.token_hex(16), free_port()
    server = start_server(home, token, port, Path(home) / "server.log")
    writer = None
    try:
        wait_until_up(f"http://127.0.0.1:{port}/mlws/api/v1/openapi.json", token, server)
        writer = subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        assert writer.stdout is not None
        run_id = writer.stdout.readline().decode().strip()
        latencies = asyncio.run(measure(port, token, workspace._record.id, writer, run_id,
                                        args.samples))
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()
        server.terminate()
        server.wait(timeout=20)
    print(f"live channel: {len(latencies)} points, run.log in one process -> WebSocket receipt")
    figure("median latency, log call -> browser", statistics.median(latencies) * 1000, "ms",
           "<= 1000 ms")
    figure("worst latency, log call -> browser", max(latencies) * 1000, "ms", "<= 1000 ms")


if __name__ == "__main__":
    main()
