"""Deployed services, at v1's import path ``azureml.core.webservice``: ``Webservice``,
``LocalWebservice`` (no Docker), ``AciWebservice`` and ``AksWebservice`` (replicas on an
inference cluster). Classes load on first access so importing the package stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_getattr

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


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = ["AciServiceDeploymentConfiguration", "AciWebservice",
           "AksServiceDeploymentConfiguration", "AksWebservice", "LocalWebservice",
           "LocalWebserviceDeploymentConfiguration", "Webservice"]
