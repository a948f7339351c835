"""The metric buffer under stress: crashes, many processes, backpressure, failing stores."""

from __future__ import annotations

import multiprocessing
import os
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
from jupyter_mlws.core.metric_losses import LOST_PROPERTY
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
        run.log("fast", i, step=i)
    run.complete()
    assert metric_count(run, "fast") == 200_000
    # Every point stored once, in logging order, with its int value and step; and the run
    # ended normally.
    series = run._store.get_metric_columns(run.id, "fast")
    assert series.value.tolist() == list(range(200_000)) == series.step.tolist()
    assert bool((series.time[1:] >= series.time[:-1]).all())
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


# ---- a batch the store cannot write (issue 9): isolated, reported on its run, never a stall

def _queue_past_the_checks(run: Run, name: str, value: object) -> None:
    """Queue a point the checks at the call would refuse, as if they had missed it."""
    key = run._buffer.series_key(run.id, name, "scalar", "")
    run._buffer.enqueue([(key, None, time.time(), value)])


def test_rejected_points_are_isolated_and_reported_on_their_run(experiment):
    bad = experiment.start_logging(snapshot_directory=None, outputs=False)
    good = experiment.start_logging(snapshot_directory=None, outputs=False)
    for i in range(3000):
        bad.log("m", i)
        bad.log("other", i)
        good.log("g", i)
        if i == 1500:
            _queue_past_the_checks(bad, "m", "poison \ud800")
    with pytest.raises(MetricWriteError, match=r"1 metric point of run .*'m'"):
        bad.flush()
    bad.flush()  # reported once; everything else was stored around the bad point
    assert bad.get_metrics() == {"m": list(range(3000)), "other": list(range(3000))}
    assert "'m'" in bad.get_properties()[LOST_PROPERTY]
    good.complete()
    assert good.get_status() == RunStatus.COMPLETED
    assert good.get_metrics() == {"g": list(range(3000))}
    bad.complete()  # not plain Completed: its points are missing
    assert bad.get_status() == RunStatus.FAILED
    details = bad.get_details()
    assert details["error"]["error"]["code"] == "MetricWriteError"
    assert "'m'" in details["warnings"][0]["message"]


def test_complete_raises_and_fails_the_run_when_points_were_refused(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.log("m", 1)
    _queue_past_the_checks(run, "m", 10**400)
    with pytest.raises(MetricWriteError, match="too large"):
        run.complete()
    assert run.get_status() == RunStatus.FAILED
    assert run._store.get_metric_series(run.id, "m").value == [1]


def test_a_deleted_run_does_not_stop_other_runs(experiment):
    doomed = experiment.start_logging(snapshot_directory=None, outputs=False)
    other = experiment.start_logging(snapshot_directory=None, outputs=False)
    doomed.log("m", 0)
    doomed.flush()
    doomed._store.delete_run(doomed.id)
    for i in range(1000):
        doomed.log("m", i)
        other.log("m", i)
    other.flush()
    assert other.get_metrics() == {"m": list(range(1000))}
    with pytest.raises(MetricWriteError, match="1000 metric points"):
        doomed.flush()
    other.complete()


def test_log_never_blocks_on_a_queue_full_of_unwritable_points(experiment, monkeypatch):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    monkeypatch.setattr(run._buffer, "max_points", 50)
    logger = threading.Thread(target=lambda: [_queue_past_the_checks(run, "m", f"\ud800{i}")
                                              for i in range(400)], daemon=True)
    logger.start()
    logger.join(timeout=120)
    assert not logger.is_alive()  # room was made: the unwritable points were set aside
    for i in range(100):
        run.log("m", i)
    with pytest.raises(MetricWriteError, match="400 metric points"):
        run.flush()
    assert run.get_metrics() == {"m": list(range(100))}
    run.fail()


def test_log_raises_instead_of_waiting_forever_on_a_failing_store(experiment, monkeypatch):
    store = experiment.workspace._store
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    monkeypatch.setattr(run._buffer, "max_points", 100)
    monkeypatch.setattr(metric_buffer, "LOG_WAIT_SECONDS", 1.0)
    real_append = store.append_metrics

    def failing(points):  # type: ignore[no-untyped-def]
        raise OSError("disk unavailable")

    monkeypatch.setattr(store, "append_metrics", failing)
    logged = 0
    with pytest.raises(MetricWriteError, match="disk unavailable"):
        for i in range(1000):
            run.log("m", i)
            logged += 1
    assert 100 <= logged < 1000  # the queue filled, then log() gave up instead of hanging
    monkeypatch.setattr(store, "append_metrics", real_append)
    run.flush()
    assert run.get_metrics()["m"] == list(range(logged))  # the refused call logged nothing
    run.complete()


# ---- the durability bound at full speed (issue 9): a SIGKILL loses nothing older than 1 s

TIGHT_LOOP_SCRIPT = r"""
    import os, sys, time
    from jupyter_mlws.core import Experiment, Workspace
    run = Experiment(Workspace.get("durable"), "durability").start_logging(
        snapshot_directory=None, outputs=False)
    progress = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    print("RUN", run.id, flush=True)
    log, now, i = run.log, time.monotonic, 0
    while True:
        end = i + 5000
        while i < end:  # the tight loop: nothing but run.log
            log("m", i)
            i += 1
        # Unbuffered: a SIGKILL cannot lose what this says (all points < i were logged).
        os.write(progress, b"%d %.6f\n" % (i, now()))
"""


def test_sigkill_in_a_tight_loop_loses_nothing_logged_a_second_before(experiment, tmp_path):
    script = tmp_path / "work" / "tight.py"
    script.write_text(textwrap.dedent(TIGHT_LOOP_SCRIPT))
    progress = tmp_path / "progress.txt"
    # A queue limit far above what a second holds: only the time bound protects the points.
    env = {**os.environ, "MLWS_METRIC_QUEUE_LIMIT": "5000000"}
    proc = subprocess.Popen([sys.executable, str(script), str(progress)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        run_id = proc.stdout.readline().split()[1]  # type: ignore[union-attr]

        def logged() -> list[tuple[int, float]]:
            text = progress.read_text() if progress.exists() else ""
            return [(int(i), float(t)) for i, t in
                    (line.split() for line in text.splitlines(keepends=True)
                     if line.endswith("\n"))]

        # At full speed for a while: a million points and three seconds of logging.
        wait_until(lambda: (lambda r: r and r[-1][0] >= 1_000_000 and r[-1][1] - r[0][1] >= 3)(
            logged()), timeout=240, what="a million points logged")
    finally:
        killed_at = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    records = logged()
    required = max(i for i, t in records if t <= killed_at - 1.0)
    run = Run.get(experiment.workspace, run_id)
    stored = run._store.get_metric_columns(run_id, "m").value
    # For the message: how long before the kill the first lost point was logged (at most).
    lost_age = killed_at - next((t for i, t in records if i > len(stored)), killed_at)
    assert len(stored) >= required, (
        f"{len(stored)} points stored, {required} were logged a second before the kill; "
        f"points logged {lost_age:.2f} s before it were lost")
    assert stored.tolist() == list(range(len(stored)))  # in order, nothing lost in between
    assert run.get_status() == RunStatus.FAILED
