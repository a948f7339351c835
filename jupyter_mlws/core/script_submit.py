"""Submitting a ``ScriptRunConfig``: validate, snapshot, create the run, launch.

Local runs (target ``"local"``) get a detached supervisor process
(:mod:`jupyter_mlws.execution.supervisor`). Any other target is resolved to a compute target
object whose ``_launch_run(spec, run)`` starts the same executor spec elsewhere (Dask...).
"""

from __future__ import annotations

import os
import shutil
import warnings
from typing import TYPE_CHECKING, Any

from ..exceptions import ComputeTargetException, SnapshotException
from .compute.compute_target import ComputeTarget
from .runconfig import target_name
from .script_run_config import (
    LOCAL_SNAPSHOT_MAX_BYTES,
    SCRIPT_RUN_TYPE,
    LocalSnapshotTooLargeException,
    new_run_id,
    submitted_by,
)
from .status import RunStatus

if TYPE_CHECKING:
    from .script_run import ScriptRun
    from .script_run_config import ScriptRunConfig
    from .workspace import Workspace

SNAPSHOT_HINT = ("or submit a smaller source_directory (the local limit is 25 MB, as in v1).")


def store_settings_for_spec(store: Any) -> dict[str, str]:
    """The executor spec's ``store``: the submitting SDK's own settings, so the run records
    where the SDK does (through the same server when it talks to one)."""
    settings = getattr(store, "settings", None)
    if settings is None:
        from ..store.settings import StoreSettings

        settings = StoreSettings.resolve()
    result = {"home": str(settings.home), "database_url": settings.database_url,
              "storage_root": str(settings.storage_root)}
    if settings.tracking_uri:
        result["tracking_uri"] = settings.tracking_uri
        if settings.token:
            # Only in the spec file (0600, removed when the run ends) and the script's
            # environment; never in the run's definition, logs or snapshot.
            result["token"] = settings.token
    return result


def _resolve_target(workspace: Workspace, target: Any) -> Any:
    """None for local; else an object with ``_launch_run`` (a compute target)."""
    name = target_name(target)
    if name == "local":
        return None
    # A target object as given, else the stored one (its class from the compute registry).
    resolved = target if isinstance(target, ComputeTarget) else ComputeTarget(workspace, name)
    if not resolved.runs_scripts:
        raise ComputeTargetException(f"Compute target {name!r} cannot run scripts")
    return resolved


def submit(config: ScriptRunConfig, workspace: Workspace, experiment_name: str,
           **kwargs: Any) -> ScriptRun:
    from ..store.snapshots import create_snapshot
    from .experiment import Experiment
    from .git_info import git_properties
    from .script_run import ScriptRun
    from .snapshot import collect_for_store

    config._validate()
    run_config = config.run_config
    remote = _resolve_target(workspace, run_config.target)
    env_spec = run_config.environment._build_spec()  # raises for untranslatable packages
    if env_spec.get("type") == "uv":
        from ..execution.environments import check_buildable

        # A Python that is not installed fails now, before a run or a build exists.
        check_buildable(env_spec, store_settings_for_spec(workspace._store)["home"])
    if run_config.docker.use_docker or run_config.environment.docker.enabled:
        warnings.warn("Docker is not used by the local executor: the run uses the "
                      "environment's Python directly", UserWarning, stacklevel=3)
    store = workspace._store
    try:
        files = collect_for_store(store, config.source_directory, SNAPSHOT_HINT,
                                  max_bytes=LOCAL_SNAPSHOT_MAX_BYTES)
    except SnapshotException as exc:
        raise LocalSnapshotTooLargeException(str(exc)) from exc

    experiment = Experiment(workspace, experiment_name)
    data, data_properties = _bind_data(config, workspace)
    run_id = new_run_id(experiment_name)
    settings = store_settings_for_spec(store)
    run_dir = os.path.join(settings["home"], "runs", run_id)
    workdir = None if remote is not None else os.path.join(run_dir, "wd")
    # Stored before the run exists (a failure leaves no run behind). One read of each file
    # feeds both the snapshot and the local working copy, so the script runs exactly the
    # snapshot's bytes even if a file changes meanwhile.
    try:
        snapshot = create_snapshot(store, workspace._record.id, files,
                                   copy_to=None if workdir is None else workdir + ".partial")
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    properties = {"azureml.runsource": SCRIPT_RUN_TYPE, "mlws.submittedBy": submitted_by(),
                  "ContentSnapshotId": snapshot.id, **git_properties(config.source_directory),
                  **data_properties}
    properties = {k: v for k, v in properties.items() if v}
    try:
        record = workspace._call_store(
            store.create_run, workspace._record.id, experiment._record.id, run_id=run_id,
            status=RunStatus.NOT_STARTED, run_type=SCRIPT_RUN_TYPE,
            target=target_name(run_config.target), properties=properties,
            run_definition=run_config._serialize())
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    run = ScriptRun._from_record(experiment, record)
    try:
        # The run's own credential (valid while it is active): it reads the workspace's
        # secrets and, through a server, records the run. Never the submitter's token.
        submitter = properties.get("mlws.submittedBy", "")
        run_token = store.mint_run_token(run_id, submitter)
        if settings.get("tracking_uri"):
            settings = {**settings, "token": run_token}
        spec: dict[str, Any] = {
            "run_id": run_id, "workspace_id": workspace._record.id,
            "workspace_name": workspace._record.name,
            "subscription_id": workspace._record.subscription_id,
            "resource_group": workspace._record.resource_group,
            "experiment_name": experiment_name, "store": settings,
            "snapshot_id": snapshot.id, "command": config._command(),
            "environment": env_spec,
            "environment_variables": {**run_config.environment.environment_variables,
                                      **run_config.environment_variables,
                                      # who acts inside the run (core/identity.py)
                                      "MLWS_SUBMITTED_BY": submitted_by()},
            "max_run_duration_seconds": run_config.max_run_duration_seconds,
            "run_token": run_token, "submitted_by": submitter,
        }
        if data is not None:
            spec["data"] = data
        # One write: the snapshot and Starting (before the supervisor can write Running).
        store.update_run(run_id, status=RunStatus.STARTING, snapshot_id=snapshot.id,
                         only_if_active=True)
        if remote is not None:
            remote._launch_run(spec, run)
        else:
            assert workdir is not None
            os.makedirs(workdir + ".partial", exist_ok=True)  # an empty source folder
            os.replace(workdir + ".partial", workdir)
            spec["working_directory"] = workdir
            _launch_local(spec, run_dir, store)
    except BaseException as exc:
        store.update_run(run_id, status=RunStatus.FAILED, only_if_active=True, error={
            "error": {"code": "SubmitFailed", "message": f"{type(exc).__name__}: {exc}"}})
        raise
    run.refresh()
    return run


def _bind_data(config: ScriptRunConfig, workspace: Workspace) -> tuple[Any, dict[str, str]]:
    """Dataset inputs and outputs of the run, before the run exists (bad ones raise)."""
    run_config = config.run_config
    plain = (str, int, float, bool, type(None))
    if (all(isinstance(a, plain) for a in config.arguments or [])
            and not run_config.data and not run_config.output_data):
        return None, {}  # the usual case: no data module to import
    from ..data._run_bindings import bind

    return bind(config, workspace)


def _launch_local(spec: dict[str, Any], run_dir: str, store: Any) -> None:
    from ..execution.supervisor import launch
    from ..store.liveness import owner_of

    proc = launch(spec, run_dir)
    try:
        # Owned by the supervisor from now on, even before it reports in: if it dies early,
        # the store's liveness check fails the run instead of leaving it Starting forever.
        store.update_run(spec["run_id"], owner=owner_of(proc.pid), heartbeat=True)
    except Exception:
        if proc.poll() is None:  # the supervisor took ownership itself already; fine
            return
        raise


__all__ = ["submit"]
