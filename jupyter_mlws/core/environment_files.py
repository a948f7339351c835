"""Environments from and to files, as v1 reads and writes them: a conda specification, a pip
requirements file, and a definition folder (``azureml_environment.json``,
``conda_dependencies.yml``, ``BaseDockerfile``). Mixed into
:class:`jupyter_mlws.core.environment.Environment`."""

from __future__ import annotations

import json
import os
import warnings
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from .conda_dependencies import DEFAULT_PYTHON_VERSION, CondaDependencies

if TYPE_CHECKING:
    from .environment import Environment

DEFINITION_FILE = "azureml_environment.json"
CONDA_FILE = "conda_dependencies.yml"
DOCKERFILE = "BaseDockerfile"


class EnvironmentFilesMixin:
    """The file factories and ``save_to_directory`` (``Environment`` provides the rest)."""

    name: str
    python: Any
    docker: Any
    _serialize: Any
    _deserialize: Any

    @classmethod
    def from_conda_specification(cls, name: str, file_path: str | os.PathLike) -> Environment:
        env = cls(name)
        env.python.conda_dependencies = CondaDependencies(file_path)
        if env.python.conda_dependencies.get_python_version() is None:
            warnings.warn(f"No Python version in {file_path}; using Python "
                          f"{DEFAULT_PYTHON_VERSION}", UserWarning, stacklevel=2)
            env.python.conda_dependencies.set_python_version(DEFAULT_PYTHON_VERSION)
        return env

    @classmethod
    def from_pip_requirements(cls, name: str, file_path: str | os.PathLike,
                              pip_version: str | None = None) -> Environment:
        """The pip list is replaced by the requirements file's lines (options kept as
        options); conda package ``pip`` is added, as in v1."""
        path = os.fspath(file_path)
        if not os.path.isfile(path):
            raise UserErrorException(f"Requirements file {path!r} does not exist")
        env = cls(name)
        deps = env.python.conda_dependencies
        requirements, options = [], []
        with open(path, encoding="utf-8") as handle:
            for raw in handle:
                line = raw.split(" #")[0].strip()
                if not line or line.startswith("#"):
                    continue
                (options if line.startswith("-") else requirements).append(line)
        deps.set_pip_requirements(requirements)
        for option in options:
            deps.set_pip_option(option)
        deps.add_conda_package(f"pip={pip_version}" if pip_version else "pip")
        return env

    @classmethod
    def from_existing_conda_environment(cls, name: str,
                                        conda_environment_name: str) -> Environment | None:
        """v1 exports a local conda env and returns None on failure; there is no conda."""
        warnings.warn("No conda installation is available; from_existing_conda_environment "
                      "returns None. Use from_pip_requirements instead.", UserWarning,
                      stacklevel=2)
        return None

    def save_to_directory(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        """Write ``azureml_environment.json`` and ``conda_dependencies.yml`` into ``path``."""
        folder = os.fspath(path)
        targets = [os.path.join(folder, n) for n in (DEFINITION_FILE, CONDA_FILE)]
        if not overwrite and any(os.path.exists(t) for t in targets):
            raise UserErrorException(f"{folder} already holds an environment definition; pass "
                                     "overwrite=True to replace it")
        os.makedirs(folder, exist_ok=True)
        definition = self._serialize()
        definition["python"]["condaDependencies"] = None  # kept in the YAML file instead
        with open(targets[0], "w", encoding="utf-8") as handle:
            json.dump(definition, handle, indent=4, sort_keys=True)
        self.python.conda_dependencies.save(targets[1])
        if self.docker.base_dockerfile:
            with open(os.path.join(folder, DOCKERFILE), "w", encoding="utf-8") as handle:
                handle.write(self.docker.base_dockerfile)

    @classmethod
    def load_from_directory(cls, path: str | os.PathLike) -> Environment:
        folder = os.fspath(path)
        definition_path = os.path.join(folder, DEFINITION_FILE)
        if not os.path.isfile(definition_path):
            raise UserErrorException(f"No {DEFINITION_FILE} in {folder}")
        with open(definition_path, encoding="utf-8") as handle:
            env = cls._deserialize(json.load(handle))
        conda_path = os.path.join(folder, CONDA_FILE)
        if os.path.isfile(conda_path):
            env.python.conda_dependencies = CondaDependencies(conda_path)
        dockerfile = os.path.join(folder, DOCKERFILE)
        if os.path.isfile(dockerfile):
            with open(dockerfile, encoding="utf-8") as handle:
                env.docker.base_dockerfile = handle.read()
        return env


__all__ = ["CONDA_FILE", "DEFINITION_FILE", "DOCKERFILE", "EnvironmentFilesMixin"]
