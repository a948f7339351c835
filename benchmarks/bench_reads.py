"""Read-side figures: a 1M-point series (full and downsampled), one page of 10,000 runs,
import time and start_logging latency.

Usage: python benchmarks/bench_reads.py [--points 1000000] [--runs 10000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import best_of, figure, isolated_home


def bench_series(points: int) -> None:
    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    run = Experiment(ws, "series").start_logging(snapshot_directory=None, outputs=False)
    for i in range(points):
        run.log("loss", (i % 1000) * 0.001, step=i)
    run.complete()
    store = run._store
    full = best_of(lambda: store.get_metric_series(run.id, "loss"), repeat=3)
    figure(f"full read of a {points:,}-point series (store)", full * 1000, "ms", "<= 1000 ms")
    full_sdk = best_of(lambda: run.get_metrics("loss"), repeat=3)
    figure(f"run.get_metrics of a {points:,}-point series", full_sdk * 1000, "ms")
    down = best_of(lambda: store.get_metric_series(run.id, "loss", max_points=2000))
    figure(f"downsampled read, {points:,} -> 2,000 points", down * 1000, "ms", "<= 100 ms")


def bench_run_page(runs: int) -> None:
    from jupyter_mlws.core import Experiment, Workspace
    from jupyter_mlws.store import RunQuery

    ws = Workspace.create("bench", exist_ok=True, show_output=False)
    exp = Experiment(ws, "many-runs")
    store = ws._store
    for i in range(runs):
        store.create_run(ws._record.id, exp.id, run_id=f"bench_run_{i:06d}", status="Completed",
                         display_name=f"run {i}", tags={"parity": str(i % 2)})
    query = RunQuery(experiment_id=exp.id, tags={"parity": "1"}, order_by="created_time",
                     descending=True, limit=50)
    page = best_of(lambda: store.list_runs(ws._record.id, query))
    figure(f"one sorted, filtered page of {runs:,} runs", page * 1000, "ms", "<= 100 ms")


def bench_startup() -> None:
    code = (
        "import time; t=time.perf_counter(); import jupyter_mlws.core; "
        "print(time.perf_counter()-t)"
    )
    samples = [float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(5)]
    figure("import jupyter_mlws.core", min(samples) * 1000, "ms", "<= 300 ms")

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
    figure("start_logging() (median of 10)", sorted(times)[5] * 1000, "ms", "<= 50 ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    isolated_home()
    bench_startup()
    bench_series(args.points)
    bench_run_page(args.runs)


if __name__ == "__main__":
    main()
