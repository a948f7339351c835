"""Compute clusters (a Dask LocalCluster in a detached daemon) with real Dask processes:
queueing, scaling, daemon loss, cancel, a lost worker, delete."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from jupyter_mlws.core import ComputeTarget, Experiment, ScriptRunConfig
from jupyter_mlws.core.compute import AmlCompute
from jupyter_mlws.execution.dask_cluster import is_alive
from tests.helpers import step_wall_clock, wait_until

pytestmark = pytest.mark.timeout(240)

# Records its start, then waits (for a condition, not a delay) for the test's gate file.
GATED = """
import os, sys, time
from jupyter_mlws.core import Run
with open(os.path.join(sys.argv[1], os.environ["MLWS_RUN_ID"] + ".started"), "a") as f:
    f.write(f"{os.getpid()}\\n")
deadline = time.time() + 120
while not os.path.exists(os.path.join(sys.argv[1], "gate")) and time.time() < deadline:
    time.sleep(0.05)
Run.get_context().log("done", 1)
"""


def _submit(exp, src, target, flags):
    return exp.submit(ScriptRunConfig(src, "train.py", arguments=[str(flags)],
                                      compute_target=target))


def _starts(flags, run) -> int:
    path = flags / f"{run.id}.started"
    return len(path.read_text().split()) if path.exists() else 0


@pytest.fixture
def gated(make_source, tmp_path):
    flags = tmp_path / "flags"
    flags.mkdir()
    yield make_source(files={"train.py": GATED}), flags
    # Whatever the test did, its runs pass the gate: a shared node is never left busy.
    (flags / "gate").touch()


def _script_pid(flags, run) -> int:
    """The pid the run's script recorded (waits for it: Running comes before the script has
    imported the SDK and written its file)."""
    wait_until(lambda: _starts(flags, run) == 1, 90, what=f"script of {run.id} started")
    return int((flags / f"{run.id}.started").read_text().split()[0])


def test_cluster_queues_scales_survives_daemon_loss_and_deletes(ws, gated, kill):
    src, flags = gated
    cluster = ComputeTarget.create(ws, "cpu-cluster", AmlCompute.provisioning_configuration(
        vm_size="Standard_DS2_v2", min_nodes=0, max_nodes=2, idle_seconds_before_scaledown=2))
    try:
        cluster.wait_for_completion(show_output=False)
        status = cluster.get_status()
        assert status.provisioning_state == "Succeeded" and status.current_node_count == 0
        assert status.scale_settings["maxNodeCount"] == 2
        assert status.scheduler_address.startswith("tcp://127.0.0.1:")

        exp = Experiment(ws, "clustered")
        runs = [_submit(exp, src, "cpu-cluster", flags) for _ in range(3)]
        # Two nodes take two runs; the third waits in the queue until a node is free.
        statuses = ["Queued", "Running", "Running"]
        wait_until(lambda: sorted(r.get_status() for r in runs) == statuses, 90,
                   what="2 running + 1 queued")
        wait_until(lambda: cluster.get_status().current_node_count == 2, 30, what="2 nodes")
        # list_nodes: each node with the run it executes (the queued one is on none).
        running = {r.id for r in runs if r.get_status() == "Running"}
        wait_until(lambda: {i for n in cluster.list_nodes() for i in n["runIds"]} == running,
                   30, what="the nodes' runs")
        nodes = cluster.list_nodes()
        assert len(nodes) == 2 and {n["nodeState"] for n in nodes} == {"running"}
        assert all(n["privateIpAddress"] == "127.0.0.1" and n["port"] for n in nodes)
        (flags / "gate").touch()
        for run in runs:
            assert run.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
            assert run.get_metrics() == {"done": 1}
            assert _starts(flags, run) == 1
            assert run.get_details()["target"] == "cpu-cluster"
        # Idle nodes are retired after idle_seconds_before_scaledown.
        wait_until(lambda: cluster.get_status().current_node_count == 0, 60, 0.2,
                   "scale down")

        # A daemon killed while busy shows as Failed with the reason; create() restarts it.
        busy = _submit(exp, src, "cpu-cluster", flags)
        wait_until(lambda: busy.get_status() == "Running", 90, what="a busy daemon")
        cluster.refresh_state()
        state = cluster._record.state
        kill(state["pid"])
        status = cluster.get_status()
        assert status.provisioning_state == "Failed"
        assert status.errors[0]["code"] == "ClusterDaemonNotRunning"
        again = ComputeTarget.create(ws, "cpu-cluster", AmlCompute.provisioning_configuration(
            vm_size="Standard_DS2_v2", min_nodes=0, max_nodes=2,
            idle_seconds_before_scaledown=2))
        again.wait_for_completion()
        assert again.get_status().provisioning_state == "Succeeded"
        assert again._record.state["pid"] != state["pid"]
        cluster = again
    finally:
        state = dict(cluster._record.state)
        cluster.delete()
    assert not is_alive(state["pid"], state["identity"])  # delete stopped the daemon
    assert "cpu-cluster" not in ws.compute_targets


def test_cancel_queued_run_never_starts_and_running_run_is_stopped(ws, gated, shared_target):
    src, flags = gated
    exp = Experiment(ws, "cancels")
    first = _submit(exp, src, shared_target, flags)
    wait_until(lambda: first.get_status() == "Running", 90, what="first run running")
    queued = _submit(exp, src, shared_target, flags)
    wait_until(lambda: queued.get_status() == "Queued", 30, what="second run queued")
    queued.cancel()
    assert queued.get_status() == "Canceled"
    queued.refresh()
    assert queued._record.start_time is None  # never Running

    pid = _script_pid(flags, first)
    first.cancel()  # running: the executor on the worker kills the script
    assert first.get_status() == "Canceled"
    wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie",
               10)
    assert _starts(flags, queued) == 0  # the queued run never started


def test_worker_killed_mid_run_fails_the_run_without_rerun(ws, gated, shared_target,
                                                           shared_cluster):
    src, flags = gated
    exp = Experiment(ws, "lost")
    run = _submit(exp, src, shared_target, flags)
    script = psutil.Process(_script_pid(flags, run))
    wait_until(lambda: run.get_status() == "Running", 30)
    worker = script.parent()
    assert worker.pid != shared_cluster["pid"]
    os.kill(worker.pid, signal.SIGKILL)
    details = run.wait_for_completion(wait_post_processing=True, raise_on_error=False)
    assert details["status"] == "Failed"
    assert details["error"]["error"]["code"] in ("NodeLost", "RunInterrupted")
    # The cluster replaces the node; a next run completes and the lost one never re-ran.
    (flags / "gate").touch()
    after = _submit(exp, src, shared_target, flags)
    assert after.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    assert _starts(flags, run) == 1
    assert run.get_status() == "Failed"


def test_a_wall_clock_step_fails_neither_a_live_cluster_nor_its_run(ws, gated, monkeypatch):
    src, flags = gated
    cluster = ComputeTarget.create(ws, "clock-step", AmlCompute.provisioning_configuration(
        vm_size="Standard_DS2_v2", min_nodes=0, max_nodes=1))
    try:
        cluster.wait_for_completion()
        exp = Experiment(ws, "clock-step")
        run = _submit(exp, src, cluster, flags)
        _script_pid(flags, run)
        step_wall_clock(monkeypatch, 36.0)  # as the VM's clock did while tutorials ran
        status = cluster.get_status()
        assert status.provisioning_state == "Succeeded", status.errors
        assert run.get_status() == "Running"
        (flags / "gate").touch()
        assert run.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    finally:
        cluster.delete()
