"""Metrics: round trips, cursors, downsampling, bulk reads, concurrent writers."""

from __future__ import annotations

import math
import multiprocessing
import time

import pytest

from jupyter_mlws.store import InvalidInputError, NotFoundError
from jupyter_mlws.store.settings import StoreSettings

VALUES = [None, True, False, 0, 7, -(2**60) - 1, 2**53 + 1, 0.25, math.inf, -math.inf,
          "text", "", {"x": 1, "y": 0.5, "flag": True, "s": None}]


def test_values_round_trip(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    pts = [("r1", "v", "scalar", i, 100.0 + i, v, "desc") for i, v in enumerate(VALUES)]
    pts.append(("r1", "v", "scalar", None, 200.0, math.nan, ""))
    store.append_metrics(pts)
    series = store.get_metric_series("r1", "v")
    assert series.seq == list(range(1, len(VALUES) + 2))
    assert series.value[:-1] == VALUES
    assert [type(v) for v in series.value[:-1]] == [type(v) for v in VALUES]
    assert math.isnan(series.value[-1])
    assert series.step[:3] == [0, 1, 2] and series.step[-1] is None
    assert series.time[0] == 100.0 and series.total == len(VALUES) + 1
    info = store.list_metrics("r1")
    assert len(info) == 1 and info[0].count == len(VALUES) + 1
    assert info[0].kind == "scalar" and info[0].description == "desc"
    assert math.isnan(info[0].last_value)
    everything = store.get_all_metric_values(["r1"])
    assert everything["r1"]["v"][0] == "scalar"
    assert everything["r1"]["v"][1][:-1] == VALUES


def test_batches_append_and_cursor(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    store.create_run(ws.id, exp.id, run_id="r2")
    store.append_metrics([("r1", "a", "scalar", None, 1.0, i, "") for i in range(5)]
                         + [("r2", "b", "table", None, 1.0, {"x": 1}, "")])
    store.append_metrics([("r1", "a", "scalar", None, 2.0, i, "") for i in range(5, 8)]
                         + [("r1", "l", "list", None, 2.0, 3, "")])
    assert store.get_metric_series("r1", "a", since=5).value == [5, 6, 7]
    assert store.get_metric_series("r1", "a", since=5).seq == [6, 7, 8]
    assert store.get_metric_series("r1", "a", since=8).value == []
    info = {m.name: m for m in store.list_metrics("r1")}
    assert info["a"].count == 8 and info["a"].last_value == 7 and info["l"].kind == "list"
    assert store.get_all_metric_values(["r1", "r2", "r1"]) == {
        "r1": {"a": ("scalar", list(range(8))), "l": ("list", [3])},
        "r2": {"b": ("table", [{"x": 1}])}}
    with pytest.raises(NotFoundError):
        store.get_metric_series("r1", "missing")
    with pytest.raises(NotFoundError):
        store.append_metrics([("nope", "a", "scalar", None, 1.0, 1, "")])
    assert store.get_metric_series("r1", "a").total == 8  # failed batch wrote nothing


def test_downsampling_keeps_extremes(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    n = 20_000
    values = [math.sin(i / 50.0) for i in range(n)]
    values[7777] = 50.0
    values[12345] = -50.0
    values[100] = math.nan
    store.append_metrics([("r1", "s", "scalar", i, float(i), v, "") for i, v in enumerate(values)])
    ds = store.get_metric_series("r1", "s", max_points=200)
    assert 3 <= len(ds.value) <= 200 and ds.total == n
    assert ds.seq == sorted(ds.seq) and ds.seq[0] == 1 and ds.seq[-1] == n
    assert 50.0 in ds.value and -50.0 in ds.value
    assert ds.value[ds.seq.index(7778)] == 50.0
    # with a cursor: only newer points, still bounded
    tail = store.get_metric_series("r1", "s", since=15_000, max_points=100)
    assert tail.seq[0] == 15_001 and tail.seq[-1] == n and len(tail.seq) <= 100
    # small series are returned whole
    assert len(store.get_metric_series("r1", "s", since=n - 10, max_points=100).seq) == 10
    with pytest.raises(InvalidInputError):
        store.get_metric_series("r1", "s", max_points=1)


def test_downsampling_non_numeric(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    store.append_metrics([("r1", "t", "scalar", None, 1.0, f"s{i}", "") for i in range(1000)])
    ds = store.get_metric_series("r1", "t", max_points=50)
    assert 2 < len(ds.value) <= 50 and ds.value[0] == "s0" and ds.value[-1] == "s999"


def _writer(settings: StoreSettings, run_id: str, worker: int, batches: int, size: int,
            start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    from jupyter_mlws.store.sql import SqlStore

    store = SqlStore(settings)
    start.wait(30)
    for b in range(batches):
        store.append_metrics(
            [(run_id, "shared", "scalar", None, time.time(), worker * 1_000_000 + b * size + i,
              "") for i in range(size)]
            + [(run_id, f"own_{worker}", "scalar", None, time.time(), b, "")])
    store.close()


def test_concurrent_writer_processes(mlws_home) -> None:  # type: ignore[no-untyped-def]
    from jupyter_mlws.store.sql import SqlStore

    settings = StoreSettings(home=mlws_home, database_url=f"sqlite:///{mlws_home / 'c.db'}",
                             storage_root=str(mlws_home / "workspaces"))
    store = SqlStore(settings)
    ws = store.create_workspace("ws1", "s", "r")
    exp = store.get_or_create_experiment(ws.id, "e")
    store.create_run(ws.id, exp.id, run_id="r1")
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    workers, batches, size = 8, 20, 200
    procs = [ctx.Process(target=_writer, args=(settings, "r1", w, batches, size, start))
             for w in range(workers)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    shared = store.get_metric_series("r1", "shared")
    assert shared.total == workers * batches * size == len(shared.value)
    assert shared.seq == list(range(1, shared.total + 1))
    assert sorted(shared.value) == sorted(w * 1_000_000 + i for w in range(workers)
                                          for i in range(batches * size))
    for w in range(workers):
        assert store.get_metric_series("r1", f"own_{w}").value == list(range(batches))
    store.close()
