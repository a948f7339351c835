"""``ComputeInstance``: a named Jupyter kernel bound to an environment.

Started = a kernelspec ``mlws-<workspace>-<name>`` (display name "<name> (ML workspace <ws>)")
exists under the Jupyter data dir, so JupyterLab's kernel picker offers it; stopped or deleted =
the kernelspec is removed. The kernel runs the interpreter of the instance's environment (a
registered Environment, built on start if needed) or, by default, the current interpreter.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ...exceptions import ComputeTargetException
from ...execution.kernels import (
    install_kernelspec,
    kernel_name,
    kernelspec_exists,
    remove_kernelspec,
)
from ..environment import Environment
from .compute_target import ComputeTarget
from .vm_sizes import DEFAULT_VM_SIZE, SizedComputeTarget, check_vm_size

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass
class ComputeInstanceStatus:
    provisioning_state: str
    state: str  # Running | Stopped | Failed
    vm_size: str
    kernel_name: str
    environment: str | None
    errors: list[dict[str, Any]] | None = None

    def serialize(self) -> dict[str, Any]:
        return asdict(self)


class ComputeInstanceProvisioningConfiguration:
    """What ``ComputeInstance.provisioning_configuration`` returns."""

    def __init__(self, vm_size: str = "", environment: str | None = None,
                 environment_version: str | int | None = None,
                 tags: dict[str, Any] | None = None, description: str | None = None) -> None:
        self.vm_size = vm_size or DEFAULT_VM_SIZE
        self.environment = environment
        self.environment_version = environment_version
        self.tags = tags
        self.description = description

    def validate_configuration(self) -> None:
        check_vm_size(self.vm_size)

    def _create(self, workspace: Workspace, name: str) -> ComputeInstance:
        self.validate_configuration()
        if self.environment is not None:  # fail now, not on start, for a missing environment
            Environment.get(workspace, self.environment, self.environment_version)
        spec = {"computeType": "ComputeInstance", "vmSize": self.vm_size,
                "environment": self.environment,
                "environmentVersion": (None if self.environment_version is None
                                       else str(self.environment_version))}
        record = ComputeTarget._register(workspace, name, spec,
                                         {"provisioningState": "Creating", "state": "Stopped"},
                                         tags=self.tags, description=self.description)
        target: ComputeInstance = ComputeTarget._from_record(workspace, record)  # type: ignore
        target.start()  # v1 creates instances started
        return target


class ComputeInstance(SizedComputeTarget):
    """A compute instance: a Jupyter kernel in the picker while started."""

    _compute_type = "ComputeInstance"

    @staticmethod
    def provisioning_configuration(vm_size: str = "", ssh_public_access: bool = False,
                                   admin_user_ssh_public_key: str | None = None,
                                   vnet_resourcegroup_name: str | None = None,
                                   vnet_name: str | None = None, subnet_name: str | None = None,
                                   tags: dict[str, Any] | None = None,
                                   description: str | None = None,
                                   environment: str | None = None,
                                   environment_version: str | int | None = None,
                                   **kwargs: Any) -> ComputeInstanceProvisioningConfiguration:
        """v1's signature plus ``environment`` (a registered Environment name) and
        ``environment_version``."""
        return ComputeInstanceProvisioningConfiguration(
            vm_size, environment, environment_version, tags, description)

    # ---- attributes
    @property
    def kernel_name(self) -> str:
        return kernel_name(self.workspace.name, self.name)

    @property
    def display_name(self) -> str:
        return f"{self.name} (ML workspace {self.workspace.name})"

    @property
    def state(self) -> str:
        return self._record.state.get("state", "Stopped")

    # ---- lifecycle
    def _interpreter(self) -> str:
        env_name = self._record.spec.get("environment")
        if not env_name:
            return sys.executable
        # on use: the uv machinery only when a kernel is built
        from ...execution.environments import ensure_environment

        # on use: script_submit pulls environments
        from ..script_submit import store_settings_for_spec

        env = Environment.get(self.workspace, env_name, self._record.spec.get(
            "environmentVersion"))
        home = store_settings_for_spec(self._store)["home"]
        return ensure_environment(env._build_spec(), home, lambda _text: None)

    def _kernel_env(self) -> dict[str, str]:
        # on use: script_submit pulls environments
        from ..script_submit import store_settings_for_spec

        settings = store_settings_for_spec(self._store)
        ws = self.workspace._record
        return {"MLWS_HOME": settings["home"], "MLWS_DATABASE_URL": settings["database_url"],
                "MLWS_STORAGE_URL": settings["storage_root"],
                "MLWS_WORKSPACE_NAME": ws.name, "MLWS_SUBSCRIPTION_ID": ws.subscription_id,
                "MLWS_RESOURCE_GROUP": ws.resource_group, "MLWS_COMPUTE_INSTANCE": self.name}

    def start(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        """Write the kernelspec (building the environment first if needed)."""

        try:
            interpreter = self._interpreter()
            install_kernelspec(self.kernel_name, self.display_name, interpreter,
                               self._kernel_env(),
                               {"workspace": self.workspace.name, "instance": self.name})
        except Exception as exc:
            self._set_state(provisioningState="Failed", state="Failed", errors=[{
                "code": "InstanceStartFailed", "message": f"{type(exc).__name__}: {exc}"}])
            raise ComputeTargetException(
                f"Compute instance {self.name!r} could not start: {exc}") from exc
        self._set_state(provisioningState="Succeeded", state="Running", errors=None,
                        interpreter=interpreter)
        if show_output:
            print(f"Compute instance {self.name} is Running (kernel {self.kernel_name})")

    can_stop = True

    def stop(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        """Remove the kernelspec; kernels already running from it keep running."""

        remove_kernelspec(self.kernel_name)
        self._set_state(state="Stopped")
        if show_output:
            print(f"Compute instance {self.name} is Stopped")

    def restart(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        self.stop()
        self.start(show_output=show_output)

    def _reconcile(self) -> None:
        # Someone removed the kernelspec by hand (jupyter kernelspec remove): it is stopped.
        if self.state == "Running" and not kernelspec_exists(self.kernel_name):
            self._set_state(state="Stopped")

    def get_status(self) -> ComputeInstanceStatus:
        self.refresh_state()
        return ComputeInstanceStatus(
            provisioning_state=self.provisioning_state, state=self.state,
            vm_size=self.vm_size, kernel_name=self.kernel_name,
            environment=self._record.spec.get("environment"), errors=self.provisioning_errors)

    def delete(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        remove_kernelspec(self.kernel_name)
        self._delete_record()


__all__ = ["ComputeInstance", "ComputeInstanceProvisioningConfiguration",
           "ComputeInstanceStatus"]
