"""Deployment configurations, as v1's ``*.deploy_configuration(...)`` return them.

Every target runs on this machine as a service daemon with replica processes; a configuration
says how many (and whether they autoscale), the port, authentication, data collection and the
per-replica memory limit. What has no meaning without containers (GPU cores, probes, SSL,
virtual networks, namespaces) is accepted for compatibility and recorded, not used.
"""

from __future__ import annotations

from typing import Any

from ...exceptions import WebserviceException

_DEFAULT_AUTOSCALE = {"min": 1, "max": 10, "refresh_seconds": 1.0, "target_utilization": 70.0}


def _number(name: str, value: Any, *, minimum: float = 0, integer: bool = False,
            maximum: float | None = None) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise WebserviceException(f"{name} must be a number, got {value!r}")
    if integer and int(value) != value:
        raise WebserviceException(f"{name} must be a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise WebserviceException(f"{name} must be {bound}, got {value!r}")
    return int(value) if integer else float(value)


class DeploymentConfiguration:
    """What the daemon needs from any configuration."""

    compute_type = ""
    auth_default = False

    def __init__(self, *, port: int | None = None, cpu_cores: float | None = None,
                 memory_gb: float | None = None, auth_enabled: bool | None = None,
                 collect_model_data: bool | None = None, tags: dict[str, Any] | None = None,
                 properties: dict[str, Any] | None = None, description: str | None = None,
                 primary_key: str | None = None, secondary_key: str | None = None,
                 **recorded: Any) -> None:
        self.port = _number("port", port, minimum=0, integer=True, maximum=65535)
        self.cpu_cores = _number("cpu_cores", cpu_cores, minimum=0)
        self.memory_gb = _number("memory_gb", memory_gb, minimum=0)
        if memory_gb is not None and self.memory_gb == 0:
            raise WebserviceException("memory_gb must be more than 0")
        self.auth_enabled = self.auth_default if auth_enabled is None else bool(auth_enabled)
        self.collect_model_data = bool(collect_model_data)
        self.tags = tags
        self.properties = properties
        self.description = description
        for name, key in (("primary_key", primary_key), ("secondary_key", secondary_key)):
            if key is not None and (not isinstance(key, str) or len(key) < 8):
                raise WebserviceException(f"{name} must be a string of at least 8 characters")
        self.primary_key = primary_key
        self.secondary_key = secondary_key
        self.recorded = {k: v for k, v in recorded.items() if v is not None}

    def replicas(self) -> dict[str, Any]:
        return {"autoscale": False, "initial": 1, "min": 1, "max": 1}

    def validate_configuration(self) -> None:
        self.replicas()

    def serialize(self) -> dict[str, Any]:
        return {"computeType": self.compute_type, "port": self.port,
                "cpuCores": self.cpu_cores, "memoryGb": self.memory_gb,
                "authEnabled": self.auth_enabled, "collectModelData": self.collect_model_data,
                "replicas": self.replicas(), "tags": self.tags, "properties": self.properties,
                "description": self.description, **self.recorded}


class LocalWebserviceDeploymentConfiguration(DeploymentConfiguration):
    """``LocalWebservice.deploy_configuration(port=None)``: one replica on this machine, no
    Docker (a free port when none is given)."""

    compute_type = "Local"


class AciServiceDeploymentConfiguration(DeploymentConfiguration):
    """``AciWebservice.deploy_configuration(...)``: one replica, like a container instance
    (defaults cpu 0.1, memory 0.5 GB, no authentication)."""

    compute_type = "ACI"

    def __init__(self, cpu_cores: float | None = None, memory_gb: float | None = None,
                 tags: dict[str, Any] | None = None, properties: dict[str, Any] | None = None,
                 description: str | None = None, location: str | None = None,
                 auth_enabled: bool | None = None, ssl_enabled: bool | None = None,
                 enable_app_insights: bool | None = None, collect_model_data: bool | None = None,
                 primary_key: str | None = None, secondary_key: str | None = None,
                 port: int | None = None, **recorded: Any) -> None:
        if ssl_enabled:
            raise WebserviceException("ssl_enabled: services here listen on plain HTTP on "
                                      "this machine's loopback address")
        super().__init__(port=port, cpu_cores=0.1 if cpu_cores is None else cpu_cores,
                         memory_gb=0.5 if memory_gb is None else memory_gb,
                         auth_enabled=auth_enabled, collect_model_data=collect_model_data,
                         tags=tags, properties=properties, description=description,
                         primary_key=primary_key, secondary_key=secondary_key,
                         location=location, enable_app_insights=enable_app_insights, **recorded)


class AksServiceDeploymentConfiguration(DeploymentConfiguration):
    """``AksWebservice.deploy_configuration(...)``: replicas on an inference cluster, a fixed
    ``num_replicas`` or autoscaling between ``autoscale_min_replicas`` and
    ``autoscale_max_replicas`` (v1's defaults: autoscale on unless ``num_replicas`` is given,
    1 to 10 replicas, 70 % target utilization, key authentication on)."""

    compute_type = "AKS"
    auth_default = True

    def __init__(self, autoscale_enabled: bool | None = None,
                 autoscale_min_replicas: int | None = None,
                 autoscale_max_replicas: int | None = None,
                 autoscale_refresh_seconds: float | None = None,
                 autoscale_target_utilization: float | None = None,
                 collect_model_data: bool | None = None, auth_enabled: bool | None = None,
                 cpu_cores: float | None = None, memory_gb: float | None = None,
                 enable_app_insights: bool | None = None, scoring_timeout_ms: int | None = None,
                 replica_max_concurrent_requests: int | None = None,
                 max_request_wait_time: int | None = None, num_replicas: int | None = None,
                 primary_key: str | None = None, secondary_key: str | None = None,
                 tags: dict[str, Any] | None = None, properties: dict[str, Any] | None = None,
                 description: str | None = None, token_auth_enabled: bool | None = None,
                 autoscale_scale_down_delay: float | None = None, port: int | None = None,
                 **recorded: Any) -> None:
        if token_auth_enabled:
            raise WebserviceException("token_auth_enabled: services here use key "
                                      "authentication (auth_enabled=True)")
        if autoscale_enabled and num_replicas is not None:
            raise WebserviceException("Give num_replicas or autoscale_enabled=True, not both")
        self.autoscale_enabled = (num_replicas is None if autoscale_enabled is None
                                  else bool(autoscale_enabled))
        self.autoscale_min_replicas = _number("autoscale_min_replicas", autoscale_min_replicas,
                                              minimum=1, integer=True)
        self.autoscale_max_replicas = _number("autoscale_max_replicas", autoscale_max_replicas,
                                              minimum=1, integer=True)
        self.autoscale_refresh_seconds = _number("autoscale_refresh_seconds",
                                                 autoscale_refresh_seconds, minimum=0.1)
        self.autoscale_target_utilization = _number(
            "autoscale_target_utilization", autoscale_target_utilization, minimum=1,
            maximum=100)
        self.autoscale_scale_down_delay = _number("autoscale_scale_down_delay",
                                                  autoscale_scale_down_delay, minimum=0)
        self.num_replicas = _number("num_replicas", num_replicas, minimum=1, integer=True)
        self.scoring_timeout_ms = scoring_timeout_ms
        super().__init__(port=port, cpu_cores=0.1 if cpu_cores is None else cpu_cores,
                         memory_gb=0.5 if memory_gb is None else memory_gb,
                         auth_enabled=auth_enabled, collect_model_data=collect_model_data,
                         tags=tags, properties=properties, description=description,
                         primary_key=primary_key, secondary_key=secondary_key,
                         enable_app_insights=enable_app_insights,
                         scoring_timeout_ms=scoring_timeout_ms,
                         replica_max_concurrent_requests=replica_max_concurrent_requests,
                         max_request_wait_time=max_request_wait_time, **recorded)
        self.validate_configuration()

    def replicas(self) -> dict[str, Any]:
        if not self.autoscale_enabled:
            count = self.num_replicas or 1
            return {"autoscale": False, "initial": count, "min": count, "max": count}
        low = self.autoscale_min_replicas or _DEFAULT_AUTOSCALE["min"]
        high = self.autoscale_max_replicas or max(low, _DEFAULT_AUTOSCALE["max"])
        if low > high:
            raise WebserviceException(f"autoscale_min_replicas ({low}) is more than "
                                      f"autoscale_max_replicas ({high})")
        return {"autoscale": True, "initial": low, "min": low, "max": high,
                "refresh_seconds": self.autoscale_refresh_seconds
                or _DEFAULT_AUTOSCALE["refresh_seconds"],
                "target_utilization": self.autoscale_target_utilization
                or _DEFAULT_AUTOSCALE["target_utilization"],
                "scale_down_delay": (5.0 if self.autoscale_scale_down_delay is None
                                     else self.autoscale_scale_down_delay)}


__all__ = ["AciServiceDeploymentConfiguration", "AksServiceDeploymentConfiguration",
           "DeploymentConfiguration", "LocalWebserviceDeploymentConfiguration"]
