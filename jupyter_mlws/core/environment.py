"""``Environment``: the Python a script runs with, as in v1 (section 6.1).

An environment is either *user managed* (``python.user_managed_dependencies=True``: run with
``python.interpreter_path``, build nothing) or built from ``python.conda_dependencies`` with uv
into the workspace's environment cache (conda packages translated to pip requirements).
Registered environments are versioned assets of kind ``"environment"`` in the store.
Docker settings are kept for compatibility and serialization; the local executor runs without
containers. Curated environments (``AzureML-*``, catalogue in
:mod:`jupyter_mlws.core.curated_environments`) are read-only: register a clone to change one.
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
from .conda_dependencies import DEFAULT_PYTHON_VERSION, CondaDependencies
from .curated_environments import CATALOGUE, CURATED_VERSION
from .names import RESERVED_ENVIRONMENT_PREFIXES, validate_environment_name

if TYPE_CHECKING:
    from .workspace import Workspace

ASSET_KIND = "environment"
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20250601.v1"
DEFINITION_FILE = "azureml_environment.json"
CONDA_FILE = "conda_dependencies.yml"
DOCKERFILE = "BaseDockerfile"


class PythonSection:
    """How Python is provided: a user-managed interpreter, or a built conda/pip spec."""

    def __init__(self, **kwargs: Any) -> None:
        self.user_managed_dependencies: bool = kwargs.get("user_managed_dependencies", False)
        self.interpreter_path: str = kwargs.get("interpreter_path", "python")
        self.conda_dependencies: CondaDependencies = (kwargs.get("conda_dependencies")
                                                      or CondaDependencies())
        self.conda_dependencies_file: str | None = kwargs.get("conda_dependencies_file")
        self.base_conda_environment: str | None = kwargs.get("base_conda_environment")

    def _serialize(self) -> dict[str, Any]:
        return {"userManagedDependencies": self.user_managed_dependencies,
                "interpreterPath": self.interpreter_path,
                "condaDependencies": self.conda_dependencies.as_dict(),
                "condaDependenciesFile": self.conda_dependencies_file,
                "baseCondaEnvironment": self.base_conda_environment}


class ContainerRegistry:
    """Registry credentials of a base image (kept for compatibility)."""

    def __init__(self) -> None:
        self.address: str | None = None
        self.username: str | None = None
        self.password: str | None = None
        self.registry_identity: Any = None

    def _serialize(self) -> dict[str, Any]:
        return {"address": self.address, "username": self.username,
                "password": self.password, "registryIdentity": self.registry_identity}


class DockerSection:
    """Docker settings of v1; recorded, not used by the local executor."""

    def __init__(self, **kwargs: Any) -> None:
        self.enabled: bool = kwargs.get("enabled", False)
        self.base_image: str | None = kwargs.get("base_image", DEFAULT_CPU_IMAGE)
        self.base_dockerfile: str | None = kwargs.get("base_dockerfile")
        self.build_context: Any = kwargs.get("build_context")
        self.base_image_registry = ContainerRegistry()
        self.platform: dict[str, str] = {"os": "Linux", "architecture": "amd64"}
        self.shared_volumes: bool = kwargs.get("shared_volumes", True)
        self.shm_size: str = kwargs.get("shm_size", "2g")
        self.arguments: list[str] = list(kwargs.get("arguments", []))
        self.gpu_support: bool = kwargs.get("gpu_support", False)

    def _serialize(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "baseImage": self.base_image,
                "baseDockerfile": self.base_dockerfile, "buildContext": self.build_context,
                "baseImageRegistry": self.base_image_registry._serialize(),
                "platform": dict(self.platform), "sharedVolumes": self.shared_volumes,
                "shmSize": self.shm_size, "arguments": list(self.arguments)}


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


class Environment:
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

    # ---- factories
    @staticmethod
    def from_conda_specification(name: str, file_path: str | os.PathLike) -> Environment:
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies(file_path)
        if env.python.conda_dependencies.get_python_version() is None:
            warnings.warn(f"No Python version in {file_path}; using Python "
                          f"{DEFAULT_PYTHON_VERSION}", UserWarning, stacklevel=2)
            env.python.conda_dependencies.set_python_version(DEFAULT_PYTHON_VERSION)
        return env

    @staticmethod
    def from_pip_requirements(name: str, file_path: str | os.PathLike,
                              pip_version: str | None = None) -> Environment:
        """The pip list is replaced by the requirements file's lines (options kept as
        options); conda package ``pip`` is added, as in v1."""
        path = os.fspath(file_path)
        if not os.path.isfile(path):
            raise UserErrorException(f"Requirements file {path!r} does not exist")
        env = Environment(name)
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

    @staticmethod
    def from_existing_conda_environment(name: str,
                                        conda_environment_name: str) -> Environment | None:
        """v1 exports a local conda env and returns None on failure; there is no conda."""
        warnings.warn("No conda installation is available; from_existing_conda_environment "
                      "returns None. Use from_pip_requirements instead.", UserWarning,
                      stacklevel=2)
        return None

    # ---- files
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

    @staticmethod
    def load_from_directory(path: str | os.PathLike) -> Environment:
        folder = os.fspath(path)
        definition_path = os.path.join(folder, DEFINITION_FILE)
        if not os.path.isfile(definition_path):
            raise UserErrorException(f"No {DEFINITION_FILE} in {folder}")
        with open(definition_path, encoding="utf-8") as handle:
            env = Environment._deserialize(json.load(handle))
        conda_path = os.path.join(folder, CONDA_FILE)
        if os.path.isfile(conda_path):
            env.python.conda_dependencies = CondaDependencies(conda_path)
        dockerfile = os.path.join(folder, DOCKERFILE)
        if os.path.isfile(dockerfile):
            with open(dockerfile, encoding="utf-8") as handle:
                env.docker.base_dockerfile = handle.read()
        return env

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
