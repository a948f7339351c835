"""run.log throughput, per-call latency, durability lag and memory; MLflow beside it.

Usage: python benchmarks/bench_logging.py [--points 1000000] [--memory-points 10000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import psutil
from _common import figure, isolated_home, median_us


def bench_ours(points: int) -> float:
    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    run = Experiment(ws, "logging").start_logging(snapshot_directory=None, outputs=False)

    # Per-call latency on a warm buffer.
    samples = []
    clock = time.perf_counter_ns
    for i in range(100_000):
        t0 = clock()
        run.log("latency", i)
        samples.append(clock() - t0)
    run.flush()
    figure("run.log median call", median_us(samples), "us", "<= 5 us")

    # Sustained throughput, including the final flush (durable in the store).
    start = time.perf_counter()
    log = run.log
    for i in range(points):
        log("loss", i * 0.001, step=i)
    run.flush()
    elapsed = time.perf_counter() - start
    rate = points / elapsed
    figure(f"run.log sustained, {points:,} points incl. flush", rate, "points/s",
           ">= 200,000")

    # Durability lag: time until a logged point is visible to another reader of the store.
    from jupyter_mlws.store import NotFoundError

    store = run._store

    def stored_points() -> int:
        try:
            return store.get_metric_series(run.id, "lag").total
        except NotFoundError:  # the metric exists once its first batch is written
            return 0

    lags = []
    for i in range(5):
        t0 = time.perf_counter()
        run.log("lag", i)
        deadline = t0 + 5
        while time.perf_counter() < deadline:
            if stored_points() > i:
                break
            time.sleep(0.005)
        lags.append(time.perf_counter() - t0)
    figure("log -> durable in the store (worst of 5)", max(lags) * 1000, "ms", "<= 1000 ms")
    run.complete()
    return rate


def bench_memory(points: int) -> None:
    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    run = Experiment(ws, "memory").start_logging(snapshot_directory=None, outputs=False)
    proc = psutil.Process()
    before = proc.memory_info().rss
    peak = before
    log = run.log
    for i in range(points):
        log("m", float(i))
        if i % 500_000 == 0:
            peak = max(peak, proc.memory_info().rss)
    run.flush()
    peak = max(peak, proc.memory_info().rss)
    figure(f"RSS growth while logging {points:,} points", (peak - before) / 2**20, "MB",
           "a few tens of MB")
    run.complete()


def bench_mlflow(points: int) -> float | None:
    if points <= 0:
        return None
    try:
        import mlflow
    except ImportError:
        print("MLflow not installed: no peer figure")
        return None
    folder = tempfile.mkdtemp(prefix="mlflow-bench-")
    mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    mlflow.set_experiment("bench")
    with mlflow.start_run():
        mlflow.log_metric("warmup", 0.0)
        start = time.perf_counter()
        for i in range(points):
            mlflow.log_metric("loss", i * 0.001, step=i)
        elapsed = time.perf_counter() - start
    rate = points / elapsed
    figure(f"MLflow {mlflow.__version__} log_metric (SQLite), {points:,} points", rate,
           "points/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--memory-points", type=int, default=10_000_000)
    parser.add_argument("--mlflow-points", type=int, default=2_000)
    args = parser.parse_args()
    isolated_home()
    ours = bench_ours(args.points)
    if args.memory_points:
        bench_memory(args.memory_points)
    peer = bench_mlflow(args.mlflow_points)
    if peer:
        figure("ratio jupyter_mlws / MLflow (points/s)", ours / peer, "x")


if __name__ == "__main__":
    main()
