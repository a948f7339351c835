"""Compute clusters do not live forever: with min_nodes=0 an idle daemon exits after
idle_seconds_before_scaledown (the cluster reads as scaled to zero, not failed), stop() stops
it at once, and the next submit starts it again transparently."""

from __future__ import annotations

import pytest

from jupyter_mlws.core import ComputeTarget, Experiment, ScriptRunConfig
from jupyter_mlws.core.compute import AmlCompute
from jupyter_mlws.execution.dask_cluster import is_alive
from tests.helpers import wait_until

pytestmark = pytest.mark.timeout(240)

QUICK = "from jupyter_mlws.core import Run\nRun.get_context().log('done', 1)\n"


@pytest.fixture
def quick(make_source):
    return make_source(files={"train.py": QUICK})


def _cluster(ws, name, **scale):
    cluster = ComputeTarget.create(ws, name, AmlCompute.provisioning_configuration(
        vm_size="Standard_DS2_v2", max_nodes=1, **scale))
    cluster.wait_for_completion()
    return cluster


def _run_once(exp, src, cluster):
    run = exp.submit(ScriptRunConfig(src, "train.py", compute_target=cluster))
    assert run.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    assert run.get_metrics() == {"done": 1}
    return run


def test_v1_default_idle_time():
    config = AmlCompute.provisioning_configuration(vm_size="Standard_DS2_v2")
    assert config.idle_seconds_before_scaledown == 1800 and config.min_nodes == 0


def test_an_idle_cluster_scales_to_zero_and_the_next_submit_restarts_it(ws, quick):
    cluster = _cluster(ws, "to-zero", min_nodes=0, idle_seconds_before_scaledown=1)
    try:
        exp = Experiment(ws, "to-zero")
        _run_once(exp, quick, cluster)
        first = dict(cluster._record.state)
        # Nodes retire, then the daemon itself exits: stopped, not "not running".
        status = wait_until(lambda: (s := cluster.get_status()).state == "ScaledToZero" and s,
                            90, 0.2, "the daemon scaled to zero")
        assert status.provisioning_state == "Succeeded" and not status.errors
        assert status.current_node_count == 0 and status.scheduler_address is None
        wait_until(lambda: not is_alive(first["pid"], first["identity"]), 30,
                   what="the daemon process gone")
        # The next submit starts a daemon again, transparently.
        _run_once(exp, quick, cluster)
        cluster.refresh_state()
        assert cluster._record.state["pid"] != first["pid"]
        assert cluster.get_status().provisioning_state == "Succeeded"
    finally:
        cluster.delete()


def test_stop_stops_the_daemon_now_and_a_submit_starts_it_again(ws, quick):
    cluster = _cluster(ws, "stoppable", min_nodes=0)  # v1's 30 min idle time
    try:
        state = dict(cluster._record.state)
        assert cluster.get_status().state == "Running"
        cluster.stop()
        assert not is_alive(state["pid"], state["identity"])
        status = cluster.get_status()
        assert (status.provisioning_state, status.state) == ("Succeeded", "Stopped")
        assert not status.errors
        cluster.stop()  # stopping a stopped cluster is a no-op
        _run_once(Experiment(ws, "stoppable"), quick, cluster)
        assert cluster.get_status().state == "Running"
    finally:
        cluster.delete()
