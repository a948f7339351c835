"""Server services: the rows of the table that are not one store call (cancel a run, the API
document, the workspace of a config.json, compute targets, environments, script-run
submission, the datastore listing, the studio's dataset views, those of the key vault and
access control, models and deployed services and their collected data), by operation id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..api.openapi import openapi_document
from ..api.operation import API_PREFIX, Request
from ..execution.cancel import request_cancel
from . import datasets
from .access_services import ACCESS_SERVICES
from .collected_data import COLLECTED_SERVICES
from .compute import (
    computes_service,
    create_compute_service,
    delete_compute_service,
    get_compute_service,
    stop_compute_service,
    submit_service,
)
from .datastores import datastores_service
from .environments import (
    build_log_service,
    built_environments_service,
    environment_service,
    environments_service,
)
from .models import MODEL_SERVICES
from .workspace_config import workspace_config_service

if TYPE_CHECKING:
    from .routes import OperationHandler


async def cancel_service(handler: OperationHandler, request: Request) -> Any:
    # A finished run reports its final state; a script run is asked to stop (its executor
    # kills the process tree), any other active run is marked Canceled at once.
    return await handler.call_store(request_cancel, request.params["run_id"])


async def openapi_service(handler: OperationHandler, request: Request) -> Any:
    document = dict(openapi_document())
    # Point "servers" at this server's mount point, so clients and tools need no setup.
    document["servers"] = [{"url": handler.base_url.rstrip("/") + API_PREFIX}]
    return document


Service = Callable[["OperationHandler", Request], Awaitable[Any]]
SERVICES: dict[str, Service] = {
    "cancelRun": cancel_service,
    "getOpenApi": openapi_service,
    "getWorkspaceConfig": workspace_config_service,
    "listComputeTargets": computes_service,
    "createComputeTarget": create_compute_service,
    "getComputeTarget": get_compute_service,
    "deleteComputeTarget": delete_compute_service,
    "stopComputeTarget": stop_compute_service,
    "listEnvironments": environments_service,
    "getEnvironment": environment_service,
    "listBuiltEnvironments": built_environments_service,
    "getBuildLog": build_log_service,
    "submitScriptRun": submit_service,
    "listDatastores": datastores_service,
    "listDatasets": datasets.datasets_service,
    "registerDatasetFromFiles": datasets.register_service,
    "getDataset": datasets.dataset_service,
    "getDatasetVersion": datasets.version_service,
    "previewDatasetVersion": datasets.preview_service,
    "getDatasetProfile": datasets.profile_service,
    "computeDatasetProfile": datasets.compute_profile_service,
    "listDatasetRuns": datasets.dataset_runs_service,
    "getRunDatasets": datasets.run_datasets_service,
    **ACCESS_SERVICES,  # the key vault's and access control's (server/access_services.py)
    **MODEL_SERVICES,
    **COLLECTED_SERVICES,  # a service's collected data as datasets (server/collected_data.py)
}

__all__ = ["SERVICES"]
