"""run.log throughput until durable, per-call latency, durability lag and memory, each next to
the machine's limit (raw SQLite ``executemany`` of the same points) and MLflow when installed.

Usage: python benchmarks/bench_logging.py [--points 1000000] [--memory-points 10000000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time

import psutil
from _common import figure, isolated_home, median_us, ratio_line


def sqlite_limit(points: int, batch: int = 100_000) -> float:
    """Points/s of the floor: plain ``executemany`` of the same points, one row per point,
    into a clustered table (WAL, synchronous=NORMAL, a transaction per ``batch`` points, as
    the writer commits), the rows built beforehand."""
    folder = tempfile.mkdtemp(prefix="mlws-bench-sqlite-")
    conn = sqlite3.connect(os.path.join(folder, "raw.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE point (metric_id INTEGER, seq INTEGER, step REAL, time REAL, "
                 "value REAL, PRIMARY KEY (metric_id, seq)) WITHOUT ROWID")
    rows = [(1, i + 1, float(i), 1.7e9 + i * 1e-6, i * 0.001) for i in range(points)]
    start = time.perf_counter()
    for lo in range(0, points, batch):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO point VALUES (?, ?, ?, ?, ?)", rows[lo:lo + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return points / elapsed


def sustained(points: int) -> tuple[float, object]:
    """Points/s of ``points`` ``run.log`` calls in a tight loop, until all are durable (the
    final flush included). Returns the rate and the run (its points feed bench_reads)."""
    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    run = Experiment(ws, "logging").start_logging(snapshot_directory=None, outputs=False)
    start = time.perf_counter()
    log = run.log
    for i in range(points):
        log("loss", i * 0.001, step=i)
    run.flush()
    rate = points / (time.perf_counter() - start)
    return rate, run


def bench_ours(points: int, mlflow_rate: float | None) -> None:
    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    run = Experiment(ws, "latency").start_logging(snapshot_directory=None, outputs=False)

    # Per-call latency on a warm buffer.
    samples = []
    clock = time.perf_counter_ns
    for i in range(100_000):
        t0 = clock()
        run.log("latency", i)
        samples.append(clock() - t0)
    run.flush()
    figure("run.log median call", median_us(samples), "us", "<= 5 us")

    rate, loss_run = sustained(points)
    figure(f"run.log sustained until durable, {points:,} points", rate, "points/s",
           ">= 500,000")
    ratio_line("raw SQLite executemany of the same points", rate, sqlite_limit(points),
               "points/s", "higher")
    if mlflow_rate:
        ratio_line("MLflow log_metric (SQLite)", rate, mlflow_rate, "points/s", "higher")

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
    loss_run.complete()  # type: ignore[attr-defined]


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


def mlflow_log_rate(points: int) -> float | None:
    """Points/s of MLflow's ``log_metric`` in a loop (SQLite tracking store), or None."""
    if points <= 0:
        return None
    try:
        import mlflow
    except ImportError:
        print("MLflow not installed: no peer figure (pip install 'jupyter_mlws[bench]')")
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
    figure(f"MLflow {mlflow.__version__} log_metric (SQLite), {points:,} points",
           points / elapsed, "points/s")
    return points / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--memory-points", type=int, default=10_000_000)
    parser.add_argument("--mlflow-points", type=int, default=2_000)
    args = parser.parse_args()
    isolated_home()
    peer = mlflow_log_rate(args.mlflow_points)
    bench_ours(args.points, peer)
    if args.memory_points:
        bench_memory(args.memory_points)


if __name__ == "__main__":
    main()
