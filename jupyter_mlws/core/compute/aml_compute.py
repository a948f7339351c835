"""``AmlCompute``: a compute cluster = a Dask ``LocalCluster`` in a detached daemon that scales
between ``min_nodes`` and ``max_nodes`` one-thread workers (one run per node).

The daemon (:mod:`jupyter_mlws.execution.dask_cluster`) outlives the kernel that created the
cluster; its pid and scheduler address are kept in the asset state. It also dispatches the
cluster's runs: submitting one writes its spec into the daemon's queue folder and makes the
daemon its owner (no process is started per run). Every state read checks the
daemon is still alive, so a killed daemon shows as ``Failed`` with the reason, and
``ComputeTarget.create`` or :meth:`AmlCompute.restart` starts it again.

Scale to zero: with ``min_nodes=0`` the daemon exits once it has had no node and no run for
``idle_seconds_before_scaledown`` (v1's default, 1800 s); :meth:`AmlCompute.stop` stops it at
once. Either way the target stays ``Succeeded`` with ``status.state`` ``ScaledToZero`` or
``Stopped`` (``Running`` while the daemon runs), and the next submit starts the daemon again.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ...exceptions import ComputeTargetException
from ...execution import dask_cluster
from ...execution.dask_dispatch import enqueue, queue_lock
from ...store.liveness import owner_of, process_identity
from .attached import require_dask
from .compute_target import ComputeTarget
from .vm_sizes import DEFAULT_VM_SIZE, SizedComputeTarget, check_vm_size, memory_limit_bytes

if TYPE_CHECKING:
    from ..workspace import Workspace

LAUNCH_WAIT_SECONDS = 60.0
# daemonState of the asset state: Starting -> Running -> ScaledToZero (idle) | Stopped (stop()).
STOPPED_STATES = ("ScaledToZero", "Stopped")


@dataclass
class AmlComputeStatus:
    """v1's ``AmlComputeStatus``: node counts as the cluster's scheduler reports them."""

    provisioning_state: str
    allocation_state: str = "Steady"
    current_node_count: int = 0
    target_node_count: int = 0
    node_state_counts: dict[str, int] = field(default_factory=dict)
    scale_settings: dict[str, Any] = field(default_factory=dict)
    vm_size: str = ""
    scheduler_address: str | None = None
    errors: list[dict[str, Any]] | None = None
    # The daemon: Starting | Running | ScaledToZero | Stopped (None when provisioning failed).
    state: str | None = None

    def serialize(self) -> dict[str, Any]:
        return asdict(self)


class AmlComputeProvisioningConfiguration:
    """What ``AmlCompute.provisioning_configuration`` returns."""

    def __init__(self, vm_size: str = "", vm_priority: str = "dedicated", min_nodes: int = 0,
                 max_nodes: int | None = None, idle_seconds_before_scaledown: int | None = 1800,
                 tags: dict[str, Any] | None = None, description: str | None = None,
                 **ignored: Any) -> None:
        self.vm_size = vm_size or DEFAULT_VM_SIZE
        self.vm_priority = vm_priority
        self.min_nodes = min_nodes
        self.max_nodes = 4 if max_nodes is None else max_nodes
        self.idle_seconds_before_scaledown = (1800 if idle_seconds_before_scaledown is None
                                              else idle_seconds_before_scaledown)
        self.tags = tags
        self.description = description
        self.validate_configuration()

    def validate_configuration(self) -> None:
        for name in ("min_nodes", "max_nodes", "idle_seconds_before_scaledown"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ComputeTargetException(f"{name} must be a non-negative number, got "
                                             f"{value!r}")
        if self.max_nodes < 1 or self.min_nodes > self.max_nodes:
            raise ComputeTargetException(
                f"Need 0 <= min_nodes <= max_nodes and max_nodes >= 1, got min_nodes="
                f"{self.min_nodes}, max_nodes={self.max_nodes}")
        if self.vm_priority not in ("dedicated", "lowpriority"):
            raise ComputeTargetException("vm_priority must be 'dedicated' or 'lowpriority'")

    def _spec(self) -> dict[str, Any]:
        return {"computeType": "AmlCompute", "vmSize": self.vm_size,
                "vmPriority": self.vm_priority,
                "scaleSettings": {"minNodeCount": int(self.min_nodes),
                                  "maxNodeCount": int(self.max_nodes),
                                  "nodeIdleTimeBeforeScaleDown":
                                      float(self.idle_seconds_before_scaledown)}}

    def _create(self, workspace: Workspace, name: str) -> AmlCompute:
        require_dask()
        check_vm_size(self.vm_size)
        spec = self._spec()
        try:
            existing = ComputeTarget(workspace, name)
        except ComputeTargetException:
            existing = None
        if existing is not None:
            if not isinstance(existing, AmlCompute):
                raise ComputeTargetException(
                    f"Compute target {name!r} already exists with type {existing.type}")
            existing.refresh_state()
            if existing._record.spec == spec and existing.provisioning_state != "Failed":
                return existing  # same cluster, running: create is idempotent
            existing._stop_daemon()
            existing._delete_record()
        record = ComputeTarget._register(workspace, name, spec, {"provisioningState": "Creating"},
                                         tags=self.tags, description=self.description)
        target: AmlCompute = ComputeTarget._from_record(workspace, record)  # type: ignore
        target._start_daemon()
        return target


class AmlCompute(SizedComputeTarget):
    """A compute cluster: runs queue on it until a node is free."""

    _compute_type = "AmlCompute"

    @staticmethod
    def provisioning_configuration(vm_size: str = "", vm_priority: str = "dedicated",
                                   min_nodes: int = 0, max_nodes: int | None = None,
                                   idle_seconds_before_scaledown: int | None = 1800,
                                   **kwargs: Any) -> AmlComputeProvisioningConfiguration:
        return AmlComputeProvisioningConfiguration(
            vm_size, vm_priority, min_nodes, max_nodes, idle_seconds_before_scaledown,
            **kwargs)

    # ---- v1 attributes
    @property
    def vm_priority(self) -> str:
        return self._record.spec.get("vmPriority", "dedicated")

    @property
    def scale_settings(self) -> dict[str, Any]:
        return dict(self._record.spec.get("scaleSettings", {}))

    @property
    def status(self) -> AmlComputeStatus:
        return self.get_status()

    @property
    def _state_dir(self) -> str:
        from ..script_submit import store_settings_for_spec  # on use: loads 12 more modules

        recorded = self._record.state.get("stateDir")
        if recorded:
            return recorded
        return os.path.join(store_settings_for_spec(self._store)["home"], "compute",
                            self.workspace._record.id, self.name)

    # ---- the daemon
    @property
    def _daemon_state(self) -> str | None:
        state = self._record.state
        if self.provisioning_state == "Failed":
            return None
        # State written by earlier releases has no daemonState: a provisioned daemon runs.
        return state.get("daemonState") or (
            "Running" if self.provisioning_state == "Succeeded" else "Starting")

    def _start_daemon(self, scale_up: bool = False) -> None:
        """Launch the daemon; ``scale_up`` restarts a cluster scaled to zero (it stays
        provisioned, Succeeded, while its daemon starts)."""

        scale = self.scale_settings
        state_dir = self._state_dir
        proc = dask_cluster.launch(
            state_dir, min_nodes=scale["minNodeCount"], max_nodes=scale["maxNodeCount"],
            idle_seconds=scale["nodeIdleTimeBeforeScaleDown"],
            memory_limit=memory_limit_bytes(self.vm_size))
        self._set_state(provisioningState="Succeeded" if scale_up else "Creating",
                        daemonState="Starting", pid=proc.pid,
                        identity=process_identity(proc.pid), createTime=None,
                        host=socket.gethostname(), address=None, errors=None,
                        startedOn=time.time(), stateDir=state_dir)

    def _daemon_alive(self) -> bool | None:
        """None when the daemon runs on another host (cannot be told from here)."""
        from ...execution.dask_cluster import is_alive  # on use: loads 5 more modules

        state = self._record.state
        if state.get("host") != socket.gethostname():
            return None
        return is_alive(state.get("pid"), state.get("identity"), state.get("createTime"))

    def _stop_daemon(self) -> None:
        from ...execution.dask_cluster import stop  # on use: loads 5 more modules

        state = self._record.state
        if state.get("host") == socket.gethostname():
            stop(state.get("pid"), state.get("identity"), state.get("createTime"))

    def _reconcile(self) -> None:
        # on use: loads 5 more modules
        from ...execution.dask_cluster import log_tail, read_info, read_stopped

        state = self._record.state
        current = state.get("provisioningState")
        if current not in ("Creating", "Succeeded") or self._daemon_state in STOPPED_STATES:
            return
        stopped = read_stopped(self._state_dir)
        if stopped and stopped.get("pid") == state.get("pid"):
            # Ended cleanly (it may still be closing its nodes): scaled to zero, not failed.
            self._set_state(provisioningState="Succeeded", address=None, errors=None,
                            daemonState="ScaledToZero" if stopped.get("reason") == "idle"
                            else "Stopped", stoppedOn=stopped.get("time"))
            return
        alive = self._daemon_alive()
        if alive is False:
            tail = log_tail(self._state_dir)
            self._set_state(provisioningState="Failed", address=None, errors=[{
                "code": "ClusterDaemonNotRunning",
                "message": f"The cluster's daemon process (pid {state.get('pid')}) is not "
                           "running; restart the cluster with target.restart() or "
                           "ComputeTarget.create(...)." + (f" Last log lines:\n{tail}"
                                                           if tail else "")}])
            return
        info = read_info(self._state_dir)
        if self._daemon_state == "Starting" and info and info.get("pid") == state.get("pid"):
            self._set_state(provisioningState="Succeeded", address=info["address"],
                            daemonState="Running")

    # ---- lifecycle
    def get_status(self) -> AmlComputeStatus:
        """Provisioning state and node counts (refreshed every second by the daemon)."""
        from ...execution.dask_cluster import read_status  # on use: loads 5 more modules

        self.refresh_state()
        state = self._record.state
        daemon = self._daemon_state
        counts = (read_status(self._state_dir) or {}) if daemon == "Running" else {}
        return AmlComputeStatus(
            provisioning_state=self.provisioning_state,
            allocation_state=counts.get("allocation_state",
                                        "Resizing" if daemon == "Starting" else "Steady"),
            current_node_count=counts.get("current_node_count", 0),
            target_node_count=counts.get("target_node_count", 0),
            node_state_counts=counts.get("node_state_counts", {}),
            scale_settings=self.scale_settings, vm_size=self.vm_size,
            scheduler_address=state.get("address"), errors=self.provisioning_errors,
            state=daemon)

    def list_nodes(self) -> list[dict[str, Any]]:
        """v1's node list: ``nodeId``, ``port``, ``privateIpAddress``, ``publicIpAddress``,
        ``nodeState`` (idle/running), plus ``runIds`` (the runs on the node)."""
        from ...execution.dask_cluster import read_status  # on use: loads 5 more modules

        self.refresh_state()
        if self.provisioning_state != "Succeeded":
            return []
        return list((read_status(self._state_dir) or {}).get("nodes", []))

    def wait_for_completion(self, show_output: bool = False, min_node_count: int | None = None,
                            timeout_in_minutes: float = 25, is_delete_operation: bool = False,
                            **kwargs: Any) -> None:
        super().wait_for_completion(show_output=show_output, timeout_in_minutes=timeout_in_minutes,
                                    is_delete_operation=is_delete_operation)
        deadline = time.monotonic() + timeout_in_minutes * 60
        while min_node_count and not is_delete_operation:
            if self.get_status().current_node_count >= min_node_count:
                return
            if time.monotonic() > deadline:
                raise ComputeTargetException(
                    f"{self.name!r} did not reach {min_node_count} nodes in time")
            time.sleep(0.2)

    def restart(self) -> None:
        """Stop the daemon if it runs and start it again (e.g. after it died)."""
        self._stop_daemon()
        self._start_daemon()

    can_stop = True

    def stop(self) -> None:
        """Stop the daemon and its nodes now (queued runs fail with ``ClusterStopped``); the
        cluster stays provisioned, scaled to zero, and the next submit starts it again."""
        self.refresh_state()
        if self.provisioning_state == "Failed" or self._daemon_state in STOPPED_STATES:
            return
        pid = self._record.state.get("pid")
        # Not under the queue lock: the daemon may need it to retire while it is stopped.
        self._stop_daemon()
        self.refresh_state()
        if self._record.state.get("pid") == pid and self._daemon_state not in STOPPED_STATES:
            # Killed after the grace period, so it could not record its stop itself.
            self._set_state(provisioningState="Succeeded", daemonState="Stopped",
                            address=None, errors=None, stoppedOn=time.time())

    def update(self, min_nodes: int | None = None, max_nodes: int | None = None,
               idle_seconds_before_scaledown: int | None = None) -> None:
        """Change the scale settings; the cluster restarts with them."""
        scale = self.scale_settings
        config = AmlComputeProvisioningConfiguration(
            self.vm_size, self.vm_priority,
            scale["minNodeCount"] if min_nodes is None else min_nodes,
            scale["maxNodeCount"] if max_nodes is None else max_nodes,
            (scale["nodeIdleTimeBeforeScaleDown"] if idle_seconds_before_scaledown is None
             else idle_seconds_before_scaledown), tags=self.tags, description=self.description)
        self._record = config._create(self.workspace, self.name)._record

    def delete(self) -> None:
        """Stop the daemon (and its nodes) and remove the target."""
        self._stop_daemon()
        self._delete_record()
        shutil.rmtree(self._state_dir, ignore_errors=True)

    runs_scripts = True

    def _launch_run(self, spec: dict[str, Any], run: Any) -> None:
        """Hand the run to the cluster's daemon, its dispatcher: the daemon becomes the run's
        owner (a dead daemon fails the run) and submits it from its queue folder."""

        require_dask()
        # Under the queue lock: an idle daemon cannot retire between this check and the
        # enqueue, and one scaled to zero is started again (once, whoever submits).
        with queue_lock(self._state_dir):
            self.refresh_state()
            if self.provisioning_state == "Succeeded" and self._daemon_state in STOPPED_STATES:
                self._start_daemon(scale_up=True)
            deadline = time.monotonic() + LAUNCH_WAIT_SECONDS
            while self._daemon_state == "Starting" and time.monotonic() < deadline:
                time.sleep(0.1)
                self.refresh_state()
            self._queue_run(spec, run)

    def _queue_run(self, spec: dict[str, Any], run: Any) -> None:
        state = self._record.state
        if self.provisioning_state != "Succeeded" or not state.get("address"):
            raise ComputeTargetException(
                f"Compute cluster {self.name!r} is {self.provisioning_state}, not ready for "
                f"runs: {self.provisioning_errors or ''}")
        if state.get("host") != socket.gethostname():
            raise ComputeTargetException(
                f"Compute cluster {self.name!r} runs on host {state.get('host')!r}; submit "
                "its runs from that host (its queue is a local folder there).")
        # The owner string the daemon reports (state of earlier releases: its create time).
        if state.get("identity"):
            daemon = f"{state['host']}:{state['pid']}:{state['identity']}"
        elif state.get("createTime"):
            daemon = f"{state['host']}:{state['pid']}:{float(state['createTime']):.2f}"
        else:
            daemon = owner_of(state["pid"])
        run._store.update_run(spec["run_id"], status="Queued", owner=daemon, heartbeat=True,
                              only_if_active=True)
        enqueue(self._state_dir, spec)


__all__ = ["AmlCompute", "AmlComputeProvisioningConfiguration", "AmlComputeStatus"]
