"""run.log over HTTP: a real `jupyter server` subprocess (free port, temp root, random token,
temp MLWS_HOME), the SDK pointed at it with MLWS_TRACKING_URI/MLWS_TOKEN; sustained points/s
including the final flush. Beside it, MLflow's HTTP ``log_metric`` against `mlflow server`
(sqlite backend) when mlflow is installed, with the ratio.

Usage: python benchmarks/bench_http.py [--points 1000000] [--mlflow-calls 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from _common import figure, jupyter_server, mlflow_installed, mlflow_server


def bench_ours(root: Path, points: int) -> float:
    with jupyter_server(root / "server-home") as server:
        os.environ.update(MLWS_HOME=str(root / "client-home"), MLWS_TRACKING_URI=server.mlws_url,
                          MLWS_TOKEN=server.token)
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


def bench_mlflow(root: Path, calls: int) -> float | None:
    if not mlflow_installed():
        print("mlflow is not installed: no peer figure")
        return None
    with mlflow_server(root / "mlflow") as url:
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
