"""Attached compute: an existing Dask scheduler, reached by address (v1's attach pattern).

``DaskCompute.attach_configuration(address="tcp://127.0.0.1:8786")`` +
``ComputeTarget.attach(ws, name, config)``. The scheduler and its workers must be able to import
this same ``jupyter_mlws`` (the task function and its arguments are unpickled there). Also home
of :func:`launch_on_dask`, which compute clusters use too.
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import TYPE_CHECKING, Any

from ...exceptions import ComputeTargetException
from ...store.liveness import owner_of
from ..webservice.registry import services_on
from .compute_target import ComputeTarget

if TYPE_CHECKING:
    from ..workspace import Workspace

DASK_EXTRA_HINT = ("Dask is not installed: compute clusters and attached Dask schedulers need "
                   "the optional extra, install it with: pip install 'jupyter_mlws[dask]'")
_ADDRESS_RE = re.compile(r"^(tcp|tls|ws|wss|inproc|ucx)://[^\s/]+$")


def require_dask() -> None:
    """A clear error naming the extra when ``distributed`` is missing."""

    if importlib.util.find_spec("distributed") is None:
        raise ComputeTargetException(DASK_EXTRA_HINT)


def launch_on_dask(address: str, spec: dict[str, Any], run: Any) -> None:
    """Start the run's Dask supervisor, which submits ``spec`` to the scheduler at
    ``address``; the run is owned by that supervisor from now on."""
    from ...execution.dask_launch import launch  # on use: execution only when a run is launched
    from ..script_submit import store_settings_for_spec  # on use: script_submit pulls environments

    require_dask()
    store = run._store
    run_dir = os.path.join(store_settings_for_spec(store)["home"], "runs", spec["run_id"])
    proc = launch(spec, address, run_dir)
    try:
        store.update_run(spec["run_id"], owner=owner_of(proc.pid), heartbeat=True)
    except Exception:
        if proc.poll() is None:  # the supervisor took ownership itself already
            return
        raise


class DaskAttachConfiguration:
    """What ``DaskCompute.attach_configuration`` returns."""

    def __init__(self, address: str) -> None:
        if not isinstance(address, str) or not _ADDRESS_RE.match(address):
            raise ComputeTargetException(
                f"Invalid Dask scheduler address {address!r}: expected e.g. "
                "'tcp://127.0.0.1:8786'")
        self.address = address

    def validate_configuration(self) -> None:
        """Checked in the constructor already; kept for v1 compatibility."""

    def _attach(self, workspace: Workspace, name: str) -> DaskCompute:
        require_dask()
        record = ComputeTarget._register(
            workspace, name, {"computeType": "Dask", "address": self.address},
            {"provisioningState": "Succeeded"})
        return ComputeTarget._from_record(workspace, record)  # type: ignore[return-value]


class DaskCompute(ComputeTarget):
    """An attached Dask scheduler; runs become Dask tasks there."""

    _compute_type = "Dask"

    @staticmethod
    def attach_configuration(address: str = "tcp://127.0.0.1:8786") -> DaskAttachConfiguration:
        return DaskAttachConfiguration(address)

    @property
    def address(self) -> str:
        return self._record.spec["address"]

    def get_status(self, timeout: str = "3s") -> dict[str, Any]:
        """Reachability and worker count of the scheduler (one connection attempt of at most
        ``timeout``, so listings stay responsive)."""
        require_dask()
        from distributed import Client  # optional: distributed is the [dask] extra

        try:
            with Client(self.address, timeout=timeout, set_as_default=False) as client:
                workers = client.scheduler_info()["workers"]
                busy = sum(1 for n in client.processing().values() if n)
        except Exception as exc:
            return {"provisioningState": "Failed", "address": self.address,
                    "errors": [{"code": "SchedulerUnreachable",
                                "message": f"{type(exc).__name__}: {exc}"}]}
        return {"provisioningState": "Succeeded", "address": self.address,
                "currentNodeCount": len(workers), "targetNodeCount": len(workers),
                "nodeStateCounts": {"idle": len(workers) - busy, "running": busy},
                "errors": None}

    def detach(self) -> None:
        """Forget the target; the scheduler itself is left running. Refused while services
        run their replicas on it (their names are given)."""
        services = [r.name for r in services_on(self.workspace, self.name)]
        if services:
            raise ComputeTargetException(
                f"Dask cluster {self.name!r} still hosts service(s) {', '.join(services)}; "
                "delete them first")
        self._delete_record()

    delete = detach

    runs_scripts = True

    def _launch_run(self, spec: dict[str, Any], run: Any) -> None:
        launch_on_dask(self.address, spec, run)


__all__ = ["DaskAttachConfiguration", "DaskCompute", "launch_on_dask", "require_dask"]
