"""``Environment``: the Python a script runs with, as in v1 (section 6.1).

An environment is either *user managed* (``python.user_managed_dependencies=True``: run with
``python.interpreter_path``, build nothing) or built from ``python.conda_dependencies`` with uv
into the workspace's environment cache (conda packages translated to pip requirements).
Registered environments are versioned assets of kind ``"environment"`` in the store.
Docker settings are kept for compatibility and serialization; the local executor runs without
containers. Curated environments (``AzureML-*``, catalogue in
:mod:`jupyter_mlws.core.curated_environments`) are read-only: register a clone to change one.
The definition's sections are in :mod:`.environment_sections`, reading and writing files in
:mod:`.environment_files`; this module holds the class, its registry and the curated ones.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
import warnings
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import NotFoundError
from .conda_dependencies import CondaDependencies
from .curated_environments import CATALOGUE, CURATED_VERSION
from .environment_files import EnvironmentFilesMixin
from .environment_sections import (
    DEFAULT_CPU_IMAGE,
    ContainerRegistry,
    DockerSection,
    PythonSection,
)
from .names import RESERVED_ENVIRONMENT_PREFIXES, validate_environment_name

if TYPE_CHECKING:
    from .workspace import Workspace

ASSET_KIND = "environment"



def _resolve_interpreter(path: str) -> str:
    """v1's default ``"python"`` means this interpreter (where jupyter_mlws is installed)."""
    if path in ("python", "python3", "", None):
        return sys.executable
    if os.path.isabs(path):
        if not os.path.exists(path):
            raise UserErrorException(f"python.interpreter_path {path!r} does not exist")
        return path
    found = shutil.which(path)
    if found is None:
        raise UserErrorException(f"python.interpreter_path {path!r} is not on PATH")
    return found


class Environment(EnvironmentFilesMixin):
    """A named, versioned Python environment for runs."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        validate_environment_name(name, allow_reserved=True)
        self.name = name
        self.version: str | None = kwargs.get("_skip_validation_version")
        self.python = PythonSection()
        self.docker = DockerSection()
        self.spark: dict[str, Any] = {"repositories": [], "packages": [],
                                      "precachePackages": True}
        self.databricks: dict[str, Any] = {"mavenLibraries": [], "pypiLibraries": [],
                                           "rcranLibraries": [], "jarLibraries": [],
                                           "eggLibraries": []}
        self.r: Any = None
        self.inferencing_stack_version: str | None = None
        self.asset_id: str | None = None
        self.environment_variables: dict[str, str] = {"EXAMPLE_ENV_VAR": "EXAMPLE_VALUE"}
        self._labels: list[str] = []

    # ---- serialization (the v1 definition shape)
    def _serialize(self) -> dict[str, Any]:
        return {"assetId": self.asset_id, "databricks": copy.deepcopy(self.databricks),
                "docker": self.docker._serialize(),
                "environmentVariables": dict(self.environment_variables),
                "inferencingStackVersion": self.inferencing_stack_version,
                "name": self.name, "python": self.python._serialize(), "r": self.r,
                "spark": copy.deepcopy(self.spark), "version": self.version}

    @staticmethod
    def _deserialize(data: dict[str, Any]) -> Environment:
        env = Environment(data["name"])
        env.version = data.get("version")
        env.asset_id = data.get("assetId")
        env.environment_variables = dict(data.get("environmentVariables") or {})
        env.inferencing_stack_version = data.get("inferencingStackVersion")
        env.r = data.get("r")
        env.spark = dict(data.get("spark") or env.spark)
        env.databricks = dict(data.get("databricks") or env.databricks)
        python = data.get("python") or {}
        conda = python.get("condaDependencies")
        env.python = PythonSection(
            user_managed_dependencies=bool(python.get("userManagedDependencies", False)),
            interpreter_path=python.get("interpreterPath") or "python",
            conda_dependencies=(CondaDependencies(_underlying_structure=conda)
                                if conda else None),
            conda_dependencies_file=python.get("condaDependenciesFile"),
            base_conda_environment=python.get("baseCondaEnvironment"))
        docker = data.get("docker") or {}
        env.docker = DockerSection(
            enabled=docker.get("enabled", False), base_image=docker.get("baseImage"),
            base_dockerfile=docker.get("baseDockerfile"),
            build_context=docker.get("buildContext"),
            shared_volumes=docker.get("sharedVolumes", True),
            shm_size=docker.get("shmSize", "2g"), arguments=docker.get("arguments") or [])
        return env

    def _build_spec(self) -> dict[str, Any]:
        """What the executor needs: an interpreter, or a uv spec to build (and cache)."""
        if (self.name in CATALOGUE
                and self.python._serialize() != _curated(self.name).python._serialize()):
            # Two different builds under one curated name and version would make runs
            # unreproducible: v1 has users change a clone instead.
            raise UserErrorException(
                f"The curated environment {self.name!r} was changed; curated environments are "
                "read-only. Make the change on a copy: "
                f"env = Environment.get(ws, {self.name!r}).clone('my-env')")
        if self.python.user_managed_dependencies:
            return {"type": "interpreter",
                    "interpreter": _resolve_interpreter(self.python.interpreter_path)}
        return self.python.conda_dependencies._pip_build_spec()

    # ---- registry
    def register(self, workspace: Workspace) -> Environment:
        """Store this definition as the next version of its name; returns a new object."""
        if self.name in CATALOGUE:
            raise UserErrorException(
                f"{self.name!r} is a curated environment; curated environments are read-only. "
                "Register a copy under your own name: env.clone('my-env').register(ws)")
        validate_environment_name(self.name)
        if self.version is not None:
            warnings.warn("Environment version is set by register(); the given version "
                          f"{self.version!r} is ignored", UserWarning, stacklevel=2)
        spec = self._serialize()
        spec["version"] = spec["assetId"] = None
        record = workspace._call_store(workspace._store.register_asset, workspace._record.id,
                                       ASSET_KIND, self.name, spec)
        return Environment._from_record(record)

    @staticmethod
    def _from_record(record: Any) -> Environment:
        env = Environment._deserialize(record.spec)
        env.version = str(record.version)
        env.asset_id = f"{record.workspace_id}/environments/{record.name}/{record.version}"
        env._labels = list((record.state or {}).get("labels", []))
        return env

    @staticmethod
    def get(workspace: Workspace, name: str, version: str | int | None = None,
            label: str | None = None) -> Environment:
        """A registered environment: ``version``, the one carrying ``label``, or the latest;
        or a curated one (``AzureML-*``)."""
        if version is not None and label is not None:
            raise UserErrorException("Environment.get takes a version or a label, not both")
        if name.startswith(RESERVED_ENVIRONMENT_PREFIXES):  # never a registered name
            return _get_curated(name, version, label)
        store, ws_id = workspace._store, workspace._record.id
        try:
            if label is not None:
                for record in workspace._call_store(store.list_assets, ws_id, ASSET_KIND,
                                                    name=name, latest_only=False):
                    if label in (record.state or {}).get("labels", []):
                        return Environment._from_record(record)
                raise NotFoundError(f"label {label!r}")
            number = None if version is None else int(version)
            return Environment._from_record(workspace._call_store(
                store.get_asset, ws_id, ASSET_KIND, name, number))
        except (NotFoundError, ValueError) as exc:
            which = (f" version {version}" if version is not None else
                     f" with label {label!r}" if label is not None else "")
            raise UserErrorException(f"Environment {name!r}{which} was not found in workspace "
                                     f"{workspace.name!r}") from exc

    @staticmethod
    def list(workspace: Workspace) -> dict[str, Environment]:
        """``{name: latest Environment}`` of the workspace, the curated ones included."""
        records = workspace._call_store(workspace._store.list_assets, workspace._record.id,
                                        ASSET_KIND)
        curated = {name: _curated(name) for name in CATALOGUE}
        return {**curated, **{r.name: Environment._from_record(r) for r in records}}

    @staticmethod
    def _of_run_definition(workspace: Workspace, definition: dict[str, Any]) -> Environment:
        """The environment of a run definition: its registered (or curated) version, else
        the recorded definition itself (submitted unregistered, or deleted since)."""
        if definition.get("version") is not None:
            try:
                return Environment.get(workspace, definition["name"], definition["version"])
            except UserErrorException:
                pass
        return Environment._deserialize(definition)

    @staticmethod
    def label(workspace: Workspace, name: str, version: str | int,
              labels: list[str]) -> None:
        """Attach ``labels`` to one version (a label moves from any other version)."""
        store, ws_id = workspace._store, workspace._record.id
        for record in workspace._call_store(store.list_assets, ws_id, ASSET_KIND, name=name,
                                            latest_only=False):
            current = list((record.state or {}).get("labels", []))
            if record.version == int(version):
                wanted = list(dict.fromkeys([*current, *labels]))
            else:
                wanted = [x for x in current if x not in labels]
            if wanted != current:
                store.update_asset_state(ws_id, ASSET_KIND, name, record.version,
                                         {"labels": wanted})

    def clone(self, new_name: str) -> Environment:
        env = Environment._deserialize(copy.deepcopy(self._serialize()))
        validate_environment_name(new_name, allow_reserved=True)
        env.name, env.version, env.asset_id = new_name, None, None
        return env

    # ---- local builds (the workspace "container registry")
    def build_local(self, workspace: Workspace | None = None, **kwargs: Any) -> dict[str, Any]:
        """Build (or reuse) this environment in the local cache, printing the build log;
        returns the cache entry (hash, path, interpreter, ...)."""
        # on use: the uv machinery only when building
        from ..execution.environments import ensure_environment, env_hash, list_built

        spec = self._build_spec()
        if spec["type"] == "interpreter":
            return {"interpreter": spec["interpreter"], "hash": None}
        ensure_environment(spec, log=lambda text: print(text, end=""))
        digest = env_hash(spec)
        return next(i for i in list_built() if i["hash"] == digest)

    # ---- display
    def __repr__(self) -> str:
        return json.dumps(self._serialize(), sort_keys=True, indent=4)

    def __str__(self) -> str:
        return f"Environment(Name: {self.name},\nVersion: {self.version})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Environment) and self._serialize() == other._serialize()


def _curated(name: str) -> Environment:
    """A fresh object of the curated environment ``name`` (built for this Python)."""
    env = Environment(name)
    env.version = CURATED_VERSION
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=list(CATALOGUE[name].pip_packages))
    env.environment_variables = {}
    return env


def _get_curated(name: str, version: str | int | None, label: str | None) -> Environment:
    if name not in CATALOGUE:
        raise UserErrorException(
            f"Environment {name!r} was not found: names starting with 'AzureML' or 'Microsoft' "
            "are curated environments, and jupyter_mlws provides these: "
            f"{', '.join(CATALOGUE)}. For other packages, define your own Environment and "
            "register it under a name of yours.")
    if label is not None:
        raise UserErrorException(f"Curated environment {name!r} has no labels; get it by "
                                 "name (and version) only")
    if version is not None and str(version) != CURATED_VERSION:
        raise UserErrorException(f"Curated environment {name!r} has only version "
                                 f"{CURATED_VERSION}, not {version!r}")
    return _curated(name)


def default_environment() -> Environment:
    """The environment of a run given none: this interpreter, nothing built."""
    env = Environment("default-environment")
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = sys.executable
    env.environment_variables = {}
    return env


__all__ = ["DEFAULT_CPU_IMAGE", "ContainerRegistry", "DockerSection", "Environment",
           "PythonSection", "default_environment"]
