"""Fixtures of the compute tests: the shared workspace (tests/conftest.py) with an isolated
Jupyter data dir, one cluster daemon per module, and Dask processes cleaned up by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_fetch for the REST tests)

from jupyter_mlws.core import Workspace
from tests.helpers import free_port, wait_until

BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _isolated_jupyter_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Kernelspecs of compute instances go here, never into the user's Jupyter data dir.
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))


@pytest.fixture
def workspace_name() -> str:
    return "computews"  # kernelspec names and titles carry it


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    return workspace


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every descendant (collected first, so none is missed)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return
    for member in family:
        with contextlib.suppress(psutil.Error):
            member.send_signal(signal.SIGKILL)
    psutil.wait_procs(family, timeout=10)


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One cluster daemon (1 node, so a second run queues) for the tests of a module."""
    from jupyter_mlws.execution import dask_cluster

    state_dir = tmp_path_factory.mktemp("cluster")
    proc = dask_cluster.launch(state_dir, min_nodes=1, max_nodes=1, idle_seconds=60)
    try:
        info = wait_until(lambda: dask_cluster.read_info(state_dir), 90, 0.1, "cluster start")
        wait_until(lambda: (dask_cluster.read_status(state_dir) or {}).get(
            "current_node_count") == 1, 90, 0.1, "first node")
        yield {**info, "state_dir": str(state_dir)}
    finally:
        kill_tree(proc.pid)
        proc.wait(10)


def use_cluster(workspace: Workspace, cluster: dict[str, Any], name: str = "shared") -> Any:
    """Register ``cluster`` (the shared daemon) as an AmlCompute target of ``workspace``."""
    from jupyter_mlws.core.compute import ComputeTarget

    workspace._store.register_asset(
        workspace._record.id, "compute", name,
        {"computeType": "AmlCompute", "vmSize": "Standard_DS2_v2", "vmPriority": "dedicated",
         "scaleSettings": {"minNodeCount": 1, "maxNodeCount": 1,
                           "nodeIdleTimeBeforeScaleDown": 60.0}},
        new_version=False, state={
            "provisioningState": "Succeeded", "pid": cluster["pid"],
            "identity": cluster["identity"], "host": cluster["host"],
            "address": cluster["address"], "stateDir": cluster["state_dir"]})
    return ComputeTarget(workspace, name)


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """A real ``dask scheduler`` and ``dask worker`` (1 thread) on 127.0.0.1."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    procs = [subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)]
    try:
        procs.append(subprocess.Popen(
            [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True))
        from distributed import Client

        with Client(address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(1, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            kill_tree(proc.pid)
            proc.wait(10)


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}}}


@pytest.fixture
def shared_target(ws: Workspace, shared_cluster: dict[str, Any]) -> Any:
    """The shared cluster as a target of this test's workspace, once its node is free again
    (an earlier test's run may still be finishing, or its lost node being replaced)."""
    from jupyter_mlws.execution import dask_cluster

    def idle() -> bool:
        status = dask_cluster.read_status(shared_cluster["state_dir"]) or {}
        return (status.get("dispatched_runs") == 0 and status.get("current_node_count") == 1
                and status.get("node_state_counts", {}).get("running") == 0)

    wait_until(idle, 120, 0.1, "the shared cluster idle")
    return use_cluster(ws, shared_cluster)


@pytest.fixture
def kill() -> Callable[[int], None]:
    return kill_tree
