"""``LocalWebservice``: one replica on this machine, no Docker (v1's local deployment)."""

from __future__ import annotations

from typing import Any

from ...exceptions import WebserviceException
from .configs import LocalWebserviceDeploymentConfiguration
from .webservice import Webservice


class LocalWebservice(Webservice):
    _compute_type = "Local"

    @staticmethod
    def deploy_configuration(port: int | None = None) -> LocalWebserviceDeploymentConfiguration:
        """``port``: where to listen on 127.0.0.1 (a free port when None)."""
        return LocalWebserviceDeploymentConfiguration(port=port)

    def update(self, models: list[Any] | None = None, image_config: Any = None,
               deployment_config: Any = None, wait: bool = False,
               inference_config: Any = None) -> None:
        """New models, code or environment, rolled out without a failed request."""
        if image_config is not None:
            raise WebserviceException("image_config: services here have no container image; "
                                      "give inference_config")
        changes: dict[str, Any] = {}
        if deployment_config is not None:
            if not isinstance(deployment_config, LocalWebserviceDeploymentConfiguration):
                raise WebserviceException("deployment_config must come from "
                                          "LocalWebservice.deploy_configuration(...)")
            if deployment_config.port and deployment_config.port != self.port:
                raise WebserviceException("A running service keeps its port; delete and "
                                          "deploy it again to move it")
        self._redeploy(models=models, inference_config=inference_config,
                       config_changes=changes)
        if wait:
            self.wait_for_deployment()


__all__ = ["LocalWebservice"]
