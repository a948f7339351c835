"""An inference cluster on a team's Dask cluster: an attached ``DaskCompute`` as the
``deployment_target`` of an ``AksWebservice``. A real ``dask scheduler`` and ``dask worker``
processes on 127.0.0.1, each worker with its own local directory (standing in for machines):
replicas start on the workers' hosts, the front spreads requests, a killed replica restarts,
a worker leaving has its replica replaced elsewhere, updates fail no request, delete leaves
nothing on the workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.compute import ComputeTarget, DaskCompute
from jupyter_mlws.core.model import InferenceConfig, Model
from jupyter_mlws.core.webservice import AksWebservice, Webservice
from jupyter_mlws.exceptions import ComputeTargetException, WebserviceException
from tests.compute.conftest import kill_tree
from tests.helpers import free_port, wait_until
from tests.serving.conftest import score_script

pytest.importorskip("distributed")
pytestmark = [pytest.mark.filterwarnings("ignore::FutureWarning"), pytest.mark.timeout(400)]

BIN = Path(sys.executable).parent


class DaskCluster:
    """A scheduler and workers, each worker in a folder of its own ("a machine")."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
                    "MLWS_SERVICE_LEASE_SECONDS": "5"}
        self.workers: dict[str, subprocess.Popen] = {}
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", port,
             "--no-dashboard"], env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)

    def add_worker(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir()
        self.workers[name] = subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--nworkers", "1", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--name", name, "--local-directory",
             str(folder)], env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: name in self.names(), 90, 0.1, f"worker {name} joined")
        return folder

    def names(self) -> set[str]:
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            return {w["name"] for w in client.scheduler_info()["workers"].values()}

    def remove_worker(self, name: str) -> None:
        kill_tree(self.workers.pop(name).pid)

    def close(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            kill_tree(proc.pid)
            with contextlib.suppress(Exception):
                proc.wait(10)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    cluster = DaskCluster(tmp_path_factory.mktemp("team"))
    try:
        cluster.add_worker("w1")
        cluster.add_worker("w2")
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def target(workspace: Workspace, dask_cluster: DaskCluster) -> DaskCompute:
    return ComputeTarget.attach(workspace, "team-dask",
                                DaskCompute.attach_configuration(address=dask_cluster.address))


def _ready(service: Webservice) -> list[dict[str, Any]]:
    service.refresh()
    return [r for r in service.replicas if r["state"] == "ready"]


def _worker_of(pid: int, cluster: DaskCluster) -> str:
    """The worker whose folder the replica process works in."""
    cwd = psutil.Process(pid).cwd()
    return next(n for n in ("w1", "w2", "w3") if cwd.startswith(str(cluster.root / n) + "/"))


def _on_workers(cluster: DaskCluster) -> list[Path]:
    """The service folders on the workers in the cluster (one that left keeps its folder on
    disk; Dask purges it when a worker starts there again)."""
    return [p for name in cluster.workers
            for p in (cluster.root / name).glob("**/mlws-services/*")]


def _replica_processes(cluster: DaskCluster) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            line = " ".join(proc.info["cmdline"] or [])
            if "serving.replica" in line and str(cluster.root) in line:
                found.append(proc)
    return found


def test_replicas_on_the_workers_restart_and_delete(workspace: Workspace, model: Model,
                                                    source, deploy, target: DaskCompute,
                                                    dask_cluster: DaskCluster) -> None:
    service = deploy("svc-team", [model], source(), AksWebservice.deploy_configuration(
        num_replicas=2), target=target)
    assert isinstance(service, AksWebservice) and service.compute_target_name == "team-dask"
    assert service.state == "Healthy" and service.auth_enabled
    ready = wait_until(lambda: len(r := _ready(service)) == 2 and r, 60, 0.1, "2 replicas")
    # One replica on each worker, in that worker's folder, listening on its own port.
    assert sorted(_worker_of(r["pid"], dask_cluster) for r in ready) == ["w1", "w2"]
    assert len({r["url"] for r in ready}) == 2
    assert all(r["url"].split(":")[-1] != str(service.port) for r in ready)
    key = service.get_keys()[0]
    assert service.run({"data": [2]})["y"] == [5.0]
    assert httpx.post(service.scoring_uri, content=b'{"data": [1]}').status_code == 401
    seen: set[str] = set()
    sent = [2]

    def both_answer() -> bool:
        for _ in range(10):
            sent[0] += 1
            answer = httpx.post(service.scoring_uri, content=b'{"data": [1]}',
                                headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == 200, answer.text
            seen.add(answer.json()["replica"])
        return len(seen) == 2

    wait_until(both_answer, 60, 0, "answers from both replicas through the front")

    # The requests the replicas recorded on their workers reach the monitoring store.
    figures = wait_until(lambda: (f := service.get_service_metrics())["requests"] == sent[0]
                         and f, 60, 0.2, "the requests recorded")
    assert figures["errors"] == 0 and figures["client_errors"] == 1  # the 401
    assert sorted(figures["requests_by_replica"]) == ["r1", "r2"]

    # A replica process killed on its worker is restarted there, and counted.
    victim = ready[0]
    os.kill(victim["pid"], signal.SIGKILL)

    def restarted() -> bool:
        states = {r["id"]: r for r in _ready(service)}
        return (service.restarts == 1 and victim["id"] in states
                and states[victim["id"]]["pid"] != victim["pid"] and len(states) == 2)

    wait_until(restarted, 90, 0.1, "the killed replica restarted")
    assert service.run({"data": [3]})["y"] == [7.0]
    wait_until(lambda: service.get_service_metrics()["requests"] == sent[0] + 1, 60, 0.2,
               "the request after the restart recorded")
    logs = service.get_logs()
    assert "replica r1" in logs and "on tcp://127.0.0.1" in logs

    # A new primary key reaches the replicas on the workers.
    service.regen_key("Primary", set_key="p" * 32)
    wait_until(lambda: httpx.post(service.scoring_uri, content=b'{"data": [1]}', headers={
        "Authorization": f"Bearer {'p' * 32}"}).status_code == 200, 30, 0.1, "the new key")

    assert _on_workers(dask_cluster) and _replica_processes(dask_cluster)
    with pytest.raises(ComputeTargetException, match="still hosts service"):
        target.detach()
    service.delete()
    assert _replica_processes(dask_cluster) == []
    assert _on_workers(dask_cluster) == []
    with pytest.raises(WebserviceException, match="not found"):
        Webservice(workspace, "svc-team")


def test_worker_leaving_and_rolling_update(workspace: Workspace, model: Model, source,
                                           deploy, target: DaskCompute,
                                           dask_cluster: DaskCluster) -> None:
    dask_cluster.add_worker("w3")
    try:
        service = deploy("svc-move", [model], source(), AksWebservice.deploy_configuration(
            num_replicas=3, auth_enabled=False), target=target)
        ready = wait_until(lambda: len(r := _ready(service)) == 3 and r, 90, 0.1,
                           "3 replicas")
        placed = {r["id"]: _worker_of(r["pid"], dask_cluster) for r in ready}
        assert sorted(placed.values()) == ["w1", "w2", "w3"]
        moved = next(slot for slot, worker in placed.items() if worker == "w3")
        dask_cluster.remove_worker("w3")

        def replaced() -> bool:
            states = {r["id"]: r for r in _ready(service)}
            return (len(states) == 3 and moved in states and service.restarts >= 1
                    and _worker_of(states[moved]["pid"], dask_cluster) in ("w1", "w2"))

        wait_until(replaced, 120, 0.1, "the replica of the worker that left, replaced")
        lost = next(r for r in service.replicas if r["id"] == moved)
        assert lost["restarts"] >= 1
    finally:
        if "w3" in dask_cluster.workers:
            dask_cluster.remove_worker("w3")

    # A rolling update under load: no request fails, then only the new code answers.
    stop = threading.Event()
    failures: list[str] = []
    versions: list[str] = []

    def load() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                answer = client.post(service.scoring_uri, content=b'{"data": [1]}')
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text}")
                else:
                    versions.append(answer.json()["version"])

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(versions) > 20, 60, 0.05, "load running")
        folder = source("src-v2", score_script("v2"))
        service.update(inference_config=InferenceConfig(entry_script="score.py",
                                                        source_directory=str(folder)))
        service.wait_for_deployment()
        count = len(versions)
        wait_until(lambda: len(versions) > count + 20, 60, 0.05, "load after the update")
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert failures == []
    assert "v1" in versions and versions[-1] == "v2"
    assert set(versions[count:]) == {"v2"}
    assert len(_ready(service)) == 3
    service.delete()
    assert _replica_processes(dask_cluster) == [] and _on_workers(dask_cluster) == []


def test_autoscale_on_the_workers(workspace: Workspace, model: Model, source, deploy,
                                  target: DaskCompute, dask_cluster: DaskCluster) -> None:
    service = deploy("svc-scale", [model], source(), AksWebservice.deploy_configuration(
        autoscale_enabled=True, autoscale_min_replicas=1, autoscale_max_replicas=2,
        autoscale_refresh_seconds=0.5, autoscale_target_utilization=50,
        autoscale_scale_down_delay=1, auth_enabled=False), target=target)
    assert len(_ready(service)) == 1
    stop = threading.Event()
    failures: list[str] = []

    def load() -> None:
        # run() sleeps 50 ms: the replicas are busy (by their request records) without CPU.
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                answer = client.post(service.scoring_uri,
                                     content=b'{"data": [1], "sleep": 0.05}')
                if answer.status_code != 200:
                    failures.append(answer.text)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(_ready(service)) == 2, 120, 0.2, "scaled up to the maximum")
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    wait_until(lambda: len(_ready(service)) == 1 and len(service.replicas) == 1, 120, 0.2,
               "scaled down to the minimum")
    assert failures == []


def test_a_killed_daemon_leaves_nothing_on_the_workers(workspace: Workspace, model: Model,
                                                       source, deploy, target: DaskCompute,
                                                       dask_cluster: DaskCluster) -> None:
    service = deploy("svc-orphan", [model], source(), AksWebservice.deploy_configuration(
        num_replicas=2, auth_enabled=False), target=target)
    assert len(_ready(service)) == 2 and _replica_processes(dask_cluster)
    os.kill(service._record.state["pid"], signal.SIGKILL)  # no drain, no release
    # The workers end the service once its lease (5 s here) runs out.
    wait_until(lambda: not _replica_processes(dask_cluster) and not _on_workers(dask_cluster),
               60, 0.2, "the orphaned replicas ended by their workers")
    service.refresh()
    assert service.state == "Failed" and "not running" in service.error["message"]
    service.delete()


def test_target_must_be_an_inference_cluster(workspace: Workspace, model: Model, source,
                                             deploy) -> None:
    from jupyter_mlws.core.compute import AksCompute

    with pytest.raises(ComputeTargetException, match=r"DaskCompute\.attach_configuration"):
        AksCompute.attach_configuration(cluster_name="k8s")
    with pytest.raises(WebserviceException, match="an attached DaskCompute"):
        deploy("svc-bad-target", [model], source(), AksWebservice.deploy_configuration(),
               target=workspace)


def test_a_replica_over_memory_gb_is_killed_by_its_worker_and_restarted(
        workspace: Workspace, model: Model, source, deploy, target: DaskCompute) -> None:
    text = ("import json\nhog = []\ndef init():\n    pass\n"
            "def run(raw):\n    hog.append(b'x' * (json.loads(raw)['grow'] << 20))\n"
            "    return len(hog)\n")
    service = deploy("svc-hog", [model], source(text=text), AksWebservice.deploy_configuration(
        num_replicas=1, memory_gb=0.2, auth_enabled=False), target=target)
    assert service.run({"grow": 1}) == 1
    pid = _ready(service)[0]["pid"]
    # Over 0.2 GB now: the worker may kill it before or after it answers.
    with contextlib.suppress(WebserviceException):
        service.run({"grow": 300})
    wait_until(lambda: (r := _ready(service)) and r[0]["pid"] != pid
               and service.restarts == 1, 60, 0.1, "the replica over memory_gb restarted")
    assert "OOMKilled" in service.get_logs()
    assert service.run({"grow": 1}) == 1  # a fresh process


def test_a_failing_init_on_the_workers_fails_the_deployment(workspace: Workspace,
                                                            model: Model, source, deploy,
                                                            target: DaskCompute,
                                                            dask_cluster: DaskCluster) -> None:
    text = "def init():\n    raise ValueError('no model here')\ndef run(raw):\n    return 1\n"
    service = deploy("svc-bad-init", [model], source(text=text),
                     AksWebservice.deploy_configuration(num_replicas=1), target=target,
                     wait=False)
    with pytest.raises(WebserviceException, match="init\\(\\) failed") as caught:
        service.wait_for_deployment()
    assert "ValueError: no model here" in str(caught.value)  # the worker's log tail
    assert service.state == "Failed"
    assert "no model here" in service.get_logs()
    service.delete()
    assert _replica_processes(dask_cluster) == [] and _on_workers(dask_cluster) == []


def test_unreachable_scheduler_fails_the_deployment(workspace: Workspace, model: Model,
                                                   source, deploy,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLWS_DASK_CONNECT_TIMEOUT", "1s")  # inherited by the daemon
    gone = ComputeTarget.attach(workspace, "gone",
                                DaskCompute.attach_configuration("tcp://127.0.0.1:9"))
    service = deploy("svc-gone", [model], source(), AksWebservice.deploy_configuration(),
                     target=gone, wait=False)
    with pytest.raises(WebserviceException, match="Could not connect to the Dask scheduler"):
        service.wait_for_deployment()
    assert service.state == "Failed"


async def test_team_service_over_rest(api: Any, workspace: Workspace, model: Model, source,
                                      deploy, target: DaskCompute,
                                      dask_cluster: DaskCluster) -> None:
    ws = workspace._record.id
    service = await asyncio.to_thread(
        deploy, "svc-team-rest", [model], source(),
        AksWebservice.deploy_configuration(num_replicas=1), target=target)
    one = await api("GET", f"/workspaces/{ws}/services/svc-team-rest")
    assert one["state"] == "Healthy" and one["scoring_uri"] == service.scoring_uri
    answer = await api("POST", f"/workspaces/{ws}/services/svc-team-rest/score",
                       body=json.dumps({"data": [4]}))
    assert answer["status"] == 200 and json.loads(answer["body"])["y"] == [9.0]
    assert await asyncio.to_thread(_replica_processes, dask_cluster)
    await api("DELETE", f"/workspaces/{ws}/services/svc-team-rest", expect=204)
    assert await asyncio.to_thread(_replica_processes, dask_cluster) == []
    assert _on_workers(dask_cluster) == []
