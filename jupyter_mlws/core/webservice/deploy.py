"""``Model.deploy`` and every later change of a service's deployment (update, reload): build
the deployment the daemon runs, store it, start the daemon or hand it a new generation.

A deployment is stored twice: ``deployment.json`` in the service's state folder
(``<MLWS_HOME>/services/<workspace id>/<name>``, 0600: it carries the store's settings, which
may hold a server token) for the daemon, and its public part in the service asset's state.
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
import warnings
from typing import TYPE_CHECKING, Any

from ...exceptions import WebserviceException
from ...execution.serving import control
from ...store.base import ConflictError
from ..identity import current_identity
from ..inference_config import InferenceConfig as Config
from ..model import Model
from ..names import validate_webservice_name
from ..script_submit import store_settings_for_spec
from ..snapshot import collect_for_store
from . import registry
from .configs import (
    AciServiceDeploymentConfiguration,
    AksServiceDeploymentConfiguration,
    DeploymentConfiguration,
)
from .webservice import Webservice

if TYPE_CHECKING:
    from ..inference_config import InferenceConfig
    from ..workspace import Workspace
    from .webservice import Webservice

MONITORING_EXPERIMENT = "webservices"
SERVICE_RUN_TYPE = "mlws.webservice"
HOST = "127.0.0.1"
SNAPSHOT_HINT = "or deploy from a smaller source_directory (the limit is 25 MB)."


def check_models(workspace: Workspace, models: Any) -> list[dict[str, Any]]:
    if isinstance(models, Model):
        models = [models]
    if not isinstance(models, (list, tuple)) or not models:
        raise WebserviceException("models must be a non-empty list of Model objects")
    found = []
    for model in models:
        if not isinstance(model, Model):
            raise WebserviceException(f"Not a Model: {model!r}")
        Model._get_record(workspace, model.name, model.version)  # still registered
        found.append({"name": model.name, "version": model.version})
    names = [m["name"] for m in found]
    if len(set(names)) != len(names):
        raise WebserviceException("A service takes one version of each model")
    return found


def _config_for(deployment_config: Any, deployment_target: Any) -> DeploymentConfiguration:
    if deployment_config is None:
        deployment_config = (AksServiceDeploymentConfiguration() if deployment_target
                             is not None else AciServiceDeploymentConfiguration())
    if not isinstance(deployment_config, DeploymentConfiguration):
        raise WebserviceException(
            f"{type(deployment_config).__name__} is not a deployment configuration; use "
            "LocalWebservice/AciWebservice/AksWebservice.deploy_configuration(...)")
    is_aks = isinstance(deployment_config, AksServiceDeploymentConfiguration)
    if is_aks and deployment_target is None:
        raise WebserviceException("An AksWebservice deployment needs deployment_target: an "
                                  "inference cluster (AksCompute)")
    if deployment_target is not None and not is_aks:
        raise WebserviceException("deployment_target is only for AksWebservice "
                                  "configurations (an inference cluster)")
    if deployment_target is not None and getattr(deployment_target, "type", None) not in (
            "AKS", "Dask"):
        raise WebserviceException(f"deployment_target must be an inference cluster: an "
                                  f"AksCompute, or an attached DaskCompute (the replicas "
                                  f"run on its workers), got {type(deployment_target).__name__}")
    return deployment_config


def build_deployment(workspace: Workspace, name: str, models: list[dict[str, Any]],
                     inference_config: InferenceConfig, config: DeploymentConfiguration,
                     target_name: str | None, generation: int, run_id: str) -> dict[str, Any]:
    """Everything the daemon needs for one generation (the source folder is stored as a
    snapshot now, so later edits do not leak into a running service)."""
    from ...execution.environments import check_buildable  # on use: loads 4 more modules

    if not isinstance(inference_config, Config):
        raise WebserviceException(
            "Deploying without an InferenceConfig (v1's no-code deployment) is not available "
            "here; give InferenceConfig(entry_script='score.py', environment=...)")
    inference_config.validate_configuration()
    environment = inference_config._environment()
    env_spec = environment._build_spec()
    store = workspace._store
    settings = store_settings_for_spec(store)
    if env_spec.get("type") == "uv":
        check_buildable(env_spec, settings["home"])
    files = collect_for_store(store, inference_config.source_folder(), SNAPSHOT_HINT)
    snapshot = store.create_snapshot(workspace._record.id, files)
    return {"generation": generation, "service": name, "workspace_id": workspace._record.id,
            "store": settings, "run_id": run_id, "compute_type": config.compute_type,
            "computeTarget": target_name, "host": HOST, "port": config.port or 0,
            "environment": env_spec,
            "environment_variables": dict(environment.environment_variables or {}),
            "environment_name": environment.name, "environment_version": environment.version,
            "snapshot_id": snapshot.id, "entry_script": inference_config.script_relative(),
            "source_directory": inference_config.source_folder(),
            "entry_script_name": inference_config.entry_script,
            "models": models, "replicas": config.replicas(),
            "auth_enabled": config.auth_enabled,
            "collect_model_data": config.collect_model_data,
            "memory_gb": config.memory_gb, "cpu_cores": config.cpu_cores,
            "config": config.serialize()}


def public(deployment: dict[str, Any]) -> dict[str, Any]:
    """The deployment without the store settings (they may hold a token)."""
    return {k: v for k, v in deployment.items() if k not in ("store",)}


def _check_capacity(workspace: Workspace, target: Any, replicas: dict[str, Any],
                    cpu_cores: float | None, exclude: str) -> None:
    """An inference cluster has agent_count x the VM size's cores: a service whose minimum
    replicas do not fit next to the others is refused (v1's Unschedulable)."""
    capacity = target.capacity_cores() if hasattr(target, "capacity_cores") else None
    if not capacity or not cpu_cores:
        return
    used = 0.0
    for record in registry.services_on(workspace, target.name):
        if record.name == exclude:
            continue
        other = record.state.get("deployment") or {}
        used += float(other.get("cpu_cores") or 0) * int((other.get("replicas") or {})
                                                         .get("min", 1))
    wanted = float(cpu_cores) * int(replicas.get("min", 1))
    if used + wanted > capacity:
        raise WebserviceException(
            f"Unschedulable: the service needs {wanted:g} cores ({replicas.get('min', 1)} "
            f"replica(s) x {cpu_cores:g}) and inference cluster {target.name!r} has "
            f"{capacity - used:g} of {capacity:g} left")


def deploy(workspace: Workspace, name: str, models: Any, inference_config: Any,
           deployment_config: Any, deployment_target: Any, *, overwrite: bool = False,
           show_output: bool = False) -> Webservice:

    validate_webservice_name(name)
    warnings.warn("Model.deploy follows SDK v1; the service runs as processes on this machine "
                  "(no Docker).", FutureWarning, stacklevel=3)
    found_models = check_models(workspace, models)
    config = _config_for(deployment_config, deployment_target)
    config.validate_configuration()
    target_name = getattr(deployment_target, "name", None)
    existing = registry.get_record(workspace, name)
    if existing is not None:
        if not overwrite:
            raise WebserviceException(
                f"Service {name!r} already exists in workspace {workspace.name!r}; pass "
                "overwrite=True to replace it, or call service.update(...)")
        Webservice(workspace, name).delete()
    if deployment_target is not None:
        _check_capacity(workspace, deployment_target, config.replicas(), config.cpu_cores, name)
    if config.port and not control.port_free(HOST, config.port):
        raise WebserviceException(f"Port {config.port} is already in use on this machine; "
                                  "choose another (deploy_configuration(port=...)) or stop "
                                  "what uses it")
    store = workspace._store
    run_id = f"service_{name}_{uuid.uuid4().hex[:12]}"
    deployment = build_deployment(workspace, name, found_models, inference_config, config,
                                  target_name, 1, run_id)
    if getattr(deployment_target, "type", None) == "Dask":
        deployment["dask_address"] = deployment_target.address  # replicas on its workers
    state_dir = control.state_dir(deployment["store"]["home"], workspace._record.id, name)
    spec = {"computeType": config.compute_type, "createdBy": current_identity()}
    state = {"state": "Transitioning", "error": None, "deployment": public(deployment),
             "generation": 1, "stateDir": str(state_dir), "runId": run_id,
             "host": socket.gethostname(), "tags": _strings(config.tags),
             "properties": _strings(config.properties),
             "description": config.description or "", "createdOn": time.time()}
    try:
        workspace._call_store(store.register_asset, workspace._record.id,
                              registry.ASSET_KIND, name, spec, new_version=False, state=state)
    except ConflictError as exc:
        raise WebserviceException(f"Service {name!r} is being created by someone else") from exc
    try:
        _monitoring_run(workspace, name, run_id, config.compute_type)
        if config.auth_enabled:
            control.write_deployment(state_dir, deployment)  # the folder, private, first
            control.write_keys(state_dir, {
                "primaryKey": config.primary_key or control.new_key(),
                "secondaryKey": config.secondary_key or control.new_key()})
        start_daemon(workspace, name, state_dir, deployment)
    except BaseException:
        _discard(workspace, name, state_dir, run_id)
        raise
    service = Webservice(workspace, name)
    if show_output:
        service.wait_for_deployment(show_output=True)
    return service


def _strings(values: dict[str, Any] | None) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in (values or {}).items()}


def _monitoring_run(workspace: Workspace, name: str, run_id: str, compute_type: str) -> None:
    store = workspace._store
    experiment = workspace._call_store(store.get_or_create_experiment, workspace._record.id,
                                       MONITORING_EXPERIMENT)
    # No owner: the run stays Running while the service exists, whatever happens to the
    # daemon (which restarts); delete() completes it.
    store.create_run(workspace._record.id, experiment.id, run_id=run_id, status="Running",
                     run_type=SERVICE_RUN_TYPE, display_name=name,
                     properties={"mlws.service": name, "mlws.computeType": compute_type,
                                 "mlws.submittedBy": current_identity()})


def start_daemon(workspace: Workspace, name: str, state_dir: Any,
                 deployment: dict[str, Any]) -> None:

    control.write_deployment(state_dir, deployment)
    proc = control.launch(state_dir)
    registry.set_state(workspace, name, pid=proc.pid, identity=control.identity_of(proc.pid),
                       host=socket.gethostname(), state="Transitioning", error=None,
                       daemonStartedOn=time.time())


def _discard(workspace: Workspace, name: str, state_dir: Any, run_id: str) -> None:
    """Undo a deployment that could not start."""


    record = registry.get_record(workspace, name)
    if record is not None:
        control.stop(record.state.get("pid"), record.state.get("identity"))
        with contextlib.suppress(Exception):
            workspace._store.delete_asset(workspace._record.id, registry.ASSET_KIND, name)
    with contextlib.suppress(Exception):
        workspace._store.update_run(run_id, status="Failed", only_if_active=True, error={
            "error": {"code": "DeploymentFailed", "message": "the service could not start"}})
    control.remove(state_dir)


__all__ = ["HOST", "MONITORING_EXPERIMENT", "SERVICE_RUN_TYPE", "build_deployment",
           "check_models", "deploy", "public", "start_daemon"]
