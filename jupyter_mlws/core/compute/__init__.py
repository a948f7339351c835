"""Compute targets, shaped like ``azureml.core.compute``: ``ComputeTarget``, ``AmlCompute``
(a Dask cluster), ``ComputeInstance`` (a Jupyter kernel) and ``DaskCompute`` (an attached Dask
scheduler). Subclasses load on first access so importing the package stays cheap."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ...exceptions import ComputeTargetException
from .compute_target import ComputeTarget, LocalTarget

if TYPE_CHECKING:
    from .aks_compute import AksCompute, AksProvisioningConfiguration
    from .aml_compute import AmlCompute, AmlComputeProvisioningConfiguration
    from .attached import DaskAttachConfiguration, DaskCompute
    from .compute_instance import ComputeInstance, ComputeInstanceProvisioningConfiguration

_LAZY = {
    "AksCompute": ".aks_compute",
    "AksProvisioningConfiguration": ".aks_compute",
    "AmlCompute": ".aml_compute",
    "AmlComputeProvisioningConfiguration": ".aml_compute",
    "ComputeInstance": ".compute_instance",
    "ComputeInstanceProvisioningConfiguration": ".compute_instance",
    "DaskCompute": ".attached",
    "DaskAttachConfiguration": ".attached",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


__all__ = ["AksCompute", "AksProvisioningConfiguration", "AmlCompute",
           "AmlComputeProvisioningConfiguration", "ComputeInstance",
           "ComputeInstanceProvisioningConfiguration", "ComputeTarget", "ComputeTargetException",
           "DaskAttachConfiguration", "DaskCompute", "LocalTarget"]
