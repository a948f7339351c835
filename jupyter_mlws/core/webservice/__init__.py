"""Deployed services, at v1's import path ``azureml.core.webservice``: ``Webservice``,
``LocalWebservice`` (no Docker), ``AciWebservice`` and ``AksWebservice`` (replicas on an
inference cluster). Classes load on first access so importing the package stays cheap."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .aci import AciWebservice
    from .aks import AksWebservice
    from .configs import (
        AciServiceDeploymentConfiguration,
        AksServiceDeploymentConfiguration,
        LocalWebserviceDeploymentConfiguration,
    )
    from .local import LocalWebservice
    from .webservice import Webservice

_LAZY = {
    "Webservice": ".webservice",
    "LocalWebservice": ".local",
    "AciWebservice": ".aci",
    "AksWebservice": ".aks",
    "LocalWebserviceDeploymentConfiguration": ".configs",
    "AciServiceDeploymentConfiguration": ".configs",
    "AksServiceDeploymentConfiguration": ".configs",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


__all__ = ["AciServiceDeploymentConfiguration", "AciWebservice",
           "AksServiceDeploymentConfiguration", "AksWebservice", "LocalWebservice",
           "LocalWebserviceDeploymentConfiguration", "Webservice"]
