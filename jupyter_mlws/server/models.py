"""Server services of the model and service rows of the table (``api/models.py``,
``api/services.py``): the SDK's ``Model`` and ``Webservice`` over the server's store, so the
registry's rules (aliases, history, a model in use is not deleted) and a service's state
reconciliation live in one place. Keys leave only through :func:`service_keys`."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from ..api.operation import Request
from ..core.identity import acting_as
from ..core.model import Model
from ..core.webservice import Webservice
from ..core.webservice.registry import list_records, model_ids
from ..core.workspace import Workspace
from ..store.base import Store
from .base import ApiError

if TYPE_CHECKING:
    from .routes import OperationHandler


def _workspace(store: Store, workspace_id: str) -> Workspace:
    return Workspace._from_record(store, store.get_workspace_by_id(workspace_id))


def model_summary(model: Model, used_by: dict[str, list[str]]) -> dict[str, Any]:
    """A version as the API answers it (``api.models.ModelVersion``)."""
    record = model._record
    spec = record.spec
    return {"id": model.id, "name": model.name, "version": model.version,
            "workspace_id": record.workspace_id, "created_time": record.created_time,
            "updated_time": record.updated_time, "created_by": model.created_by,
            "description": model.description, "tags": model.tags,
            "properties": model.properties, "framework": model.model_framework,
            "framework_version": model.model_framework_version,
            "experiment_name": model.experiment_name, "run_id": model.run_id,
            "datasets": list(spec.get("datasets") or []),
            "sample_input_dataset": model.sample_input_dataset,
            "sample_output_dataset": model.sample_output_dataset,
            "aliases": model.aliases, "root": spec.get("root", ""),
            "snapshot_id": spec.get("snapshotId", ""), "files": model.files,
            "used_by": used_by.get(model.id, [])}


def _users(workspace: Workspace) -> dict[str, list[str]]:
    """{model id: names of the services deploying it}, from one listing of the services."""
    users: dict[str, list[str]] = {}
    for record in list_records(workspace):
        for model_id in model_ids(record):
            users.setdefault(model_id, []).append(record.name)
    return users


def list_models(store: Store, workspace_id: str, query: Any) -> dict[str, Any]:
    workspace = _workspace(store, workspace_id)
    found = Model.list(workspace, name=query.name, run_id=query.run_id, latest=query.latest,
                       model_framework=query.framework, tags=_filters(query.tags),
                       properties=_filters(query.properties))
    users = _users(workspace)
    return {"models": [model_summary(m, users) for m in found]}


def _filters(pairs: dict[str, str | None] | None) -> list[Any] | None:
    """Query filters as v1's ``tags=[key, [key, value]]``."""
    if not pairs:
        return None
    return [key if value is None else [key, value] for key, value in pairs.items()]


def get_model(store: Store, workspace_id: str, name: str, query: Any) -> dict[str, Any]:
    workspace = _workspace(store, workspace_id)
    model = Model(workspace, name, version=query.version, alias=query.alias)
    return model_summary(model, _users(workspace))


def update_model(store: Store, workspace_id: str, name: str, version: int,
                 body: Any) -> dict[str, Any]:
    workspace = _workspace(store, workspace_id)
    model = Model(workspace, name, version=version)
    tags = None
    if body.tags is not None or body.remove_tags:
        tags = {**model.tags, **(body.tags or {})}
        for key in body.remove_tags or []:
            tags.pop(key, None)
        tags = {k: v for k, v in tags.items() if v is not None}
    model.update(tags=tags, description=body.description)  # one history event
    if body.properties:
        model.add_properties(body.properties)
    model.refresh()
    return model_summary(model, _users(workspace))


def delete_model(store: Store, workspace_id: str, name: str, version: int) -> None:
    Model(_workspace(store, workspace_id), name, version=version).delete()  # in use: 409


def set_alias(store: Store, workspace_id: str, name: str, alias: str,
              version: int) -> dict[str, Any]:
    workspace = _workspace(store, workspace_id)
    model = Model(workspace, name, version=version)
    model.set_alias(alias)
    return model_summary(model, _users(workspace))


def remove_alias(store: Store, workspace_id: str, name: str, alias: str) -> None:
    workspace = _workspace(store, workspace_id)
    Model(workspace, name, alias=alias).remove_alias(alias)


def model_history(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    workspace = _workspace(store, workspace_id)
    events = Model.history(workspace, name)
    if not events:
        Model(workspace, name)  # 404 for a model that never existed, not []
    return {"events": events}


# ---- services


def service_summary(service: Webservice) -> dict[str, Any]:
    """A service as the API answers it (``api.services.Service``): never its keys."""
    record = service._record
    return {"name": service.name, "compute_type": service.compute_type,
            "state": service.state, "error": service.error,
            "scoring_uri": service.scoring_uri, "swagger_uri": service.swagger_uri,
            "auth_enabled": service.auth_enabled, "tags": service.tags,
            "properties": service.properties, "description": service.description,
            "created_by": service.created_by, "created_time": record.created_time,
            "updated_time": record.updated_time, "models": model_ids(record),
            "compute_target": service.compute_target_name, "replicas": service.replicas,
            "restarts": service.restarts, "run_id": service.run_id}


def _service(store: Store, workspace_id: str, name: str) -> Webservice:
    return Webservice(_workspace(store, workspace_id), name)


def list_services(store: Store, workspace_id: str, query: Any) -> dict[str, Any]:
    found = Webservice.list(_workspace(store, workspace_id), compute_type=query.compute_type,
                            model_name=query.model_name)
    return {"services": [service_summary(s) for s in found]}


def get_service(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    return service_summary(_service(store, workspace_id, name))


def delete_service(store: Store, workspace_id: str, name: str) -> None:
    _service(store, workspace_id, name).delete()


def service_metrics(store: Store, workspace_id: str, name: str, query: Any) -> dict[str, Any]:
    return _service(store, workspace_id, name).get_service_metrics(query.since, query.until)


def service_drift(store: Store, workspace_id: str, name: str, query: Any) -> dict[str, Any]:
    from ..core.webservice.monitoring import sample_baseline

    service = _service(store, workspace_id, name)
    baseline = sample_baseline(service)
    report = service.get_drift(baseline, since=query.since, until=query.until)
    return {"baseline_dataset": {"id": baseline.id, "name": baseline.name,
                                 "version": baseline.version}, **report.to_dict()}


def service_logs(store: Store, workspace_id: str, name: str, num_lines: int) -> dict[str, Any]:
    return {"logs": _service(store, workspace_id, name).get_logs(num_lines=num_lines)}


def score(store: Store, workspace_id: str, name: str, body: bytes) -> dict[str, Any]:
    """Send ``body`` to the service as a client would (its key when it needs one); the
    service's answer, whatever its status, is the result."""
    import httpx

    service = _service(store, workspace_id, name)
    if not service.scoring_uri:
        raise ApiError(409, f"Service {name!r} is {service.state}: it has no scoring URI")
    headers = {"Content-Type": "application/json"}
    if service.auth_enabled:
        headers["Authorization"] = f"Bearer {service.get_keys()[0]}"
    started = time.perf_counter()
    try:
        answer = httpx.post(service.scoring_uri, content=body, headers=headers, timeout=60)
    except httpx.HTTPError as exc:
        raise ApiError(502, f"Service {name!r} did not answer: {type(exc).__name__}") \
            from exc
    return {"status": answer.status_code, "body": answer.text,
            "latency_ms": (time.perf_counter() - started) * 1000}


def service_keys(store: Store, workspace_id: str, name: str) -> dict[str, Any]:
    primary, secondary = _service(store, workspace_id, name).get_keys()
    return {"primary_key": primary, "secondary_key": secondary}


def regenerate_key(store: Store, workspace_id: str, name: str, body: Any) -> None:
    _service(store, workspace_id, name).regen_key(body.key_type, set_key=body.key_value)


# ---- the services, as routes.py calls them


def _acting(identity: str, fn: Any) -> Any:
    """``fn`` run as the request's user, so the registry's history names who did it."""
    def run(*args: Any) -> Any:
        with acting_as(identity) if identity else contextlib.nullcontext():
            return fn(*args)

    return run


def _on(fn: Any, *names: str, query: bool = False, body: str | None = None) -> Any:
    """A service calling ``fn(store, workspace_id, <path params>, [query], [body...])``."""
    async def service(handler: OperationHandler, request: Request) -> Any:
        args: list[Any] = [request.params[n] for n in ("workspace_id", *names)]
        if query:
            args.append(request.query)
        if body == "whole":
            args.append(request.body)
        elif body is not None:
            args.append(getattr(request.body, body))
        return await handler.call_store(_acting(handler.identity, fn), *args)

    return service


async def _logs(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(service_logs, request.params["workspace_id"],
                                    request.params["service_name"],
                                    request.query.num_lines)  # type: ignore[union-attr]


MODEL_SERVICES = {
    "listModels": _on(list_models, query=True),
    "getModel": _on(get_model, "model_name", query=True),
    "updateModel": _on(update_model, "model_name", "version", body="whole"),
    "deleteModel": _on(delete_model, "model_name", "version"),
    "setModelAlias": _on(set_alias, "model_name", "alias", body="version"),
    "removeModelAlias": _on(remove_alias, "model_name", "alias"),
    "getModelHistory": _on(model_history, "model_name"),
    "listServices": _on(list_services, query=True),
    "getService": _on(get_service, "service_name"),
    "deleteService": _on(delete_service, "service_name"),
    "getServiceMetrics": _on(service_metrics, "service_name", query=True),
    "getServiceDrift": _on(service_drift, "service_name", query=True),
    "getServiceLogs": _logs,
    "scoreService": _on(score, "service_name", body="whole"),
    "listServiceKeys": _on(service_keys, "service_name"),
    "regenerateServiceKey": _on(regenerate_key, "service_name", body="whole"),
}

__all__ = ["MODEL_SERVICES", "model_summary", "service_summary"]
