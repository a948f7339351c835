"""``InferenceConfig``: what a deployed service runs (v1 section 7.2): an entry script with
``init()`` and ``run(raw_data)`` from a source folder, in an environment built by the uv
machinery of runs. Re-exported by :mod:`jupyter_mlws.core.model`, v1's import path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..exceptions import WebserviceException

if TYPE_CHECKING:
    from .environment import Environment

_LEGACY = ("runtime", "conda_file", "extra_docker_file_steps", "enable_gpu", "base_image",
           "base_image_registry", "cuda_version")


class InferenceConfig:
    """``InferenceConfig(entry_script="score.py", source_directory=".", environment=env)``."""

    def __init__(self, entry_script: str, runtime: str | None = None,
                 conda_file: str | None = None, extra_docker_file_steps: str | None = None,
                 source_directory: str | os.PathLike | None = None,
                 enable_gpu: bool | None = None, description: str | None = None,
                 base_image: str | None = None, base_image_registry: Any = None,
                 cuda_version: str | None = None, environment: Environment | None = None,
                 **kwargs: Any) -> None:
        self.entry_script = entry_script
        self.runtime = runtime
        self.conda_file = conda_file
        self.extra_docker_file_steps = extra_docker_file_steps
        self.source_directory = None if source_directory is None else os.fspath(
            source_directory)
        self.enable_gpu = enable_gpu
        self.description = description
        self.base_image = base_image
        self.base_image_registry = base_image_registry
        self.cuda_version = cuda_version
        self.environment = environment
        self.validate_configuration()

    def validate_configuration(self) -> None:
        """The checks v1 makes, plus what serving here needs (the script exists)."""
        if not isinstance(self.entry_script, str) or not self.entry_script:
            raise WebserviceException("InferenceConfig needs an entry_script (e.g. 'score.py')")
        if self.environment is not None:
            given = [name for name in _LEGACY if getattr(self, name) not in (None, False)]
            if given:
                raise WebserviceException(
                    f"InferenceConfig: {', '.join(given)} cannot be given together with "
                    "environment; put those settings in the Environment")
        if self.enable_gpu:
            raise WebserviceException("enable_gpu: services run as processes on this machine "
                                      "and use whatever GPU the environment's packages find")
        if not self.entry_script.endswith(".py"):
            raise WebserviceException(f"entry_script {self.entry_script!r} must be a Python "
                                      "file (.py)")
        script = self.script_path()
        if not os.path.isfile(script):
            raise WebserviceException(f"entry_script {self.entry_script!r} was not found "
                                      f"(looked for {script})")

    # ---- what a deployment takes from it
    def source_folder(self) -> str:
        """The folder copied into the service: ``source_directory`` or, without one, the
        entry script's folder."""
        if self.source_directory is not None:
            return os.path.abspath(self.source_directory)
        return os.path.dirname(os.path.abspath(self.entry_script))

    def script_path(self) -> str:
        if self.source_directory is not None:
            return os.path.join(os.path.abspath(self.source_directory), self.entry_script)
        return os.path.abspath(self.entry_script)

    def script_relative(self) -> str:
        return os.path.relpath(self.script_path(), self.source_folder()).replace(os.sep, "/")

    def _environment(self) -> Environment:
        if self.environment is not None:
            return self.environment
        if self.conda_file:
            from .environment import Environment

            return Environment.from_conda_specification(
                "inference-environment", os.path.join(self.source_folder(), self.conda_file)
                if self.source_directory and not os.path.isabs(self.conda_file)
                else self.conda_file)
        from .environment import default_environment

        return default_environment()

    def serialize(self) -> dict[str, Any]:
        env = self.environment
        return {"entryScript": self.entry_script, "sourceDirectory": self.source_directory,
                "runtime": self.runtime, "condaFile": self.conda_file,
                "description": self.description,
                "environment": None if env is None else {"name": env.name,
                                                         "version": env.version}}

    def __repr__(self) -> str:
        return (f"InferenceConfig(entry_script={self.entry_script!r}, "
                f"source_directory={self.source_directory!r}, environment="
                f"{None if self.environment is None else self.environment.name!r})")


__all__ = ["InferenceConfig"]
