"""The metric buffer under stress: crashes, many processes, backpressure, failing stores."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import jupyter_mlws.core.metric_buffer as metric_buffer
from jupyter_mlws.core import Experiment, Run, Workspace
from jupyter_mlws.core.metric_buffer import MetricWriteError, get_buffer
from jupyter_mlws.core.status import RunStatus
from tests.helpers import wait_until


@pytest.fixture
def workspace_name() -> str:
    return "durable"  # the scripts below find their workspace and experiment by name


@pytest.fixture
def experiment_name() -> str:
    return "durability"


def metric_count(run: Run, name: str) -> int:
    return next((m.count for m in run._store.list_metrics(run.id) if m.name == name), 0)


KILLED_SCRIPT = """
    import sys, time
    from jupyter_mlws.core import Experiment, Workspace
    run = Experiment(Workspace.get("durable"), "durability").start_logging(
        snapshot_directory=None, outputs=False)
    print("RUN", run.id, flush=True)
    for i in range(100):
        run.log("m", i)
    run.flush()
    print("FLUSHED", flush=True)
    i = 100
    while True:
        run.log("m", i)
        print("LOGGED", i, time.time(), flush=True)
        i += 1
        time.sleep(0.002)  # a training step
"""


def test_sigkill_keeps_points_older_than_a_second_and_fails_the_run(experiment, tmp_path):
    script = tmp_path / "work" / "killed.py"
    script.write_text(textwrap.dedent(KILLED_SCRIPT))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        run_id = wait_until(lambda: next((ln.split()[1] for ln in list(lines)
                                        if ln.startswith("RUN")), None), timeout=60)
        wait_until(lambda: "FLUSHED\n" in list(lines), timeout=60)
        run = Run.get(experiment.workspace, run_id)
        assert metric_count(run, "m") >= 100  # flush() made them durable
        wait_until(lambda: metric_count(run, "m") >= 1000, timeout=60)  # background writes
    finally:
        proc.send_signal(signal.SIGKILL)
        killed_at = time.time()
        proc.wait(timeout=30)
    reader.join(timeout=30)
    # The kill can cut the last line short: only whole lines count.
    logged = [ln.split() for ln in lines if ln.startswith("LOGGED") and ln.endswith("\n")]
    old = {int(i) for _, i, t in logged if float(t) < killed_at - 1.0}
    assert len(old) > 200
    stored = set(run.get_metrics()["m"])
    assert set(range(100)) | old <= stored
    assert run.get_status() == RunStatus.FAILED
    assert run.get_details()["error"]["error"]["code"] == "RunInterrupted"


def _log_in_process(index: int, points: int) -> None:
    ws = Workspace.get("durable")
    with Experiment(ws, "durability").start_logging(
            snapshot_directory=None, outputs=False, display_name=f"worker-{index}") as run:
        for i in range(points):
            run.log("loss", i)
            if i % 1000 == 0:
                run.log_row("table", i=i, worker=index)


def test_eight_processes_lose_nothing(experiment):
    points = 20_000
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_log_in_process, args=(i, points)) for i in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=240)
    assert [proc.exitcode for proc in procs] == [0] * 8
    runs = list(Run.list(experiment))
    assert len(runs) == 8
    for run in runs:
        assert run.status == RunStatus.COMPLETED
        metrics = run.get_metrics()
        assert metrics["loss"] == list(range(points))
        assert metrics["table"]["i"] == list(range(0, points, 1000))


def test_backpressure_bounds_the_queue(experiment, monkeypatch):
    store = experiment.workspace._store
    buffer = get_buffer(store)
    monkeypatch.setattr(buffer, "max_points", 500)
    real_append = store.append_metrics

    def slow_append(points):
        time.sleep(0.005)  # a slow database, so the logger outruns the writer
        real_append(points)

    monkeypatch.setattr(store, "append_metrics", slow_append)
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    largest = 0
    for i in range(20_000):
        run.log("m", i)
        largest = max(largest, len(buffer.queue))
    assert largest <= 500
    assert run.get_metrics()["m"] == list(range(20_000))
    run.complete()


def test_queue_limit_from_environment(experiment, monkeypatch):
    monkeypatch.setenv("MLWS_METRIC_QUEUE_LIMIT", "1234")
    assert metric_buffer.MetricBuffer(experiment.workspace._store).max_points == 1234


def test_failing_store_is_retried_and_surfaces_at_flush(experiment, monkeypatch):
    store = experiment.workspace._store
    real_append = store.append_metrics
    broken = threading.Event()
    broken.set()

    def flaky_append(points):
        if broken.is_set():
            raise OSError("disk unavailable")
        real_append(points)

    monkeypatch.setattr(store, "append_metrics", flaky_append)
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    for i in range(1000):
        run.log("m", i)
    with pytest.raises(MetricWriteError, match="disk unavailable"):
        run.flush(timeout_seconds=5)
    with pytest.raises(MetricWriteError):
        run.complete()
    run.log("m", 1000)
    broken.clear()
    run.flush()
    assert run.get_metrics()["m"] == list(range(1001))
    run.complete()
    assert run.get_status() == RunStatus.COMPLETED


def test_heartbeat_refreshed_for_owned_runs(experiment, monkeypatch):
    monkeypatch.setattr(metric_buffer, "HEARTBEAT_INTERVAL", 0.1)
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    first = run._store.get_run(run.id).heartbeat_time or 0.0
    wait_until(lambda: (run._store.get_run(run.id).heartbeat_time or 0.0) > first, timeout=10)
    run.complete()


def test_many_points_in_one_process(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    for i in range(200_000):
        run.log("fast", i)
    run.complete()
    assert metric_count(run, "fast") == 200_000
    # Every point, once each, in the order logged; and the run ended normally.
    assert run.get_metrics()["fast"] == list(range(200_000))
    assert run.get_status() == RunStatus.COMPLETED


def test_threads_logging_at_once_lose_nothing(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)

    def work(name: str) -> None:
        for i in range(10_000):
            run.log(name, i)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    metrics = run.get_metrics()
    assert all(metrics[f"t{n}"] == list(range(10_000)) for n in range(4))
    run.complete()
