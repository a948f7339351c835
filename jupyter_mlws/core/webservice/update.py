"""Changing a deployed service: a new generation (models, code, environment, settings) that
the daemon rolls out without failing a request, a scale change in place, or deletion."""

from __future__ import annotations

import contextlib
import os
import time
from typing import TYPE_CHECKING, Any

from ...exceptions import WebserviceException
from . import registry
from .deploy import SNAPSHOT_HINT, build_deployment, check_models, public, start_daemon

if TYPE_CHECKING:
    from .webservice import Webservice

# Settings the daemon applies to a running generation without restarting replicas.
IN_PLACE = frozenset({"replicas"})


def _current(service: Webservice) -> dict[str, Any]:
    from ...execution.serving import control

    if not service._local:
        raise WebserviceException(f"Service {service.name!r} runs on host "
                                  f"{service._record.state.get('host')!r}; change it there")
    deployment = control.read_deployment(service._state_dir)
    if deployment is None:
        raise WebserviceException(f"Service {service.name!r} has no deployment on this host "
                                  f"({service._state_dir}); deploy it again with overwrite=True")
    return deployment


def _resnapshot(service: Webservice, deployment: dict[str, Any]) -> str:
    """The source folder stored again (reload)."""
    from ..snapshot import collect_for_store

    folder = deployment["source_directory"]
    if not os.path.isdir(folder):
        raise WebserviceException(f"Cannot reload service {service.name!r}: its source folder "
                                  f"{folder} no longer exists")
    script = os.path.join(folder, *deployment["entry_script"].split("/"))
    if not os.path.isfile(script):
        raise WebserviceException(f"Cannot reload service {service.name!r}: the entry script "
                                  f"{script} no longer exists")
    store = service.workspace._store
    files = collect_for_store(store, folder, SNAPSHOT_HINT)
    return store.create_snapshot(service.workspace._record.id, files).id


def redeploy(service: Webservice, *, models: Any, inference_config: Any,
             config_changes: dict[str, Any], reload: bool, tags: dict[str, Any] | None,
             properties: dict[str, Any] | None, description: str | None) -> None:
    from ...execution.serving import control

    workspace = service.workspace
    service.refresh()
    current = _current(service)
    new = dict(current)
    if models is not None:
        new["models"] = check_models(workspace, models)
    if inference_config is not None:
        rebuilt = build_deployment(workspace, service.name, new["models"], inference_config,
                                   _config_of(current), current.get("computeTarget"),
                                   current["generation"], current["run_id"])
        for key in ("environment", "environment_variables", "environment_name",
                    "environment_version", "snapshot_id", "entry_script", "source_directory",
                    "entry_script_name"):
            new[key] = rebuilt[key]
    elif reload:
        new["snapshot_id"] = _resnapshot(service, current)
    new.update(config_changes)
    if new.get("auth_enabled") and not control.read_keys(service._state_dir):
        control.write_keys(service._state_dir, {"primaryKey": control.new_key(),
                                                "secondaryKey": control.new_key()})
    changed = {k for k in new if new.get(k) != current.get(k)}
    daemon_alive = control.is_alive(service._record.state.get("pid"),
                                    service._record.state.get("identity"))
    if changed - IN_PLACE or reload or not daemon_alive:
        new["generation"] = int(current["generation"]) + 1
    state: dict[str, Any] = {"deployment": public(new), "generation": new["generation"]}
    for key, value in (("tags", tags), ("properties", properties)):
        if value is not None:
            state[key] = {str(k): "" if v is None else str(v) for k, v in value.items()}
    if description is not None:
        state["description"] = description
    if new["generation"] != current["generation"]:
        state["state"] = "Transitioning"
    registry.set_state(workspace, service.name, **state)
    if daemon_alive:
        control.write_deployment(service._state_dir, new)
    else:
        start_daemon(workspace, service.name, service._state_dir, new)
    service.refresh()


def _config_of(deployment: dict[str, Any]) -> Any:
    from .configs import DeploymentConfiguration

    config = DeploymentConfiguration()
    config.compute_type = deployment.get("compute_type", "")
    return config


def delete(service: Webservice) -> None:
    from ...execution.serving import control

    workspace = service.workspace
    record = service._record
    if service._local:
        registry.set_state(workspace, service.name, state="Deleting")
        control.stop(record.state.get("pid"), record.state.get("identity"))
    elif record.state.get("pid"):
        raise WebserviceException(f"Service {service.name!r} runs on host "
                                  f"{record.state.get('host')!r}; delete it there")
    with contextlib.suppress(Exception):
        workspace._store.update_run(service.run_id, status="Completed", only_if_active=True)
    with contextlib.suppress(Exception):
        workspace._store.delete_asset(workspace._record.id, registry.ASSET_KIND, service.name)
    if service._local:
        control.remove(service._state_dir)
    service._status = None
    service._record.state["state"] = "Deleted"
    service._record.state["deletedOn"] = time.time()


__all__ = ["delete", "redeploy"]
