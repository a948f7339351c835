"""Inference clusters (AksCompute) and AksWebservice: replicas sharing one port, a killed
replica restarted and counted, autoscaling between min and max on load, capacity; drift of
collected inputs."""

from __future__ import annotations

import collections
import json
import os
import signal
import threading
import time

import httpx
import numpy as np
import pandas as pd
import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.compute import AksCompute, ComputeTarget
from jupyter_mlws.core.drift import drift_report
from jupyter_mlws.core.model import Model
from jupyter_mlws.core.webservice import AksWebservice, Webservice
from jupyter_mlws.exceptions import ComputeTargetException, WebserviceException
from tests.helpers import wait_until

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture
def cluster(workspace: Workspace) -> AksCompute:
    target = ComputeTarget.create(workspace, "aks-1", AksCompute.provisioning_configuration(
        agent_count=2, vm_size="Standard_D2_v2"))
    target.wait_for_completion()
    return target


def _ready(service: Webservice) -> int:
    service.refresh()
    return sum(1 for r in service.replicas if r["state"] == "ready")


def test_cluster_shape_and_errors(workspace: Workspace, cluster: AksCompute, model: Model,
                                  source, deploy) -> None:
    assert isinstance(ComputeTarget(workspace, "aks-1"), AksCompute)
    assert cluster.provisioning_state == "Succeeded" and cluster.capacity_cores() == 4.0
    with pytest.raises(WebserviceException, match="needs deployment_target"):
        deploy("svc-no-target", [model], source(), AksWebservice.deploy_configuration())
    # 2 nodes x 2 cores: a service whose minimum replicas need 6 cores cannot be placed.
    with pytest.raises(WebserviceException, match="Unschedulable"):
        deploy("svc-too-big", [model], source("src1"), AksWebservice.deploy_configuration(
            num_replicas=3, cpu_cores=2), target=cluster)
    with pytest.raises(WebserviceException, match="more than autoscale_max"):
        AksWebservice.deploy_configuration(autoscale_min_replicas=3, autoscale_max_replicas=2)
    service = deploy("svc-on-aks", [model], source("src2"), AksWebservice.deploy_configuration(
        num_replicas=1, auth_enabled=False), target=cluster)
    assert service.compute_target_name == "aks-1"
    # AKS's own paths answer too.
    base = service.scoring_uri.rsplit("/", 1)[0]
    answer = httpx.post(f"{base}/api/v1/service/svc-on-aks/score", content=b'{"data": [2]}')
    assert answer.json()["y"] == [5.0]
    with pytest.raises(ComputeTargetException, match="still hosts service"):
        cluster.delete()


def test_replicas_share_the_port_and_a_killed_one_restarts(workspace: Workspace,
                                                           cluster: AksCompute, model: Model,
                                                           source, deploy) -> None:
    service = deploy("svc-replicas", [model], source(), AksWebservice.deploy_configuration(
        num_replicas=2), target=cluster)
    assert service.auth_enabled  # AKS's default
    assert wait_until(lambda: _ready(service) == 2, 60, 0.1, "2 ready replicas")
    pids = {r["id"]: r["pid"] for r in service.replicas}
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)

    def restarted() -> bool:
        service.refresh()
        states = {r["id"]: r for r in service.replicas}
        return (service.restarts == 1 and states[victim]["restarts"] == 1
                and states[victim]["pid"] not in (None, pids[victim]) and _ready(service) == 2)

    wait_until(restarted, 60, 0.1, "the killed replica restarted")
    assert service.run({"data": [1]})["y"] == [3.0]
    figures = service.get_service_metrics()
    assert figures["errors"] == 0
    # Both replicas answer on the one port (new connections spread over them).
    seen = set()
    key = service.get_keys()[0]

    def both_answer() -> bool:
        for _ in range(20):
            seen.add(httpx.post(service.scoring_uri, content=b'{"data": [1], "sleep": 0.01}',
                                headers={"Authorization": f"Bearer {key}"}).json()["replica"])
        return len(seen) == 2

    wait_until(both_answer, 60, 0, "answers from both replicas")


def test_autoscale_between_min_and_max(workspace: Workspace, cluster: AksCompute,
                                       model: Model, source, deploy) -> None:
    service = deploy("svc-scale", [model], source(), AksWebservice.deploy_configuration(
        autoscale_enabled=True, autoscale_min_replicas=1, autoscale_max_replicas=3,
        autoscale_refresh_seconds=0.5, autoscale_target_utilization=50,
        autoscale_scale_down_delay=1, auth_enabled=False), target=cluster)
    assert _ready(service) == 1
    stop = threading.Event()
    failures: list[str] = []
    answered_by: collections.Counter[str] = collections.Counter()

    def load() -> None:
        # Each request sleeps 50 ms in run(): the replicas are busy without needing CPU.
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                response = client.post(service.scoring_uri,
                                       content=b'{"data": [1], "sleep": 0.05}')
                if response.status_code != 200:
                    failures.append(response.text)
                else:
                    answered_by[response.json()["replica"]] += 1

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: _ready(service) == 3, 120, 0.2, "scaled up to the maximum")
        # Keep-alive connections are recycled, so the load spreads onto the new replicas.
        wait_until(lambda: len(answered_by) == 3, 60, 0.1, "answers from the 3 replicas")
        assert _ready(service) == 3  # never above the maximum
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    wait_until(lambda: _ready(service) == 1 and len(service.replicas) == 1, 120, 0.2,
               "scaled down to the minimum")
    assert failures == []

    def recorded() -> dict[str, int]:
        return service.get_service_metrics()["requests_by_replica"]

    # A replica's last records reach the monitoring store a moment after it stopped (its
    # final flush, then the daemon's next read): wait for every answered request to count.
    wait_until(lambda: all(recorded().get(replica, 0) >= answered
                           for replica, answered in answered_by.items()), 60, 0.2,
               "every answered request recorded under its replica")
    series = service.get_service_metrics()
    assert series["requests"] >= sum(answered_by.values()) and series["errors"] == 0
    assert len(series["requests_by_replica"]) >= 3


def test_drift_of_collected_inputs(workspace: Workspace, cluster: AksCompute, model: Model,
                                   source, deploy) -> None:
    rng = np.random.default_rng(12)
    baseline = pd.DataFrame({"x": rng.normal(0, 1, 2000), "z": rng.uniform(0, 10, 2000),
                             "color": rng.choice(["red", "green", "blue"], 2000)})
    text = ("def init():\n    pass\n"
            "def run(raw):\n    return {'n': 1}\n")
    service = deploy("svc-drift", [model], source(text=text),
                     AksWebservice.deploy_configuration(num_replicas=1, auth_enabled=False,
                                                        collect_model_data=True),
                     target=cluster)

    def send(frame: pd.DataFrame) -> None:
        for start in range(0, len(frame), 25):
            rows = frame.iloc[start:start + 25][["x", "z", "color"]].values.tolist()
            assert service.run(json.dumps({"data": rows})) == {"n": 1}

    same = pd.DataFrame({"x": rng.normal(0, 1, 500), "z": rng.uniform(0, 10, 500),
                         "color": rng.choice(["red", "green", "blue"], 500)})
    send(same)
    report = wait_until(lambda: (r := service.get_drift(baseline)).rows_current == 500 and r,
                        60, 0.5, "500 collected rows")
    assert not report.drifted, report.to_dict()
    cut = time.time()  # every row so far is in files that end before this
    shifted = pd.DataFrame({"x": rng.normal(1.5, 1, 500), "z": rng.uniform(0, 10, 500),
                            "color": rng.choice(["red", "blue"], 500, p=[0.9, 0.1])})
    send(shifted)
    later = wait_until(lambda: (r := service.get_drift(baseline, since=cut)).rows_current
                       >= 500 and r, 60, 0.5, "the shifted rows collected")
    assert later.drifted_features == ["x", "color"], later.to_dict()
    whole = service.get_drift(baseline)
    assert whole.rows_current == 1000 and whole.drifted


def test_drift_report_on_frames() -> None:
    rng = np.random.default_rng(3)
    base = pd.DataFrame({"a": rng.normal(0, 1, 3000), "k": rng.choice(list("abc"), 3000)})
    same = pd.DataFrame({"a": rng.normal(0, 1, 3000), "k": rng.choice(list("abc"), 3000)})
    moved = pd.DataFrame({"a": rng.normal(0.5, 1, 3000),
                          "k": rng.choice(list("abcd"), 3000, p=[0.1, 0.1, 0.1, 0.7])})
    assert not drift_report(base, same).drifted
    report = drift_report(base, moved)
    assert report.drifted_features == ["a", "k"]
    by_name = {f["feature"]: f for f in report.features}
    assert by_name["a"]["test"] == "ks" and by_name["a"]["statistic"] > 0.15
    assert by_name["k"]["test"] == "chi2" and by_name["k"]["psi"] > 0.2
    with pytest.raises(Exception, match="DataFrame or a tabular dataset"):
        drift_report([1, 2], same)
