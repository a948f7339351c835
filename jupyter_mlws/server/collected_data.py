"""Server services of a service's collected data (``api/services.py``: getCollectedData,
registerCollectedData) over the SDK's ``core/webservice/collected_data.py``, so the export and
versioning rules stay in one place.

Each also needs what it touches beyond its row's action: the listing names dataset versions
(read on the workspace's datasets); a registration reads the service's collected files (read on
the service) and copies them into the default datastore (write on the datastores)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.operation import ACTION_PREFIX, Request
from ..core.webservice.collected_data import collected_summary, register_collected
from ..store.base import Store
from ..store.data.registry import version_summary
from .authz import MlwsResource
from .models import _acting, _service

if TYPE_CHECKING:
    from .routes import OperationHandler


def _also(handler: OperationHandler, request: Request, operation: str, verb: str, kind: str,
          name: str | None) -> None:
    handler.mlws.authz.check_resource(handler.current_user, verb, MlwsResource(
        kind, request.params["workspace_id"], name,
        f"{ACTION_PREFIX}workspaces/{kind}s/{verb}", operation))


def summary(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    return collected_summary(_service(store, workspace_id, name))


def register(store: Store, workspace_id: str, name: str, designation: str,
             dataset_name: str | None) -> dict[str, Any]:
    dataset, created = register_collected(_service(store, workspace_id, name), designation,
                                          dataset_name)
    return {"created": created, "dataset": version_summary(dataset._record)}


async def summary_service(handler: OperationHandler, request: Request) -> Any:
    _also(handler, request, "getCollectedData", "read", "dataset", None)
    return await handler.call_store(summary, request.params["workspace_id"],
                                    request.params["service_name"])


async def register_service(handler: OperationHandler, request: Request) -> Any:
    params = request.params
    _also(handler, request, "registerCollectedData", "read", "service",
          params["service_name"])
    _also(handler, request, "registerCollectedData", "write", "datastore", None)
    body: Any = request.body
    return await handler.call_store(_acting(handler.identity, register),
                                    params["workspace_id"], params["service_name"],
                                    params["designation"], body.dataset_name)


COLLECTED_SERVICES = {
    "getCollectedData": summary_service,
    "registerCollectedData": register_service,
}

__all__ = ["COLLECTED_SERVICES"]
