"""``AksCompute``: an inference cluster, the deployment target of ``AksWebservice``s.

Here an inference cluster is this machine: provisioning records its shape (``agent_count``
nodes of ``vm_size``) and succeeds at once; each service deployed to it runs its own daemon
with replica processes (:mod:`jupyter_mlws.execution.serving`). The shape is the cluster's
capacity: a service whose minimum replicas times ``cpu_cores`` do not fit next to the other
services is refused (v1's ``Unschedulable``). Attaching an existing Kubernetes cluster is not
available (there is none to reach here); a team's machines serve through their Dask cluster
instead: an attached ``DaskCompute`` is accepted as the ``deployment_target`` of an
``AksWebservice`` (:mod:`jupyter_mlws.execution.serving.remote_daemon`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ...exceptions import ComputeTargetException
from ..webservice.registry import services_on
from .compute_target import ComputeTarget
from .vm_sizes import SizedComputeTarget, check_vm_size, lookup

if TYPE_CHECKING:
    from ..workspace import Workspace

DEFAULT_VM_SIZE = "Standard_D3_v2"
DEFAULT_AGENTS = 3
PURPOSES = ("DevTest", "FastProd")


class AksProvisioningConfiguration:
    """What ``AksCompute.provisioning_configuration`` returns."""

    def __init__(self, agent_count: int | None = None, vm_size: str | None = None,
                 cluster_purpose: str | None = None, tags: dict[str, Any] | None = None,
                 description: str | None = None, location: str | None = None,
                 **ignored: Any) -> None:
        self.agent_count = DEFAULT_AGENTS if agent_count is None else agent_count
        self.vm_size = vm_size or DEFAULT_VM_SIZE
        self.cluster_purpose = cluster_purpose or "FastProd"
        self.tags = tags
        self.description = description
        self.location = location
        self.validate_configuration()

    def validate_configuration(self) -> None:
        if isinstance(self.agent_count, bool) or not isinstance(self.agent_count, int) or \
                self.agent_count < 1:
            raise ComputeTargetException(f"agent_count must be a positive integer, got "
                                         f"{self.agent_count!r}")
        if self.cluster_purpose not in PURPOSES:
            raise ComputeTargetException(f"cluster_purpose must be one of {PURPOSES}")

    def _create(self, workspace: Workspace, name: str) -> AksCompute:
        check_vm_size(self.vm_size)
        spec = {"computeType": "AKS", "agentCount": self.agent_count, "vmSize": self.vm_size,
                "clusterPurpose": self.cluster_purpose}
        record = ComputeTarget._register(workspace, name, spec, {
            "provisioningState": "Succeeded", "modifiedOn": time.time()}, tags=self.tags,
            description=self.description)
        return ComputeTarget._from_record(workspace, record)  # type: ignore[return-value]


class AksCompute(SizedComputeTarget):
    """An inference cluster for ``AksWebservice``s."""

    _compute_type = "AKS"

    @staticmethod
    def provisioning_configuration(agent_count: int | None = None, vm_size: str | None = None,
                                   ssl_cname: str | None = None,
                                   ssl_cert_pem_file: str | None = None,
                                   ssl_key_pem_file: str | None = None,
                                   location: str | None = None,
                                   vnet_resourcegroup_name: str | None = None,
                                   vnet_name: str | None = None, subnet_name: str | None = None,
                                   service_cidr: str | None = None,
                                   dns_service_ip: str | None = None,
                                   docker_bridge_cidr: str | None = None,
                                   cluster_purpose: str | None = None,
                                   load_balancer_type: str | None = None,
                                   load_balancer_subnet: str | None = None,
                                   **kwargs: Any) -> AksProvisioningConfiguration:
        return AksProvisioningConfiguration(agent_count=agent_count, vm_size=vm_size,
                                            cluster_purpose=cluster_purpose,
                                            location=location, **kwargs)

    @staticmethod
    def attach_configuration(resource_group: str | None = None, cluster_name: str | None = None,
                             resource_id: str | None = None,
                             cluster_purpose: str | None = None) -> Any:
        raise ComputeTargetException(
            "Attaching an existing Kubernetes cluster is not available: inference clusters "
            "here run on this machine (create one with AksCompute.provisioning_configuration()) "
            "or on a team's Dask cluster (attach its scheduler with "
            "DaskCompute.attach_configuration(address=...) and pass that target as "
            "deployment_target)")

    @property
    def agent_count(self) -> int:
        return int(self._record.spec.get("agentCount", DEFAULT_AGENTS))

    @property
    def vm_size(self) -> str:
        return self._record.spec.get("vmSize", DEFAULT_VM_SIZE)

    @property
    def cluster_purpose(self) -> str:
        return self._record.spec.get("clusterPurpose", "FastProd")

    @property
    def cluster_fqdn(self) -> str:
        return "127.0.0.1"

    def capacity_cores(self) -> float | None:
        size = lookup(self.vm_size)
        return None if size is None else float(size.cores * self.agent_count)

    def get_status(self) -> str:
        self.refresh_state()
        return self.provisioning_state

    def delete(self) -> None:
        """Refused while services run on it (their names are given)."""

        services = [r.name for r in services_on(self.workspace, self.name)]
        if services:
            raise ComputeTargetException(
                f"Inference cluster {self.name!r} still hosts service(s) "
                f"{', '.join(services)}; delete them first")
        self._delete_record()

    def detach(self) -> None:
        self.delete()


__all__ = ["AksCompute", "AksProvisioningConfiguration"]
