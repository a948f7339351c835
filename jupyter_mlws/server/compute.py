"""Server services of the compute rows of the table: compute targets with their status, the
registered and built environments, and submitting script runs.

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
from ..core.compute import ComputeTarget
from ..core.environment import Environment
from ..core.experiment import Experiment
from ..core.identity import acting_as
from ..core.script_run_config import ScriptRunConfig
from ..core.workspace import Workspace
from ..exceptions import ComputeTargetException
from ..execution.environments import list_built
from ..store.base import AssetRecord, Store
from ..store.settings import mlws_home
from .base import ApiError

if TYPE_CHECKING:
    from .routes import OperationHandler

ENVIRONMENT_KIND = "environment"  # the asset kind core.environment registers under


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


def list_computes(store: Store, workspace_id: str) -> dict[str, Any]:
    workspace = Workspace._from_record(store, store.get_workspace_by_id(workspace_id))
    return {"computes": [compute_summary(t) for t in ComputeTarget.list(workspace)]}


def environment_summary(record: AssetRecord) -> dict[str, Any]:
    spec = record.spec or {}
    python = spec.get("python") or {}
    return {"name": record.name, "version": record.version,
            "description": record.description, "tags": dict(record.tags),
            "labels": list((record.state or {}).get("labels", [])),
            "created_time": record.created_time,
            "user_managed_dependencies": bool(python.get("userManagedDependencies", False)),
            "definition": spec}


def list_environments(store: Store, workspace_id: str, all_versions: bool) -> dict[str, Any]:
    store.get_workspace_by_id(workspace_id)  # 404 for an unknown workspace, not []
    records = store.list_assets(workspace_id, ENVIRONMENT_KIND, latest_only=not all_versions)
    return {"environments": [environment_summary(r) for r in records]}


def built_environments(home: str) -> dict[str, Any]:
    """The uv-built environments under ``home``: one small marker file read per environment,
    never a walk of the environment's files (sizes are ``mlws env inspect``'s business)."""
    return {"environments": [
        {"hash": b.get("hash"), "path": b.get("path"), "interpreter": b.get("interpreter"),
         "spec": b.get("spec") or {}, "created_time": b.get("created_time"),
         "last_used_time": b.get("last_used_time")} for b in list_built(home)]}


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
    workspace = Workspace._from_record(store, store.get_workspace_by_id(workspace_id))
    target = ComputeTarget(workspace, name)
    if not target.can_stop:
        raise ComputeTargetException(f"Compute target {name!r} ({target.type}) cannot be "
                                     "stopped")
    target.stop()
    return compute_summary(target)


def submit_script_run(store: Store, workspace_id: str, root_dir: str, body: Any,
                      identity: str = "") -> Any:
    """Submit the body's script run; ``identity`` (the server's user) is its submittedBy."""
    workspace = Workspace._from_record(store, store.get_workspace_by_id(workspace_id))
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


async def stop_compute_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(stop_compute, request.params["workspace_id"],
                                    request.params["compute_name"])


async def environments_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(list_environments, request.params["workspace_id"],
                                    request.query.all_versions)  # type: ignore[union-attr]


async def built_environments_service(handler: OperationHandler, request: Request) -> Any:
    # The home alone, not the store: opening the store (migrations) made this route, often a
    # client's first request, slow enough to time out.
    home = handler.mlws.home or str(mlws_home())
    return await handler.call(built_environments, home)


async def submit_service(handler: OperationHandler, request: Request) -> Any:
    root = handler.settings.get("server_root_dir") or os.getcwd()
    return await handler.call_store(submit_script_run, request.params["workspace_id"], root,
                                    request.body, handler.identity)


__all__ = ["built_environments", "compute_summary", "confine_source", "environment_summary",
           "list_computes", "list_environments", "stop_compute", "submit_script_run"]
