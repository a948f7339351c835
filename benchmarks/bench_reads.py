"""The metric figures of issue 15 in one run, each next to the machine's limit and MLflow:

- sustained ``run.log`` points/s until durable (limit: raw SQLite ``executemany``);
- full read of a 1M-point series from the store (limit: numpy reading the same bytes);
- ``run.get_metrics()`` of a 1M-point run (limit: the same bytes to a Python list);
- ``runs_frame`` of 10,000 runs (limit: raw SQLite fetching the same columns);

plus the downsampled read, one page of runs, import time and ``start_logging``. Every figure is
a median of ``--repeat`` calls. MLflow figures appear when it is installed
(``pip install "jupyter_mlws[bench]"``); its stores are filled through its own batch APIs.

Usage: python benchmarks/bench_reads.py [--points 1000000] [--runs 10000] [--mlflow-runs N]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from _common import figure, isolated_home, median_of, ratio_line
from bench_logging import mlflow_log_rate, sqlite_limit, sustained

ROWS: list[tuple[str, str, float, str, float | None, float | None, str]] = []


def row(label: str, ours: float, unit: str, limit: float | None, mlflow: float | None,
        better: str, goal: str) -> None:
    """Print a figure with its ratios and keep it for the summary table."""
    figure(label, ours, unit, goal)
    if limit is not None:
        ratio_line("the machine's limit", ours, limit, unit, better)
    if mlflow is not None:
        ratio_line("MLflow", ours, mlflow, unit, better)
    ROWS.append((label, unit, ours, better, limit, mlflow, goal))


def _ratio(ours: float, other: float | None, better: str) -> str:
    if other is None:
        return "-"
    return f"{ours / other if better == 'higher' else other / ours:,.2f}x"


def summary() -> None:
    print("\n| measure | ours | limit | ours / limit | MLflow | ours / MLflow | goal |")
    print("|---|---|---|---|---|---|---|")
    def fmt(value: float | None, unit: str) -> str:
        return "-" if value is None else f"{value:,.3f} {unit}"

    for label, unit, ours, better, limit, mlflow, goal in ROWS:
        print(f"| {label} | {fmt(ours, unit)} | {fmt(limit, unit)} | "
              f"{_ratio(ours, limit, better)} | {fmt(mlflow, unit)} | "
              f"{_ratio(ours, mlflow, better)} | {goal} |")


# ---- the limits: the same bytes read by the simplest possible code

def raw_connection(store: Any) -> sqlite3.Connection:
    """A plain sqlite3 connection to the store's file (opened outside the timed calls)."""
    return sqlite3.connect(store.db.engine.url.database)


def raw_chunk_read(conn: sqlite3.Connection, run_id: str, name: str, values_only: bool) -> Any:
    """The series' packed chunks fetched with sqlite3 and unpacked with numpy."""
    import numpy as np

    (mid,) = conn.execute("SELECT id FROM metric WHERE run_id = ? AND name = ?",
                          (run_id, name)).fetchone()
    columns = "vals" if values_only else "steps, times, vals"
    rows = conn.execute(f"SELECT {columns} FROM metric_chunk WHERE metric_id = ? "
                        "ORDER BY first_seq", (mid,)).fetchall()
    step = "<i8"
    out = [np.concatenate([np.frombuffer(r[k], dtype=step if k == 0 and not values_only
                                         else "<f8") for r in rows])
           for k in range(len(rows[0]))]
    return out


def raw_run_table(conn: sqlite3.Connection, experiment_id: str) -> list[list[tuple]]:
    """The rows runs_frame shows, fetched with plain sqlite3 (no objects, no pandas)."""
    return [conn.execute(sql, (experiment_id,)).fetchall() for sql in (
        "SELECT r.id, e.name, r.number, r.display_name, r.status, r.start_time, "
        "r.end_time, r.parent_run_id FROM run r JOIN experiment e ON e.id = "
        "r.experiment_id WHERE r.experiment_id = ? ORDER BY r.created_time DESC",
        "SELECT t.run_id, t.key, t.value FROM run_tag t JOIN run r ON r.id = t.run_id "
        "WHERE r.experiment_id = ?",
        "SELECT m.run_id, m.name, m.last_num FROM metric m JOIN run r ON r.id = m.run_id "
        "WHERE r.experiment_id = ? AND m.kind = 'scalar'")]


# ---- MLflow, filled through its batch APIs

def _mlflow_client() -> Any:
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError:
        return None
    folder = tempfile.mkdtemp(prefix="mlflow-bench-")
    mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    return MlflowClient()


def mlflow_history_rate(points: int, repeat: int) -> float | None:
    """Points/s of ``get_metric_history`` of one ``points``-point metric."""
    client = _mlflow_client()
    if client is None or points <= 0:
        return None
    from mlflow.entities import Metric

    run_id = client.create_run(client.create_experiment("history")).info.run_id
    for lo in range(0, points, 1000):
        client.log_batch(run_id, metrics=[Metric("loss", i * 0.001, 1_700_000_000_000, i)
                                          for i in range(lo, min(points, lo + 1000))])
    seconds = median_of(lambda: client.get_metric_history(run_id, "loss"), repeat)
    figure(f"MLflow get_metric_history, {points:,} points", seconds * 1000, "ms")
    return points / seconds


def mlflow_search_runs(runs: int, repeat: int) -> float | None:
    """Seconds of ``mlflow.search_runs`` (a pandas frame) of ``runs`` runs."""
    client = _mlflow_client()
    if client is None or runs <= 0:
        return None
    import mlflow
    from mlflow.entities import Metric, RunTag

    experiment = client.create_experiment("many-runs")
    for i in range(runs):
        run_id = client.create_run(experiment).info.run_id
        client.log_batch(run_id, metrics=[Metric("loss", 1.0 / (i + 1), 0, 0),
                                          Metric("acc", 0.5, 0, 0)],
                         tags=[RunTag("parity", str(i % 2))])
        client.set_terminated(run_id)
    seconds = median_of(lambda: mlflow.search_runs([experiment], max_results=runs), repeat)
    figure(f"MLflow search_runs of {runs:,} runs", seconds * 1000, "ms")
    return seconds


# ---- ours

def bench_series(points: int, repeat: int, mlflow_points: int) -> None:
    rate, run = sustained(points)
    peer_log = mlflow_log_rate(2000)
    row(f"run.log sustained until durable, {points:,} calls", rate, "points/s",
        sqlite_limit(points), peer_log, "higher", ">= 500,000")
    run.complete()
    store = run._store
    arrays = median_of(lambda: store.get_metric_columns(run.id, "loss"), repeat)
    conn = raw_connection(store)
    limit = median_of(lambda: raw_chunk_read(conn, run.id, "loss", False), repeat)
    peer = mlflow_history_rate(mlflow_points, repeat)
    row(f"full read of a {points:,}-point series (store, arrays)", arrays * 1000, "ms",
        limit * 1000, points / peer * 1000 if peer else None, "lower", "<= 300 ms")
    lists = median_of(lambda: store.get_metric_series(run.id, "loss"), repeat)
    figure("  the same as Python lists (get_metric_series)", lists * 1000, "ms")
    full_sdk = median_of(lambda: run.get_metrics(), repeat)
    limit = median_of(lambda: raw_chunk_read(conn, run.id, "loss", True)[0].tolist(), repeat)
    row(f"run.get_metrics() of a {points:,}-point run", full_sdk * 1000, "ms", limit * 1000,
        None, "lower", "<= 500 ms")
    down = median_of(lambda: store.get_metric_series(run.id, "loss", max_points=2000), repeat)
    figure(f"downsampled read, {points:,} -> 2,000 points", down * 1000, "ms", "<= 100 ms")


def bench_runs(runs: int, repeat: int, mlflow_runs: int) -> None:
    from jupyter_mlws.core import Experiment, Workspace
    from jupyter_mlws.core.dataframes import runs_frame
    from jupyter_mlws.store import RunQuery

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    exp = Experiment(ws, "many-runs")
    store = ws._store
    points = []
    for i in range(runs):
        run_id = f"bench_run_{i:06d}"
        store.create_run(ws._record.id, exp._record.id, run_id=run_id, status="Completed",
                         display_name=f"run {i}", tags={"parity": str(i % 2)})
        points += [(run_id, "loss", "scalar", s, 1.7e9 + s, 1.0 / (s + 1), "")
                   for s in range(20)]
        points.append((run_id, "acc", "scalar", None, 1.7e9, 0.5, ""))
        if len(points) >= 50_000:
            store.append_metrics(points)
            points = []
    store.append_metrics(points)
    frame = median_of(lambda: runs_frame(exp), repeat)
    conn = raw_connection(store)
    limit = median_of(lambda: raw_run_table(conn, exp._record.id), repeat)
    peer = mlflow_search_runs(mlflow_runs, repeat)
    scaled = peer * runs / mlflow_runs if peer else None  # MLflow's time, per as many runs
    row(f"runs_frame of {runs:,} runs (20 points, 2 metrics, 1 tag each)", frame * 1000, "ms",
        limit * 1000, scaled * 1000 if scaled else None, "lower", "<= 300 ms")
    query = RunQuery(experiment_id=exp._record.id, tags={"parity": "1"}, order_by="created_time",
                     descending=True, limit=50)
    page = median_of(lambda: store.list_runs(ws._record.id, query), repeat)
    figure(f"one sorted, filtered page of {runs:,} runs", page * 1000, "ms", "<= 100 ms")


def bench_startup() -> None:
    code = (
        "import time; t=time.perf_counter(); import jupyter_mlws.core; "
        "print(time.perf_counter()-t)"
    )
    samples = [float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(5)]
    figure("import jupyter_mlws.core (median of 5)", statistics.median(samples) * 1000, "ms",
           "<= 300 ms")

    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    exp = Experiment(ws, "startup")
    exp.start_logging(snapshot_directory=None, outputs=False).complete()
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        run = exp.start_logging(snapshot_directory=None, outputs=False)
        times.append(time.perf_counter() - t0)
        run.complete()
    figure("start_logging() (median of 10)", statistics.median(times) * 1000, "ms",
           "<= 50 ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mlflow-points", type=int, default=100_000)
    parser.add_argument("--mlflow-runs", type=int, default=2_000)
    args = parser.parse_args()
    isolated_home()
    bench_startup()
    bench_series(args.points, args.repeat, args.mlflow_points)
    bench_runs(args.runs, args.repeat, args.mlflow_runs)
    summary()


if __name__ == "__main__":
    main()
