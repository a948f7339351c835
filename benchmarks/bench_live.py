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
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import figure, isolated_home, jupyter_server

WRITER = r"""
import sys, time
from jupyter_mlws.core import Experiment, Workspace

run = Experiment(Workspace.get("bench-live"), "latency").start_logging(
    snapshot_directory=None, outputs=False)
print(run.id, flush=True)
for line in sys.stdin:
    step = int(line)
    run.log("latency", time.time(), step=step)
run.complete()
"""


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
    writer = None
    with jupyter_server(home, log_path=Path(home) / "server.log", timeout=60) as server:
        try:
            writer = subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
            assert writer.stdout is not None
            run_id = writer.stdout.readline().decode().strip()
            latencies = asyncio.run(measure(server.port, server.token, workspace._record.id,
                                            writer, run_id, args.samples))
        finally:
            if writer is not None:
                writer.kill()
                writer.wait()
    print(f"live channel: {len(latencies)} points, run.log in one process -> WebSocket receipt")
    figure("median latency, log call -> browser", statistics.median(latencies) * 1000, "ms",
           "<= 1000 ms")
    figure("worst latency, log call -> browser", max(latencies) * 1000, "ms", "<= 1000 ms")


if __name__ == "__main__":
    main()
