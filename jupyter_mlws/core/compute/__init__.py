"""Compute targets, shaped like ``azureml.core.compute``: ``ComputeTarget``, ``AmlCompute``
(a Dask cluster), ``ComputeInstance`` (a Jupyter kernel) and ``DaskCompute`` (an attached Dask
scheduler). Subclasses load on first access so importing the package stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_getattr
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


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = ["AksCompute", "AksProvisioningConfiguration", "AmlCompute",
           "AmlComputeProvisioningConfiguration", "ComputeInstance",
           "ComputeInstanceProvisioningConfiguration", "ComputeTarget", "ComputeTargetException",
           "DaskAttachConfiguration", "DaskCompute", "LocalTarget"]
