"""The sections of an ``Environment`` definition in v1's shape: ``python``, ``docker`` (kept for
compatibility and serialization: the local executor runs without containers) and its
registry. Re-exported by :mod:`.environment`."""

from __future__ import annotations

from typing import Any

from .conda_dependencies import CondaDependencies

DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20250601.v1"


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


__all__ = ["DEFAULT_CPU_IMAGE", "ContainerRegistry", "DockerSection", "PythonSection"]
