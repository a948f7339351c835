"""Compute targets of a workspace (with their status) and submitting script runs to them.

Submitting goes through the SDK (``Experiment.submit(ScriptRunConfig)``), the one place runs
are validated, snapshotted and launched; the handler only parses, confines the source folder
to the server's ``root_dir`` and authorizes.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..exceptions import AzureMLException, ComputeTargetException
from ..store.base import StoreError
from .authz import MlwsResource
from .base import (
    ApiError,
    MlwsHandler,
    bad_request,
    check_experiment_name,
    check_fields,
    check_id,
    check_str,
    store_error_to_http,
)

T = TypeVar("T")
_SUBMIT_FIELDS = {"experiment", "source_directory", "script", "arguments", "compute_target",
                  "environment", "tags"}
MAX_ARGUMENTS = 256


def compute_summary(target: Any) -> dict[str, Any]:
    """One target as the API lists it: name, type, provisioning state and live status."""
    try:
        status = target.get_status()
    except Exception as exc:  # one broken target must not hide the others
        status = {"provisioning_state": "Failed",
                  "errors": [{"code": type(exc).__name__, "message": str(exc)}]}
    if hasattr(status, "serialize"):
        status = status.serialize()
    elif not isinstance(status, dict):
        status = {"provisioning_state": str(status)}
    status = {("provisioning_state" if k == "provisioningState" else k): v
              for k, v in status.items()}
    record = target._record
    return {"name": target.name, "type": target.type,
            "provisioning_state": status.get("provisioning_state", target.provisioning_state),
            "status": status, "spec": dict(record.spec), "created_time": record.created_time,
            "description": record.description, "tags": dict(record.tags)}


async def call_sdk(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking SDK call off the event loop; its errors become HTTP errors."""
    try:
        return await asyncio.to_thread(fn, *args)
    except StoreError as exc:
        raise store_error_to_http(exc) from exc
    except ComputeTargetException as exc:
        status = 404 if str(exc).startswith("ComputeTargetNotFound") else 400
        raise ApiError(status, str(exc)) from exc
    except AzureMLException as exc:
        raise bad_request(str(exc)) from exc


def _workspace(store: Any, record: Any) -> Any:
    from ..core.workspace import Workspace

    return Workspace._from_record(store, record)


class ComputeStopHandler(MlwsHandler):
    """``POST .../computes/{name}/stop``: stop a cluster's daemon (scaled to zero; the next
    submit starts it again) or an instance; other targets cannot be stopped (400)."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        check_id(name, "compute name")
        self.authorize("execute", MlwsResource("compute", workspace_id, name))
        record = await self.load_workspace(workspace_id)

        def stop() -> dict[str, Any]:
            from ..core.compute import ComputeTarget

            target = ComputeTarget(_workspace(self.store, record), name)
            if not callable(getattr(target, "stop", None)):
                raise ComputeTargetException(
                    f"Compute target {name!r} ({target.type}) cannot be stopped")
            target.stop()
            return compute_summary(target)

        self.send_json(await call_sdk(stop))


class ComputesHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("compute", workspace_id))
        record = await self.load_workspace(workspace_id)

        def listing() -> list[dict[str, Any]]:
            from ..core.compute import ComputeTarget

            return [compute_summary(t)
                    for t in ComputeTarget.list(_workspace(self.store, record))]

        self.send_json({"computes": await call_sdk(listing)})

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        """Create a cluster (AmlCompute) or an instance (ComputeInstance) through the SDK."""
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, _CREATE_FIELDS)
        name = check_str(body, "name", required=True, max_length=24) or ""
        if not COMPUTE_NAME_RE.match(name):
            raise bad_request("Invalid compute name: 2-24 letters, digits or '-', starting "
                              "with a letter.")
        kind = check_str(body, "type", max_length=32) or "AmlCompute"
        if kind not in CREATABLE:
            raise bad_request(f"'type' must be one of {', '.join(CREATABLE)}.")
        vm_size = check_str(body, "vm_size", max_length=64) or ""
        description = check_str(body, "description", max_length=1024)
        min_nodes = _int_field(body, "min_nodes", 0, 64)
        max_nodes = _int_field(body, "max_nodes", 4, 64)
        idle = _int_field(body, "idle_seconds_before_scaledown", 1800, 7 * 86400)
        if min_nodes is not None and max_nodes is not None and min_nodes > max_nodes:
            raise bad_request("'min_nodes' must not exceed 'max_nodes'.")
        self.authorize("write", MlwsResource("compute", workspace_id, name))
        record = await self.load_workspace(workspace_id)

        def create() -> dict[str, Any]:
            from ..core.compute import AmlCompute, ComputeInstance, ComputeTarget

            ws = _workspace(self.store, record)
            if name in {t.name for t in ComputeTarget.list(ws)}:
                raise ApiError(409, f"Compute target {name} already exists.", "Conflict")
            config = (AmlCompute.provisioning_configuration(
                vm_size=vm_size, min_nodes=min_nodes, max_nodes=max_nodes,
                idle_seconds_before_scaledown=idle, description=description)
                if kind == "AmlCompute" else
                ComputeInstance.provisioning_configuration(vm_size=vm_size,
                                                           description=description))
            return compute_summary(ComputeTarget.create(ws, name, config))

        self.send_json(await call_sdk(create), status=201)


_CREATE_FIELDS = {"name", "type", "vm_size", "min_nodes", "max_nodes",
                  "idle_seconds_before_scaledown", "description"}
COMPUTE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,23}$")  # v1: 2-24, letter first
CREATABLE = ("AmlCompute", "ComputeInstance")


def _int_field(body: dict[str, Any], name: str, default: int | None, maximum: int) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise bad_request(f"'{name}' must be an integer in [0, {maximum}].")
    return value


def _target(store: Any, record: Any, name: str) -> Any:
    from ..core.compute import ComputeTarget

    return ComputeTarget(_workspace(store, record), name)


def compute_details(target: Any) -> dict[str, Any]:
    """A target's summary with its nodes (clusters: v1's list_nodes())."""
    summary = compute_summary(target)
    nodes = getattr(target, "list_nodes", None)
    summary["nodes"] = nodes() if callable(nodes) else []
    return summary


class ComputeHandler(MlwsHandler):
    """One target: details with nodes, delete (the cluster's daemon and nodes stop)."""

    async def _load(self, workspace_id: str, name: str, action: str) -> tuple[Any, Any]:
        check_id(workspace_id, "workspace id")
        check_id(name, "compute name")
        self.authorize(action, MlwsResource("compute", workspace_id, name))
        return await self.load_workspace(workspace_id), name

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        record, name = await self._load(workspace_id, name, "read")
        self.send_json(await call_sdk(lambda: compute_details(_target(self.store, record, name))))

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str, name: str) -> None:
        record, name = await self._load(workspace_id, name, "delete")
        await call_sdk(lambda: _target(self.store, record, name).delete())
        self.set_status(204)
        self.finish()


def confine_source(root_dir: str, value: str) -> str:
    """``value`` (relative to ``root_dir``, or absolute) as a real folder inside it."""
    if "\x00" in value:
        raise bad_request("'source_directory' must not contain NUL characters.")
    root = os.path.realpath(root_dir)
    path = os.path.realpath(os.path.join(root, value))
    if os.path.commonpath([root, path]) != root:
        raise bad_request("'source_directory' must be inside the server's root directory.")
    if not os.path.isdir(path):
        raise bad_request(f"'source_directory' {value!r} is not a folder.")
    return path


class ScriptRunSubmitHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, _SUBMIT_FIELDS)
        experiment = check_experiment_name(check_str(body, "experiment", required=True) or "")
        script = check_str(body, "script", required=True, max_length=1024) or ""
        source = check_str(body, "source_directory", required=True) or ""
        target = check_str(body, "compute_target", max_length=255) or "local"
        arguments = body.get("arguments") or []
        if not isinstance(arguments, list) or len(arguments) > MAX_ARGUMENTS or not all(
                isinstance(a, (str, int, float)) and not isinstance(a, bool)
                for a in arguments):
            raise bad_request("'arguments' must be a list of strings or numbers.")
        environment = body.get("environment")
        if environment is not None and (
                not isinstance(environment, dict) or set(environment) - {"name", "version"}
                or not isinstance(environment.get("name"), str)
                or not isinstance(environment.get("version"), (str, int, type(None)))):
            raise bad_request("'environment' must be {\"name\": str, \"version\": str|int}.")
        tags = body.get("tags")
        if tags is not None and not (isinstance(tags, dict) and all(
                isinstance(v, str) for v in tags.values())):
            raise bad_request("'tags' must map names to strings.")
        self.authorize("execute", MlwsResource("run", workspace_id))
        record = await self.load_workspace(workspace_id)
        folder = confine_source(self.settings.get("server_root_dir") or os.getcwd(), source)

        def submit() -> Any:
            from ..core.environment import Environment
            from ..core.experiment import Experiment
            from ..core.script_run_config import ScriptRunConfig

            ws = _workspace(self.store, record)
            env = (Environment.get(ws, environment["name"], environment.get("version"))
                   if environment else None)
            config = ScriptRunConfig(folder, script, arguments=arguments,
                                     compute_target=target, environment=env)
            return Experiment(ws, experiment).submit(config, tags=tags)._record

        self.send_json(await call_sdk(submit), status=201)


__all__ = ["ComputeHandler", "ComputeStopHandler", "ComputesHandler", "ScriptRunSubmitHandler",
           "compute_details", "compute_summary", "confine_source"]
