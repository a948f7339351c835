"""``AksWebservice``: a service on an inference cluster (:class:`~jupyter_mlws.core.compute.
AksCompute`): N replica processes sharing one port, a fixed number or autoscaling between
``autoscale_min_replicas`` and ``autoscale_max_replicas``, key authentication by default."""

from __future__ import annotations

from typing import Any

from ...exceptions import WebserviceException
from .configs import AksServiceDeploymentConfiguration
from .webservice import Webservice


class AksWebservice(Webservice):
    _compute_type = "AKS"

    @staticmethod
    def deploy_configuration(autoscale_enabled: bool | None = None,
                             autoscale_min_replicas: int | None = None,
                             autoscale_max_replicas: int | None = None,
                             autoscale_refresh_seconds: float | None = None,
                             autoscale_target_utilization: float | None = None,
                             collect_model_data: bool | None = None,
                             auth_enabled: bool | None = None, cpu_cores: float | None = None,
                             memory_gb: float | None = None,
                             enable_app_insights: bool | None = None,
                             scoring_timeout_ms: int | None = None,
                             replica_max_concurrent_requests: int | None = None,
                             max_request_wait_time: int | None = None,
                             num_replicas: int | None = None, primary_key: str | None = None,
                             secondary_key: str | None = None,
                             tags: dict[str, Any] | None = None,
                             properties: dict[str, Any] | None = None,
                             description: str | None = None,
                             **kwargs: Any) -> AksServiceDeploymentConfiguration:
        return AksServiceDeploymentConfiguration(
            autoscale_enabled=autoscale_enabled, autoscale_min_replicas=autoscale_min_replicas,
            autoscale_max_replicas=autoscale_max_replicas,
            autoscale_refresh_seconds=autoscale_refresh_seconds,
            autoscale_target_utilization=autoscale_target_utilization,
            collect_model_data=collect_model_data, auth_enabled=auth_enabled,
            cpu_cores=cpu_cores, memory_gb=memory_gb, enable_app_insights=enable_app_insights,
            scoring_timeout_ms=scoring_timeout_ms,
            replica_max_concurrent_requests=replica_max_concurrent_requests,
            max_request_wait_time=max_request_wait_time, num_replicas=num_replicas,
            primary_key=primary_key, secondary_key=secondary_key, tags=tags,
            properties=properties, description=description, **kwargs)

    def update(self, image: Any = None, autoscale_enabled: bool | None = None,
               autoscale_min_replicas: int | None = None,
               autoscale_max_replicas: int | None = None,
               autoscale_refresh_seconds: float | None = None,
               autoscale_target_utilization: float | None = None,
               collect_model_data: bool | None = None, auth_enabled: bool | None = None,
               cpu_cores: float | None = None, memory_gb: float | None = None,
               enable_app_insights: bool | None = None, scoring_timeout_ms: int | None = None,
               replica_max_concurrent_requests: int | None = None,
               max_request_wait_time: int | None = None, num_replicas: int | None = None,
               tags: dict[str, Any] | None = None, properties: dict[str, Any] | None = None,
               description: str | None = None, models: list[Any] | None = None,
               inference_config: Any = None, **kwargs: Any) -> None:
        """Change what the service runs (a rolling update, no failed request) or its replica
        settings (applied in place). Returns at once; ``wait_for_deployment`` waits."""
        if image is not None:
            raise WebserviceException("image: services here have no container image; give "
                                      "inference_config")
        changes: dict[str, Any] = {}
        scale = {"autoscale_enabled": autoscale_enabled,
                 "autoscale_min_replicas": autoscale_min_replicas,
                 "autoscale_max_replicas": autoscale_max_replicas,
                 "autoscale_refresh_seconds": autoscale_refresh_seconds,
                 "autoscale_target_utilization": autoscale_target_utilization,
                 "num_replicas": num_replicas}
        if any(v is not None for v in scale.values()):
            current = self._deployment.get("replicas") or {}
            merged = {
                "autoscale_enabled": current.get("autoscale") if autoscale_enabled is None
                and num_replicas is None else autoscale_enabled,
                "autoscale_min_replicas": autoscale_min_replicas or current.get("min"),
                "autoscale_max_replicas": autoscale_max_replicas or current.get("max"),
                "autoscale_refresh_seconds": autoscale_refresh_seconds
                or current.get("refresh_seconds"),
                "autoscale_target_utilization": autoscale_target_utilization
                or current.get("target_utilization"),
                "autoscale_scale_down_delay": current.get("scale_down_delay"),
                "num_replicas": num_replicas}
            if num_replicas is not None:
                merged["autoscale_enabled"] = False
            changes["replicas"] = AksServiceDeploymentConfiguration(**merged).replicas()
        for key, value in (("auth_enabled", auth_enabled),
                           ("collect_model_data", collect_model_data)):
            if value is not None:
                changes[key] = bool(value)
        if memory_gb is not None:
            changes["memory_gb"] = float(memory_gb)
        if cpu_cores is not None:
            changes["cpu_cores"] = float(cpu_cores)
        self._redeploy(models=models, inference_config=inference_config,
                       config_changes=changes, tags=tags, properties=properties,
                       description=description)


__all__ = ["AksWebservice"]
