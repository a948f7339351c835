"""Azure VM sizes and what this machine can honour of them.

A cluster node or an instance here is a process on this machine, so a size only sets limits:
its memory becomes the Dask worker's memory limit. A GPU size needs an NVIDIA GPU, which is
checked (``nvidia-smi`` or the driver's ``/proc`` entry); a CPU size asking for more cores
than this machine has only warns, since processes share the cores anyway.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from ...exceptions import ComputeTargetException
from .compute_target import ComputeTarget

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass(frozen=True)
class VmSize:
    name: str
    cores: int
    memory_gb: float
    gpus: int = 0

    def serialize(self) -> dict[str, object]:
        return {"name": self.name, "vCPUs": self.cores, "memoryGB": self.memory_gb,
                "gpus": self.gpus}


_TABLE = [
    VmSize("Standard_D1_v2", 1, 3.5), VmSize("Standard_D2_v2", 2, 7),
    VmSize("Standard_D3_v2", 4, 14), VmSize("Standard_D4_v2", 8, 28),
    VmSize("Standard_D11_v2", 2, 14), VmSize("Standard_D12_v2", 4, 28),
    VmSize("Standard_D13_v2", 8, 56), VmSize("Standard_D14_v2", 16, 112),
    VmSize("Standard_DS1_v2", 1, 3.5), VmSize("Standard_DS2_v2", 2, 7),
    VmSize("Standard_DS3_v2", 4, 14), VmSize("Standard_DS4_v2", 8, 28),
    VmSize("Standard_DS5_v2", 16, 56), VmSize("Standard_DS11_v2", 2, 14),
    VmSize("Standard_DS12_v2", 4, 28), VmSize("Standard_DS13_v2", 8, 56),
    VmSize("Standard_D2s_v3", 2, 8), VmSize("Standard_D4s_v3", 4, 16),
    VmSize("Standard_D8s_v3", 8, 32), VmSize("Standard_D16s_v3", 16, 64),
    VmSize("Standard_D2_v3", 2, 8), VmSize("Standard_D4_v3", 4, 16),
    VmSize("Standard_E4s_v3", 4, 32), VmSize("Standard_E8s_v3", 8, 64),
    VmSize("Standard_F2s_v2", 2, 4), VmSize("Standard_F4s_v2", 4, 8),
    VmSize("Standard_F8s_v2", 8, 16), VmSize("Standard_F16s_v2", 16, 32),
    VmSize("Standard_NC6", 6, 56, 1), VmSize("Standard_NC12", 12, 112, 2),
    VmSize("Standard_NC24", 24, 224, 4), VmSize("Standard_NC6s_v3", 6, 112, 1),
    VmSize("Standard_NC12s_v3", 12, 224, 2), VmSize("Standard_NC24s_v3", 24, 448, 4),
    VmSize("Standard_NC4as_T4_v3", 4, 28, 1), VmSize("Standard_NC8as_T4_v3", 8, 56, 1),
    VmSize("Standard_NC24ads_A100_v4", 24, 220, 1), VmSize("Standard_ND40rs_v2", 40, 672, 8),
    VmSize("Standard_NV6", 6, 56, 1), VmSize("Standard_NV12s_v3", 12, 112, 1),
]
VM_SIZES: dict[str, VmSize] = {v.name.lower(): v for v in _TABLE}
# N-series (NC, ND, NV, ...) are the GPU families; "gpu" anywhere in a name says so too.
_GPU_NAME = re.compile(r"^standard_n[a-z]|gpu", re.IGNORECASE)
DEFAULT_VM_SIZE = "Standard_DS3_v2"


def lookup(vm_size: str) -> VmSize | None:
    return VM_SIZES.get((vm_size or "").lower())


def is_gpu_size(vm_size: str) -> bool:
    known = lookup(vm_size)
    return bool(known.gpus) if known else bool(_GPU_NAME.search(vm_size or ""))


@cache
def gpu_available() -> bool:
    return bool(shutil.which("nvidia-smi")) or os.path.exists("/proc/driver/nvidia/version")


def check_vm_size(vm_size: str) -> VmSize | None:
    """Raise for a size this machine cannot honour; warn when it asks for more cores than
    there are. Returns the table entry (None for a size not in the table)."""
    if is_gpu_size(vm_size) and not gpu_available():
        raise ComputeTargetException(
            f"vm_size {vm_size!r} is a GPU size, but no NVIDIA GPU was detected on this "
            f"machine (no nvidia-smi, no /proc/driver/nvidia). Use a CPU size such as "
            f"{DEFAULT_VM_SIZE!r}.")
    known = lookup(vm_size)
    cores = os.cpu_count() or 1
    if known and known.cores > cores:
        warnings.warn(f"vm_size {known.name} has {known.cores} cores but this machine has "
                      f"{cores}; nodes share the machine's cores", UserWarning, stacklevel=3)
    return known


def memory_limit_bytes(vm_size: str) -> int | None:
    """The per-node memory limit of a known size, capped by this machine's memory."""
    known = lookup(vm_size)
    if known is None:
        return None
    limit = int(known.memory_gb * 1024 ** 3)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return limit
    return min(limit, total)


def supported_vmsizes() -> list[dict[str, object]]:
    """The table, as v1's ``supported_vmsizes`` dicts, without GPU sizes when there is no
    GPU."""
    gpu = gpu_available()
    return [v.serialize() for v in _TABLE if gpu or not v.gpus]


class SizedComputeTarget(ComputeTarget):
    """A target whose nodes have a VM size (clusters and instances): v1's ``vm_size`` and
    ``supported_vmsizes``."""

    @staticmethod
    def supported_vmsizes(workspace: Workspace, location: str | None = None) -> list[dict]:
        return supported_vmsizes()

    @property
    def vm_size(self) -> str:
        return self._record.spec.get("vmSize", DEFAULT_VM_SIZE)


__all__ = ["DEFAULT_VM_SIZE", "VM_SIZES", "SizedComputeTarget", "VmSize", "check_vm_size",
           "is_gpu_size", "lookup", "memory_limit_bytes", "supported_vmsizes"]
