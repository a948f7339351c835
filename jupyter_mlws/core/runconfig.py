"""``RunConfiguration`` and its sections, plain config objects as in v1 (section 5).

``RunConfiguration._serialize()`` is the camelCase run definition stored with a run (what
``run.get_details()["runDefinition"]`` returns). ``save``/``load`` use v1's location,
``<path>/.azureml/<name>.runconfig`` (YAML).
"""

from __future__ import annotations

import os
from typing import Any

from ..exceptions import UserErrorException
from .environment import DEFAULT_CPU_IMAGE, Environment, default_environment


class DockerConfiguration:
    """Docker runtime settings (recorded; the local executor runs without containers)."""

    def __init__(self, use_docker: bool = False, shared_volumes: bool = True,
                 arguments: list[str] | None = None, shm_size: str | None = None) -> None:
        self.use_docker = use_docker
        self.shared_volumes = shared_volumes
        self.arguments = list(arguments or [])
        self.shm_size = shm_size or "2g"

    def _serialize(self) -> dict[str, Any]:
        return {"useDocker": self.use_docker, "sharedVolumes": self.shared_volumes,
                "arguments": list(self.arguments), "shmSize": self.shm_size}


class _Distributed:
    framework = "Python"
    communicator = "None"

    def __init__(self, process_count_per_node: int = 1, node_count: int = 1) -> None:
        self.process_count_per_node = process_count_per_node
        self.node_count = node_count

    def _serialize(self) -> dict[str, Any]:
        return {"processCountPerNode": self.process_count_per_node,
                "nodeCount": self.node_count}


class MpiConfiguration(_Distributed):
    communicator = "IntelMpi"


class PyTorchConfiguration(_Distributed):
    framework = "PyTorch"
    communicator = "Nccl"

    def __init__(self, communication_backend: str = "Nccl", process_count: int | None = None,
                 node_count: int = 1) -> None:
        super().__init__(1, node_count)
        self.communication_backend = communication_backend
        self.process_count = process_count

    def _serialize(self) -> dict[str, Any]:
        return {"communicationBackend": self.communication_backend,
                "processCount": self.process_count, "nodeCount": self.node_count}


class TensorflowConfiguration(_Distributed):
    framework = "TensorFlow"
    communicator = "ParameterServer"

    def __init__(self, worker_count: int = 1, parameter_server_count: int = 1) -> None:
        super().__init__(1, 1)
        self.worker_count = worker_count
        self.parameter_server_count = parameter_server_count

    def _serialize(self) -> dict[str, Any]:
        return {"workerCount": self.worker_count,
                "parameterServerCount": self.parameter_server_count}


class HistoryConfiguration:
    def __init__(self) -> None:
        self.output_collection = True
        self.snapshot_project = True
        self.directories_to_watch = ["logs"]

    def _serialize(self) -> dict[str, Any]:
        return {"outputCollection": self.output_collection,
                "snapshotProject": self.snapshot_project,
                "directoriesToWatch": list(self.directories_to_watch)}


def target_name(target: Any) -> str:
    """A compute target object or name as the name recorded with the run."""
    if target is None:
        return "local"
    if isinstance(target, str):
        return target
    name = getattr(target, "name", None)
    if not isinstance(name, str):
        raise UserErrorException(f"compute_target must be a name or a ComputeTarget, got "
                                 f"{target!r}")
    return name


class RunConfiguration:
    """Everything about how a script runs, except its source folder."""

    def __init__(self, script: str | None = None, arguments: list[Any] | None = None,
                 framework: str | None = None, communicator: str | None = None,
                 conda_dependencies: Any = None, _history_enabled: bool | None = None,
                 _path: str | None = None, _name: str | None = None,
                 command: str | list[str] | None = None) -> None:
        self.script = script
        self.arguments: list[Any] = list(arguments or [])
        self.command = command
        self._target: Any = "local"
        self.framework = framework or "Python"
        self.communicator = communicator or "None"
        self.max_run_duration_seconds: int | None = None
        self.node_count = 1
        self.priority: int | None = None
        # Without dependencies the run uses this interpreter and builds nothing.
        self.environment = default_environment()
        if conda_dependencies is not None:
            self.environment.python.user_managed_dependencies = False
            self.environment.python.interpreter_path = "python"
            self.environment.python.conda_dependencies = conda_dependencies
        self.environment_variables: dict[str, str] = {}
        self.history = HistoryConfiguration()
        self.docker = DockerConfiguration()
        self.mpi = MpiConfiguration()
        self.pytorch = PyTorchConfiguration()
        self.tensorflow = TensorflowConfiguration()
        self.data: dict[str, Any] = {}
        self.data_references: dict[str, Any] = {}
        self.output_data: dict[str, Any] = {}
        self.amlcompute: dict[str, Any] = {"vmSize": None, "vmPriority": None,
                                           "retainCluster": False, "name": None,
                                           "clusterMaxNodeCount": None}
        self.credential_passthrough = False
        self._name = _name

    @property
    def target(self) -> Any:
        """The compute target (a name, ``"local"`` by default, or a ComputeTarget)."""
        return self._target

    @target.setter
    def target(self, value: Any) -> None:
        self._target = value if value is not None else "local"

    def _serialize(self) -> dict[str, Any]:
        return {
            "script": self.script, "arguments": [str(a) for a in self.arguments],
            "command": self.command, "target": target_name(self._target),
            "framework": self.framework, "communicator": self.communicator,
            "maxRunDurationSeconds": self.max_run_duration_seconds,
            "nodeCount": self.node_count, "priority": self.priority,
            "environment": self.environment._serialize(),
            "environmentVariables": dict(self.environment_variables),
            "history": self.history._serialize(), "docker": self.docker._serialize(),
            "mpi": self.mpi._serialize(), "pytorch": self.pytorch._serialize(),
            "tensorflow": self.tensorflow._serialize(), "data": dict(self.data),
            "dataReferences": dict(self.data_references), "outputData": dict(self.output_data),
            "amlcompute": dict(self.amlcompute),
            "credentialPassthrough": self.credential_passthrough,
        }

    def save(self, path: str | os.PathLike | None = None, name: str | None = None,
             separate_environment_yaml: bool = False) -> str:
        """Write ``<path>/.azureml/<name>.runconfig`` (YAML); returns the file's path."""
        import yaml  # PyYAML on use

        folder = os.path.join(os.fspath(path or "."), ".azureml")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, f"{name or self._name or 'runconfig'}.runconfig")
        with open(target, "w", encoding="utf-8") as handle:
            yaml.safe_dump(self._serialize(), handle, sort_keys=False)
        return target

    @staticmethod
    def load(path: str | os.PathLike, name: str | None = None) -> RunConfiguration:
        """Read a file saved by :meth:`save` (a file path, or a folder and ``name``)."""
        import yaml  # PyYAML on use

        path = os.fspath(path)
        if name is not None:
            path = os.path.join(path, ".azureml", f"{name}.runconfig")
        if not os.path.isfile(path):
            raise UserErrorException(f"Run configuration {path!r} does not exist")
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        config = RunConfiguration(script=data.get("script"), arguments=data.get("arguments"),
                                  framework=data.get("framework"),
                                  communicator=data.get("communicator"),
                                  command=data.get("command"))
        config.target = data.get("target") or "local"
        config.max_run_duration_seconds = data.get("maxRunDurationSeconds")
        config.node_count = data.get("nodeCount") or 1
        config.environment_variables = dict(data.get("environmentVariables") or {})
        if data.get("environment"):
            config.environment = Environment._deserialize(data["environment"])
        docker = data.get("docker") or {}
        config.docker = DockerConfiguration(docker.get("useDocker", False),
                                            docker.get("sharedVolumes", True),
                                            docker.get("arguments"), docker.get("shmSize"))
        return config


__all__ = ["DEFAULT_CPU_IMAGE", "DockerConfiguration", "HistoryConfiguration",
           "MpiConfiguration", "PyTorchConfiguration", "RunConfiguration",
           "TensorflowConfiguration", "target_name"]
