"""REST routes the SDK's HTTP store needs for runs and experiments: create a run, update its
status and fields (heartbeats included), add properties, find a run or an experiment by id.
Thin: validate, authorize, call the store, serialize."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.base import ExperimentRecord, RunQuery
from .authz import MlwsResource
from .base import (
    MlwsHandler,
    bad_request,
    check_fields,
    check_id,
    check_str,
    check_tags,
)
from .experiments import parse_experiment_patch
from .runs import STATUSES, RunsHandler

_CREATE_FIELDS = {"experiment_id", "run_id", "status", "parent_run_id", "run_type",
                  "display_name", "description", "target", "properties", "tags",
                  "run_definition", "owner"}
_STATE_FIELDS = {"status", "display_name", "description", "error", "snapshot_id",
                 "run_definition", "owner", "heartbeat", "only_if_active"}


def check_status(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or value not in STATUSES):
        raise bad_request(f"Unknown status {str(value)[:40]!r}.")
    return value


def check_object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise bad_request(f"{name!r} must be a JSON object.")
    return value


def check_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise bad_request(f"{name!r} must be true or false.")
    return value


def check_properties(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()):
        raise bad_request("'properties' must map non-empty keys to strings.")
    return value


class SdkRunsHandler(RunsHandler):
    """The runs collection: the listing of :class:`RunsHandler` (plus an ``experiment_id``
    filter, since the store names experiments by id) and POST to create a run."""

    def _query(self, *args: Any, **kwargs: Any) -> RunQuery:
        query = super()._query(*args, **kwargs)
        experiment_id = self.query_str("experiment_id", max_length=255)
        if experiment_id:
            query.experiment_id = check_id(experiment_id, "experiment id")
        return query

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, _CREATE_FIELDS)
        experiment_id = check_id(check_str(body, "experiment_id", required=True) or "",
                                 "experiment id")
        run_id = check_id(check_str(body, "run_id", required=True) or "", "run id")
        parent = check_str(body, "parent_run_id", max_length=255)
        kwargs = {
            "status": check_status(body.get("status", "NotStarted")),
            "parent_run_id": check_id(parent, "parent run id") if parent else None,
            "run_type": check_str(body, "run_type", max_length=255),
            "display_name": check_str(body, "display_name", max_length=255),
            "description": check_str(body, "description"),
            "target": check_str(body, "target", max_length=255) or "local",
            "properties": check_properties(body.get("properties") or {}),
            "tags": check_tags(body.get("tags") or {}),
            "run_definition": check_object(body, "run_definition") or {},
            "owner": check_str(body, "owner", max_length=512),
        }
        self.authorize("write", MlwsResource("run", workspace_id, run_id))
        # The experiment must belong to the workspace the request was authorized for.
        await self.call(self.store.get_experiment, workspace_id, None, experiment_id)
        record = await self.call(self.store.create_run, workspace_id, experiment_id,
                                 run_id=run_id, **kwargs)
        self.send_json(record, status=201)


class RunLookupHandler(MlwsHandler):
    """A run by id alone (the store's ``get_run(run_id)``): how a client learns its workspace."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        check_id(run_id, "run id")
        self.authorize("read", MlwsResource("run"))
        record = await self.call(self.store.get_run, run_id)
        self.authorize("read", MlwsResource("run", record.workspace_id, run_id))
        self.send_json(record)


class RunStateHandler(MlwsHandler):
    """``update_run``: status (with timings), error, owner, heartbeat, snapshot, definition."""

    @web.authenticated
    @authorized
    async def patch(self, workspace_id: str, run_id: str) -> None:
        body = self.json_body()
        check_fields(body, _STATE_FIELDS)
        snapshot = check_str(body, "snapshot_id", max_length=255)
        kwargs = {
            "status": check_status(body.get("status")),
            "display_name": check_str(body, "display_name", max_length=255),
            "description": check_str(body, "description"),
            "error": check_object(body, "error"),
            "snapshot_id": check_id(snapshot, "snapshot id") if snapshot else None,
            "run_definition": check_object(body, "run_definition"),
            "owner": check_str(body, "owner", max_length=512),
            "heartbeat": check_bool(body, "heartbeat"),
            "only_if_active": check_bool(body, "only_if_active"),
        }
        self.authorize("write", MlwsResource("run", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        self.send_json(await self.call(self.store.update_run, run_id, **kwargs))


class RunPropertiesHandler(MlwsHandler):
    """``add_run_properties``: add-only; a changed value is 409."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, run_id: str) -> None:
        body = self.json_body()
        check_fields(body, {"properties"})
        properties = check_properties(body.get("properties"))
        self.authorize("write", MlwsResource("run", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        merged = await self.call(self.store.add_run_properties, run_id, properties)
        self.send_json({"properties": merged})


class ExperimentByIdHandler(MlwsHandler):
    """An experiment by id (the store's key): get, archive/tag, delete."""

    async def _load(self, workspace_id: str, experiment_id: str,
                    action: str) -> ExperimentRecord:
        check_id(workspace_id, "workspace id")
        check_id(experiment_id, "experiment id")
        self.authorize(action, MlwsResource("experiment", workspace_id))
        record = await self.call(self.store.get_experiment, workspace_id, None, experiment_id)
        self.authorize(action, MlwsResource("experiment", workspace_id, record.name))
        return record

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, experiment_id: str) -> None:
        self.send_json(await self._load(workspace_id, experiment_id, "read"))

    @web.authenticated
    @authorized
    async def patch(self, workspace_id: str, experiment_id: str) -> None:
        archived, set_tags, remove = parse_experiment_patch(self.json_body())
        record = await self._load(workspace_id, experiment_id, "write")
        self.send_json(await self.call(self.store.update_experiment, record.id,
                                       archived=archived, set_tags=set_tags,
                                       remove_tags=remove))

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str, experiment_id: str) -> None:
        record = await self._load(workspace_id, experiment_id, "delete")
        await self.call(self.store.delete_experiment, record.id)
        self.set_status(204)
        self.finish()
