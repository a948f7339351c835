"""Deployed services (v1's ``Webservice``): state, scoring URI, replicas, monitoring figures,
logs, the studio's test console, keys and deletion. Server services (``server/models.py``)
over the SDK; a service's keys are only ever in ``listServiceKeys``'s answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .datasets import DatasetSummary
from .operation import MiB, Operation, Request
from .types import AssetName, DatasetName, Model, QueryModel, ResponseModel, ShortText, Timestamp

MAX_CONSOLE_BODY = 1 * MiB


class Service(ResponseModel):
    name: str
    compute_type: str = Field(description="Local | ACI | AKS")
    state: str = Field(description="Transitioning | Healthy | Unhealthy | Failed | Deleting")
    error: dict[str, Any] | None
    scoring_uri: str | None
    swagger_uri: str | None
    auth_enabled: bool
    tags: dict[str, str]
    properties: dict[str, str]
    description: str
    created_by: str
    created_time: Timestamp | None
    updated_time: Timestamp | None
    models: list[str] = Field(description="'<name>:<version>' of the deployed models")
    compute_target: str | None
    replicas: list[dict[str, Any]] = Field(description="id, pid, generation, state, restarts")
    restarts: int
    run_id: str = Field(description="The monitoring run (request metrics, collected data)")


class ServiceList(ResponseModel):
    services: list[Service]


class ServiceQuery(QueryModel):
    compute_type: ShortText | None = None
    model_name: AssetName | None = Field(None, description="Services deploying this model")


class MetricsWindow(QueryModel):
    since: float | None = Field(None, ge=0, le=2**40, description="Epoch seconds")
    until: float | None = Field(None, ge=0, le=2**40, description="Epoch seconds")


class ServiceSeries(ResponseModel):
    time: list[float] = Field(description="Epoch seconds of each 1 s bucket; the first and "
                              "last second of each idle span are buckets of 0 requests")
    requests: list[float]
    errors: list[float]
    client_errors: list[float]
    bytes_in: list[float]
    bytes_out: list[float]
    latency_p50_ms: list[float | None]
    latency_p95_ms: list[float | None]
    latency_p99_ms: list[float | None]


class ServiceMetrics(ResponseModel):
    requests: int
    errors: int
    client_errors: int
    error_rate: float
    requests_per_second: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    bytes_in: int
    bytes_out: int
    requests_by_replica: dict[str, int]
    series: ServiceSeries


class DriftFeature(ResponseModel):
    feature: str
    type: str = Field(description="numeric | categorical")
    test: str | None = Field(description="ks | chi2 (None: no rows to compare)")
    statistic: float | None
    p_value: float | None
    psi: float | None
    drifted: bool
    n_baseline: int
    n_current: int


class ServiceDrift(ResponseModel):
    baseline_dataset: dict[str, Any] = Field(description="The model's sample input dataset")
    drifted: bool
    drifted_features: list[str]
    rows_baseline: int
    rows_current: int
    thresholds: dict[str, float]
    features: list[DriftFeature]


class LogsQuery(QueryModel):
    num_lines: int = Field(5000, ge=1, le=100_000)


class ServiceLogs(ResponseModel):
    logs: str


class ConsoleAnswer(ResponseModel):
    status: int = Field(description="The service's HTTP status")
    body: str
    latency_ms: float


class ServiceKeys(ResponseModel):
    primary_key: str
    secondary_key: str


class KeyRegeneration(Model):
    key_type: Literal["Primary", "Secondary"]
    key_value: str | None = Field(None, min_length=8, max_length=255,
                                  description="The new key (default: a random one)")


class CollectedDesignation(ResponseModel):
    designation: str
    files: int = Field(description="Parquet files collected (one per few seconds of rows)")
    rows: int
    bytes: int
    first_time: Timestamp | None
    last_time: Timestamp | None
    dataset_name: str = Field(description="The dataset a new version is registered as: "
                                          "'<service>-<designation>'")
    new_files: int = Field(description="Collected files not in the latest version of "
                                       "dataset_name (what a new version would add)")
    versions: list[DatasetSummary] = Field(description="Dataset versions made from this "
                                                       "designation, newest first")


class CollectedData(ResponseModel):
    service: str
    collect_model_data: bool = Field(description="Whether the service samples request "
                                                 "bodies and keeps ModelDataCollector rows")
    designations: list[CollectedDesignation]


class CollectedRegistration(Model):
    dataset_name: DatasetName | None = Field(None, description="Default: "
                                                               "'<service>-<designation>'")


class CollectedVersion(ResponseModel):
    created: bool = Field(description="False: no file arrived since the latest version, "
                                      "which is returned")
    dataset: DatasetSummary


def _service(request: Request) -> str:
    return str(request.params["service_name"])


def _collected_dataset(request: Request) -> str | None:
    """The dataset a registration writes; None until the body is read (checked again then)."""
    if request.body is None:
        return None
    return request.body.dataset_name or (f"{request.params['service_name']}-"
                                         f"{request.params['designation']}")


OPERATIONS = [
    Operation("listServices", "GET", "/workspaces/{workspace_id}/services",
              "workspaces/services/read", "Deployed services with their state",
              "workspace", query=ServiceQuery, response=ServiceList, resource="service",
              resource_name=lambda r: None),
    Operation("getService", "GET", "/workspaces/{workspace_id}/services/{service_name}",
              "workspaces/services/read", "A service: state, scoring URI, replicas",
              "workspace", response=Service, resource="service", resource_name=_service),
    Operation("deleteService", "DELETE",
              "/workspaces/{workspace_id}/services/{service_name}",
              "workspaces/services/delete", "Stop and remove a service (its monitoring run "
              "is kept)", "workspace", response_kind="empty", status=204,
              resource="service", resource_name=_service),
    Operation("getServiceMetrics", "GET",
              "/workspaces/{workspace_id}/services/{service_name}/metrics",
              "workspaces/services/read", "Monitoring: requests, errors, requests/s, latency "
              "percentiles over a window, and per-second series", "workspace",
              query=MetricsWindow, response=ServiceMetrics, resource="service",
              resource_name=_service),
    Operation("getServiceDrift", "GET",
              "/workspaces/{workspace_id}/services/{service_name}/drift",
              "workspaces/services/read", "Drift of the collected inputs in the window "
              "against the deployed model's sample input dataset, per feature (KS or "
              "chi-squared, PSI)", "workspace", query=MetricsWindow, response=ServiceDrift,
              resource="service", resource_name=_service),
    Operation("getServiceLogs", "GET",
              "/workspaces/{workspace_id}/services/{service_name}/logs",
              "workspaces/services/read", "The daemon's, the environment build's and each "
              "replica's log", "workspace", query=LogsQuery, response=ServiceLogs,
              resource="service", resource_name=_service),
    Operation("scoreService", "POST",
              "/workspaces/{workspace_id}/services/{service_name}/score",
              "workspaces/services/score/action", "The test console: send the body to the "
              "service's scoring URI (with its key) and return whatever it answered",
              "workspace", body_kind="bytes", response=ConsoleAnswer,
              max_body=MAX_CONSOLE_BODY, errors=(409, 413, 502), resource="service",
              resource_name=_service),
    Operation("listServiceKeys", "POST",
              "/workspaces/{workspace_id}/services/{service_name}/listKeys",
              "workspaces/services/listkeys/action", "The service's keys (the only "
              "answer that holds them)", "workspace", response=ServiceKeys,
              resource="service", resource_name=_service),
    Operation("regenerateServiceKey", "POST",
              "/workspaces/{workspace_id}/services/{service_name}/regenerateKeys",
              "workspaces/services/write", "A new primary or secondary key; replicas use it "
              "within half a second", "workspace", body=KeyRegeneration, body_kind="json",
              response_kind="empty", status=204, resource="service",
              resource_name=_service),
    Operation("getCollectedData", "GET",
              "/workspaces/{workspace_id}/services/{service_name}/collectedData",
              "workspaces/services/read", "What the service collected (collect_model_data, "
              "ModelDataCollector), per designation: files, rows, time span, and the dataset "
              "versions made from it (also needs read on the workspace's datasets)",
              "workspace", response=CollectedData, resource="service",
              resource_name=_service),
    Operation("registerCollectedData", "POST",
              "/workspaces/{workspace_id}/services/{service_name}/collectedData/{designation}",
              "workspaces/datasets/write", "Copy the designation's collected files not yet "
              "exported to the default datastore and register them as a new version of the "
              "dataset (the latest version when nothing arrived since); also needs read on "
              "the service and write on the workspace's datastores",
              "workspace", body=CollectedRegistration, body_kind="json",
              response=CollectedVersion, resource="dataset",
              resource_name=_collected_dataset),
]
