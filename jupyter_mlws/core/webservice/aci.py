"""``AciWebservice``: v1's container-instance service, here one replica on this machine like
a local service, with ACI's defaults (key authentication optional)."""

from __future__ import annotations

from typing import Any

from .configs import AciServiceDeploymentConfiguration
from .webservice import Webservice


class AciWebservice(Webservice):
    _compute_type = "ACI"

    @staticmethod
    def deploy_configuration(cpu_cores: float | None = None, memory_gb: float | None = None,
                             tags: dict[str, Any] | None = None,
                             properties: dict[str, Any] | None = None,
                             description: str | None = None, location: str | None = None,
                             auth_enabled: bool | None = None, ssl_enabled: bool | None = None,
                             enable_app_insights: bool | None = None,
                             collect_model_data: bool | None = None,
                             primary_key: str | None = None, secondary_key: str | None = None,
                             **kwargs: Any) -> AciServiceDeploymentConfiguration:
        return AciServiceDeploymentConfiguration(
            cpu_cores=cpu_cores, memory_gb=memory_gb, tags=tags, properties=properties,
            description=description, location=location, auth_enabled=auth_enabled,
            ssl_enabled=ssl_enabled, enable_app_insights=enable_app_insights,
            collect_model_data=collect_model_data, primary_key=primary_key,
            secondary_key=secondary_key, **kwargs)

    def update(self, image: Any = None, tags: dict[str, Any] | None = None,
               properties: dict[str, Any] | None = None, description: str | None = None,
               auth_enabled: bool | None = None, ssl_enabled: bool | None = None,
               enable_app_insights: bool | None = None, models: list[Any] | None = None,
               inference_config: Any = None, collect_model_data: bool | None = None,
               **kwargs: Any) -> None:
        changes: dict[str, Any] = {}
        if auth_enabled is not None:
            changes["auth_enabled"] = bool(auth_enabled)
        if collect_model_data is not None:
            changes["collect_model_data"] = bool(collect_model_data)
        self._redeploy(models=models, inference_config=inference_config,
                       config_changes=changes, tags=tags, properties=properties,
                       description=description)


__all__ = ["AciWebservice"]
