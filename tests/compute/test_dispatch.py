"""The cluster daemon as the dispatcher of its runs: the queue folder, many queued runs, cancel
before a run starts, and a daemon killed with runs still queued."""

from __future__ import annotations

import os
import signal
import stat

import psutil
import pytest

from jupyter_mlws.core import Experiment, ScriptRunConfig
from jupyter_mlws.execution import dask_cluster
from jupyter_mlws.execution.dask_dispatch import enqueue, queue_dir, take_queued
from tests.compute.conftest import use_cluster
from tests.helpers import wait_until

pytestmark = pytest.mark.timeout(240)

# Records each start (so a second start would show), then waits for the test's gate file.
GATED = """
import os, sys, time
with open(os.path.join(sys.argv[1], os.environ["MLWS_RUN_ID"] + ".started"), "a") as f:
    f.write(f"{os.getpid()}\\n")
deadline = time.time() + 120
while not os.path.exists(os.path.join(sys.argv[1], "gate")) and time.time() < deadline:
    time.sleep(0.05)
print("passed the gate")
"""


@pytest.fixture
def gated(make_source, tmp_path):
    flags = tmp_path / "flags"
    flags.mkdir()
    yield make_source(files={"train.py": GATED}), flags
    # Whatever the test did, its runs pass the gate: a shared node is never left busy.
    (flags / "gate").touch()


def _submit(exp, src, target, flags):
    return exp.submit(ScriptRunConfig(src, "train.py", arguments=[str(flags)],
                                      compute_target=target))


def _starts(flags, run) -> int:
    path = flags / f"{run.id}.started"
    return len(path.read_text().split()) if path.exists() else 0


def test_queue_folder_holds_private_specs_taken_once_in_order(tmp_path):
    first = enqueue(tmp_path, {"run_id": "a", "store": {"token": "secret"}})
    enqueue(tmp_path, {"run_id": "b"})
    assert stat.S_IMODE(first.stat().st_mode) == 0o600  # it may hold the server token
    os.utime(first, ns=(1, 1))  # "a" is the older one whatever the clock's resolution
    assert [s["run_id"] for s in take_queued(tmp_path)] == ["a", "b"]
    assert take_queued(tmp_path) == []
    assert list(queue_dir(tmp_path).iterdir()) == []


def test_many_runs_queued_on_one_node_all_complete_without_a_process_per_run(
        ws, gated, shared_target, shared_cluster):
    src, flags = gated
    (flags / "gate").touch()
    exp = Experiment(ws, "many")
    me = psutil.Process()
    before = {p.pid for p in me.children()}
    runs = [_submit(exp, src, shared_target, flags) for _ in range(12)]
    # Submitting started no process: the daemon (already our child) dispatches them all.
    assert {p.pid for p in me.children()} <= before
    for run in runs:
        details = run.wait_for_completion(wait_post_processing=True, raise_on_error=False)
        assert details["status"] == "Completed", details
        assert details["target"] == "shared"
        assert _starts(flags, run) == 1
        log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
        assert "passed the gate" in log
    assert list(queue_dir(shared_cluster["state_dir"]).glob("*.json")) == []
    wait_until(lambda: (dask_cluster.read_status(shared_cluster["state_dir"]) or {}).get(
        "dispatched_runs") == 0, 10, what="futures released")


def test_cancel_right_after_submit_never_starts_the_run(ws, gated, shared_target):
    src, flags = gated
    exp = Experiment(ws, "cancel-early")
    busy = _submit(exp, src, shared_target, flags)
    wait_until(lambda: busy.get_status() == "Running", 90, what="the node busy")
    early = _submit(exp, src, shared_target, flags)
    early.cancel()  # at once: before or just after the daemon picked it up
    assert early.get_status() == "Canceled"
    (flags / "gate").touch()
    assert busy.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    # The node was free for the next run, and the canceled one never started on it.
    after = _submit(exp, src, shared_target, flags)
    assert after.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    early.refresh()
    assert early._record.start_time is None
    assert _starts(flags, early) == 0


def test_daemon_killed_with_runs_queued_fails_them(ws, gated, tmp_path, kill):
    src, flags = gated
    state_dir = tmp_path / "doomed"
    proc = dask_cluster.launch(state_dir, min_nodes=1, max_nodes=1, idle_seconds=60)
    family: list[psutil.Process] = []
    try:
        info = wait_until(lambda: dask_cluster.read_info(state_dir), 90, 0.1, "cluster start")
        target = use_cluster(ws, {**info, "state_dir": str(state_dir)}, name="doomed")
        exp = Experiment(ws, "doomed")
        running = _submit(exp, src, target, flags)
        wait_until(lambda: running.get_status() == "Running", 90, what="the node busy")
        queued = [_submit(exp, src, target, flags) for _ in range(2)]
        wait_until(lambda: all(r.get_status() == "Queued" for r in queued), 30,
                   what="runs queued")
        family = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        for run in queued:
            # Reconciled on read: the owner (the daemon) is gone, so the run is not stuck.
            wait_until(lambda run=run: run.get_status() == "Failed", 30, what="reconciled")
            details = run.get_details()
            assert details["error"]["error"]["code"] == "RunInterrupted"
            assert _starts(flags, run) == 0
    finally:
        kill(proc.pid)
        for member in family:
            kill(member.pid)


def test_deleting_a_cluster_fails_its_queued_runs_as_cluster_stopped(ws, gated):
    from jupyter_mlws.core import ComputeTarget
    from jupyter_mlws.core.compute import AmlCompute

    src, flags = gated
    cluster = ComputeTarget.create(ws, "short-lived", AmlCompute.provisioning_configuration(
        vm_size="Standard_DS2_v2", min_nodes=1, max_nodes=1))
    try:
        cluster.wait_for_completion(min_node_count=1)
        exp = Experiment(ws, "stopped")
        running = _submit(exp, src, cluster, flags)
        wait_until(lambda: running.get_status() == "Running", 90, what="the node busy")
        queued = _submit(exp, src, cluster, flags)
        wait_until(lambda: queued.get_status() == "Queued", 30, what="run queued")
    finally:
        cluster.delete()  # SIGTERM: the daemon fails what it has not started, then stops
    details = queued.get_details()
    assert details["status"] == "Failed"
    assert details["error"]["error"]["code"] == "ClusterStopped"
    assert _starts(flags, queued) == 0
    wait_until(lambda: running.get_status() == "Failed", 30, what="running run ended")
