"""``ScriptRunConfig`` and how ``experiment.submit(config)`` starts a script run (v1 section 5).

Submitting validates everything first (source folder, script, environment, snapshot size), so a
mistake raises before any run exists. It then creates the run (``NotStarted``, type
``azureml.scriptrun``, id ``<experiment>_<unix seconds>_<8 hex>``), stores the snapshot, copies
the source folder to the run's working copy, writes the executor spec and starts a detached
supervisor (``Starting``), and returns a :class:`ScriptRun` at once.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings
from typing import TYPE_CHECKING, Any

from ..exceptions import ExperimentExecutionException, SnapshotException, UserErrorException
from .environment import Environment, default_environment
from .experiment import experiment_method
from .identity import current_identity
from .runconfig import RunConfiguration, target_name

if TYPE_CHECKING:
    from .script_run import ScriptRun
    from .workspace import Workspace

# v1's limit for the local project copy of a submitted run.
LOCAL_SNAPSHOT_MAX_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_RUN_DURATION_SECONDS = 2592000
SCRIPT_RUN_TYPE = "azureml.scriptrun"


class LocalSnapshotTooLargeException(ExperimentExecutionException, SnapshotException):
    """The source folder exceeds the local submit limits (catchable as either v1 name)."""


def submit_script_run(config: ScriptRunConfig, workspace: Workspace, experiment_name: str,
                      **kwargs: Any) -> ScriptRun:
    """The submit function ``ScriptRunConfig`` registers with ``Experiment.submit``."""
    from .script_submit import submit

    return submit(config, workspace, experiment_name, **kwargs)


class ScriptRunConfig:
    """What to run (a script with arguments, or a command), where, and with which Python."""

    MAX_DURATION_SECONDS_DEFAULT = DEFAULT_MAX_RUN_DURATION_SECONDS

    @experiment_method(submit_function=submit_script_run)
    def __init__(self, source_directory: str | os.PathLike, script: str | None = None,
                 arguments: list[Any] | None = None, run_config: RunConfiguration | None = None,
                 _telemetry_values: Any = None, compute_target: Any = None,
                 environment: Environment | None = None, distributed_job_config: Any = None,
                 resume_from: Any = None,
                 max_run_duration_seconds: int | None = DEFAULT_MAX_RUN_DURATION_SECONDS,
                 command: str | list[str] | None = None,
                 docker_runtime_config: Any = None) -> None:
        if script and command:
            raise UserErrorException("ScriptRunConfig takes either script (with arguments) or "
                                     "command, not both")
        if command is not None and arguments:
            raise UserErrorException("arguments go with script; put them in the command "
                                     "instead")
        if run_config is None:
            run_config = RunConfiguration()
            run_config.target = compute_target or "local"
            run_config.environment = environment or default_environment()
            run_config.max_run_duration_seconds = max_run_duration_seconds
            if distributed_job_config is not None:
                run_config.framework = distributed_job_config.framework
                run_config.communicator = distributed_job_config.communicator
                run_config.node_count = distributed_job_config.node_count
            if docker_runtime_config is not None:
                run_config.docker = docker_runtime_config
        else:
            ignored = [name for name, value in (
                ("compute_target", compute_target), ("environment", environment),
                ("distributed_job_config", distributed_job_config),
                ("docker_runtime_config", docker_runtime_config)) if value is not None]
            if max_run_duration_seconds not in (None, DEFAULT_MAX_RUN_DURATION_SECONDS):
                ignored.append("max_run_duration_seconds")
            if ignored:
                warnings.warn(f"With run_config given, {', '.join(ignored)} are ignored; set "
                              "them on the run configuration", UserWarning, stacklevel=2)
        script = script or run_config.script
        command = command or run_config.command
        arguments = list(arguments) if arguments is not None else list(run_config.arguments)
        if resume_from is not None:
            arguments += ["--resume-from", str(resume_from)]
        run_config.script, run_config.arguments, run_config.command = script, arguments, command
        self.source_directory = os.fspath(source_directory) if source_directory else "."
        self.script = script
        self.arguments = arguments
        self.command = command
        self.run_config = run_config
        self.distributed_job_config = distributed_job_config

    def _command(self) -> list[str]:
        """argv of the run; ``python`` is replaced by the environment's interpreter."""
        if self.command:
            if isinstance(self.command, str):
                return ["/bin/sh", "-c", self.command]
            return [str(part) for part in self.command]
        return ["python", self.script or "", *[str(a) for a in self.arguments]]

    def _validate(self) -> None:
        """Raise UserErrorException for anything that would fail the run at once."""
        source = self.source_directory
        if not os.path.isdir(source):
            raise UserErrorException(f"source_directory {source!r} does not exist or is not a "
                                     "folder")
        if not self.script and not self.command:
            raise UserErrorException("ScriptRunConfig needs a script or a command to run")
        if self.script:
            if os.path.isabs(self.script):
                raise UserErrorException(f"script {self.script!r} must be relative to "
                                         f"source_directory {source!r}")
            if not os.path.isfile(os.path.join(source, self.script)):
                raise UserErrorException(f"script {self.script!r} was not found in "
                                         f"source_directory {os.path.abspath(source)!r}")
        if target_name(self.run_config.target) in ("", None):
            raise UserErrorException("compute_target must not be empty")

    def __repr__(self) -> str:
        what = self.command if self.command else f"{self.script} {self.arguments}"
        return (f"ScriptRunConfig(source_directory={self.source_directory!r}, {what}, "
                f"target={target_name(self.run_config.target)!r})")


def new_run_id(experiment_name: str) -> str:
    """v1's submitted-run id: ``<experiment>_<unix seconds>_<first 8 hex of a uuid4>``."""
    return f"{experiment_name}_{int(time.time())}_{uuid.uuid4().hex[:8]}"


def submitted_by() -> str:
    return current_identity()


__all__ = [
    "DEFAULT_MAX_RUN_DURATION_SECONDS",
    "LOCAL_SNAPSHOT_MAX_BYTES",
    "SCRIPT_RUN_TYPE",
    "LocalSnapshotTooLargeException",
    "ScriptRunConfig",
    "new_run_id",
    "submit_script_run",
]
