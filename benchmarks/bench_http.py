"""run.log over HTTP: a real `jupyter server` subprocess (free port, temp root, random token,
temp MLWS_HOME), the SDK pointed at it with MLWS_TRACKING_URI/MLWS_TOKEN; sustained points/s
including the final flush. Beside it, MLflow's HTTP ``log_metric`` against `mlflow server`
(sqlite backend) when mlflow is installed, with the ratio.

Usage: python benchmarks/bench_http.py [--points 1000000] [--mlflow-calls 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import figure

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, headers: dict[str, str] | None = None,
             timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                        timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)  # polling a condition: the port accepting requests
    raise SystemExit(f"{url} did not come up in {timeout} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_jupyter(root: Path) -> tuple[subprocess.Popen, str, str]:
    home, config, work = root / "server-home", root / "config", root / "work"
    for folder in (home, config, work):
        folder.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}}}))
    token, port = secrets.token_hex(16), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLWS_")}
    env.update(MLWS_HOME=str(home), JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_DATA_DIR=str(root / "data"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTER_PLATFORM_DIRS="1")
    process = subprocess.Popen(
        [str(BIN / "jupyter"), "server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}"],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"http://127.0.0.1:{port}/mlws"
    wait_for(f"{uri}/api/v1/openapi.json", process, {"Authorization": f"token {token}"})
    return process, uri, token


def bench_ours(root: Path, points: int) -> float:
    process, uri, token = start_jupyter(root)
    try:
        os.environ.update(MLWS_HOME=str(root / "client-home"), MLWS_TRACKING_URI=uri,
                          MLWS_TOKEN=token)
        from jupyter_mlws.core import Experiment, Workspace

        ws = Workspace.create("bench", exist_ok=True, show_output=False)
        run = Experiment(ws, "http").start_logging(snapshot_directory=None, outputs=False)
        run.log("warmup", 0)
        run.flush()
        start = time.perf_counter()
        log = run.log
        for i in range(points):
            log("loss", i * 0.001, step=i)
        run.flush()  # durable on the server's store, not merely sent
        elapsed = time.perf_counter() - start
        rate = points / elapsed
        figure(f"run.log over HTTP, {points:,} points incl. flush", rate, "points/s",
               ">= 50,000 points/s")
        stored = run.get_metrics(name="loss")["loss"]
        assert len(stored) == points, f"{len(stored)} of {points} points stored"
        run.complete()
        return rate
    finally:
        stop(process)


def bench_mlflow(root: Path, calls: int) -> float | None:
    if shutil.which("mlflow", path=str(BIN)) is None:
        print("mlflow is not installed: no peer figure")
        return None
    port = free_port()
    store = root / "mlflow"
    store.mkdir()
    process = subprocess.Popen(
        [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{store / 'mlflow.db'}",
         "--default-artifact-root", str(store / "artifacts"), "--workers", "1"],
        cwd=store, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/health", process, timeout=180)
        os.environ["MLFLOW_TRACKING_URI"] = url
        import mlflow

        mlflow.set_experiment("bench")
        with mlflow.start_run():
            mlflow.log_metric("warmup", 0.0)
            start = time.perf_counter()
            for i in range(calls):
                mlflow.log_metric("loss", i * 0.001, step=i)
            elapsed = time.perf_counter() - start
        rate = calls / elapsed
        figure(f"MLflow HTTP log_metric, {calls:,} calls", rate, "points/s")
        return rate
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--mlflow-calls", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mlws-bench-http-"))
    try:
        ours = bench_ours(root, args.points)
        theirs = bench_mlflow(root, args.mlflow_calls)
        if theirs:
            figure("ratio (ours / MLflow HTTP)", ours / theirs, "x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
