"""Server services of the compute rows of the table: compute targets (listed with their
status, created, shown with their nodes, stopped, deleted) and submitting script runs.

Submitting goes through the SDK (``Experiment.submit(ScriptRunConfig)``), the one place runs
are validated, snapshotted and launched; the service only confines the source folder to the
server's ``root_dir``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from ..api.operation import Request
from ..core.compute import AmlCompute, ComputeInstance, ComputeTarget
from ..core.environment import Environment
from ..core.experiment import Experiment
from ..core.identity import acting_as
from ..core.script_run_config import ScriptRunConfig
from ..core.workspace import Workspace
from ..exceptions import ComputeTargetException
from ..store.base import Store
from .base import ApiError

if TYPE_CHECKING:
    from .routes import OperationHandler

def compute_summary(target: Any) -> dict[str, Any]:
    """One target as the API lists it: name, type, provisioning state and live status."""
    try:
        status = target.get_status()
    except Exception as exc:  # one broken target must not hide the others
        status = {"provisioning_state": "Failed",
                  "errors": [{"code": type(exc).__name__, "message": str(exc)}]}
    if is_dataclass(status) and not isinstance(status, type):
        status = asdict(status)
    elif not isinstance(status, dict):
        status = {"provisioning_state": str(status)}
    status = {("provisioning_state" if k == "provisioningState" else k): v
              for k, v in status.items()}
    record = target._record
    return {"name": target.name, "type": target.type,
            "provisioning_state": status.get("provisioning_state", target.provisioning_state),
            "status": status, "spec": dict(record.spec), "created_time": record.created_time,
            "description": record.description, "tags": dict(record.tags)}


def _workspace(store: Store, workspace_id: str) -> Workspace:
    return Workspace._from_record(store, store.get_workspace_by_id(workspace_id))


def list_computes(store: Store, workspace_id: str) -> dict[str, Any]:
    return {"computes": [compute_summary(t) for t in ComputeTarget.list(
        _workspace(store, workspace_id))]}


def create_compute(store: Store, workspace_id: str, body: Any) -> dict[str, Any]:
    """A cluster (AmlCompute) or an instance (ComputeInstance), created through the SDK."""

    workspace = _workspace(store, workspace_id)
    if body.name in {t.name for t in ComputeTarget.list(workspace)}:
        raise ApiError(409, f"Compute target {body.name} already exists.", "Conflict")
    config = (AmlCompute.provisioning_configuration(
        vm_size=body.vm_size, min_nodes=body.min_nodes, max_nodes=body.max_nodes,
        idle_seconds_before_scaledown=body.idle_seconds_before_scaledown,
        description=body.description) if body.type == "AmlCompute" else
        ComputeInstance.provisioning_configuration(vm_size=body.vm_size,
                                                   description=body.description))
    return compute_summary(ComputeTarget.create(workspace, body.name, config))


def compute_details(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    """A target's summary with its nodes (clusters: v1's list_nodes())."""
    target = ComputeTarget(_workspace(store, workspace_id), name)
    summary = compute_summary(target)
    nodes = getattr(target, "list_nodes", None)
    summary["nodes"] = nodes() if callable(nodes) else []
    return summary


def delete_compute(store: Store, workspace_id: str, name: str) -> None:
    ComputeTarget(_workspace(store, workspace_id), name).delete()


def confine_source(root_dir: str, value: str) -> str:
    """``value`` (relative to ``root_dir``, or absolute) as a real folder inside it."""
    if "\x00" in value:
        raise ApiError(400, "'source_directory' must not contain NUL characters.")
    root = os.path.realpath(root_dir)
    path = os.path.realpath(os.path.join(root, value))
    if os.path.commonpath([root, path]) != root:
        raise ApiError(400, "'source_directory' must be inside the server's root directory.")
    if not os.path.isdir(path):
        raise ApiError(400, f"'source_directory' {value!r} is not a folder.")
    return path


def stop_compute(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    """Stop a cluster's daemon (scaled to zero; the next submit starts it again) or an
    instance; other targets cannot be stopped (400)."""
    target = ComputeTarget(_workspace(store, workspace_id), name)
    if not target.can_stop:
        raise ComputeTargetException(f"Compute target {name!r} ({target.type}) cannot be "
                                     "stopped")
    target.stop()
    return compute_summary(target)


def submit_script_run(store: Store, workspace_id: str, root_dir: str, body: Any,
                      identity: str = "") -> Any:
    """Submit the body's script run; ``identity`` (the server's user) is its submittedBy."""
    workspace = _workspace(store, workspace_id)
    folder = confine_source(root_dir, body.source_directory)
    environment = body.environment
    env = (Environment.get(workspace, environment.name, environment.version)
           if environment is not None else None)
    config = ScriptRunConfig(folder, body.script, arguments=list(body.arguments),
                             compute_target=body.compute_target, environment=env)
    with acting_as(identity) if identity else contextlib.nullcontext():
        return Experiment(workspace, body.experiment).submit(config, tags=body.tags)._record


# ---- the services, as routes.py calls them


async def computes_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(list_computes, request.params["workspace_id"])


async def create_compute_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(create_compute, request.params["workspace_id"],
                                    request.body)


async def get_compute_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(compute_details, request.params["workspace_id"],
                                    request.params["compute_name"])


async def delete_compute_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(delete_compute, request.params["workspace_id"],
                                    request.params["compute_name"])


async def stop_compute_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(stop_compute, request.params["workspace_id"],
                                    request.params["compute_name"])


async def submit_service(handler: OperationHandler, request: Request) -> Any:
    root = handler.settings.get("server_root_dir") or os.getcwd()
    return await handler.call_store(submit_script_run, request.params["workspace_id"], root,
                                    request.body, handler.identity)


__all__ = ["compute_details", "compute_summary", "confine_source", "create_compute",
           "delete_compute", "list_computes", "stop_compute", "submit_script_run"]
