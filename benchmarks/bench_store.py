"""Store-level metric figures on the SQL store directly (no SDK), for any ``--database-url``
(SQLite by default, PostgreSQL by URL): appends of packed chunks with their rollups, a 1M-point
series read whole (as numpy columns and as Python lists) and downsampled. Medians of
``--repeat`` calls.

Usage: python benchmarks/bench_store.py [--points 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import math
import os
import time

from _common import figure, isolated_home, median_of


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home = isolated_home()

    from jupyter_mlws.store.settings import StoreSettings
    from jupyter_mlws.store.sql import SqlStore

    url = args.database_url or f"sqlite:///{os.path.join(home, 'mlws.db')}"
    store = SqlStore(StoreSettings(home=home, database_url=url,
                                   storage_root=os.path.join(home, "workspaces")))
    ws = store.create_workspace(f"bench-{os.getpid()}", "local", "local")
    exp = store.get_or_create_experiment(ws.id, "series")
    run = store.create_run(ws.id, exp.id, run_id=f"bench_{os.getpid()}", status="Running")
    n, batch = args.points, args.batch
    start = time.perf_counter()
    for lo in range(0, n, batch):
        store.append_metrics([(run.id, "loss", "scalar", i, 1.7e9 + i, math.sin(i / 1000.0), "")
                              for i in range(lo, min(n, lo + batch))])
    elapsed = time.perf_counter() - start
    figure(f"append {n:,} points in batches of {batch:,}", n / elapsed, "points/s")

    series = store.get_metric_series(run.id, "loss")
    assert len(series.value) == n and type(series.step[1]) is int
    repeat = args.repeat
    arrays = median_of(lambda: store.get_metric_columns(run.id, "loss"), repeat)
    figure(f"full read of a {n:,}-point series, numpy columns", arrays * 1000, "ms",
           "<= 300 ms")
    lists = median_of(lambda: store.get_metric_series(run.id, "loss"), repeat)
    figure(f"full read of a {n:,}-point series, Python lists", lists * 1000, "ms")
    down = median_of(lambda: store.get_metric_series(run.id, "loss", max_points=2000), repeat)
    figure(f"downsampled read, {n:,} -> 2,000 points", down * 1000, "ms", "<= 100 ms")
    tail = median_of(lambda: store.get_metric_series(run.id, "loss", since=n // 2,
                                                     max_points=2000), repeat)
    figure("downsampled read of the newer half (since=n/2)", tail * 1000, "ms")
    store.delete_workspace(ws.id)
    store.close()


if __name__ == "__main__":
    main()
