"""The v1 import path ``azureml.core.compute_target``: ``ComputeTargetException`` and
``ComputeTarget``."""

from __future__ import annotations

from ..exceptions import ComputeTargetException
from .compute import ComputeTarget

__all__ = ["ComputeTarget", "ComputeTargetException"]
