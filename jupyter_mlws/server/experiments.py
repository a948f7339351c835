"""Experiments of a workspace: list (with run counts), create, get, archive/tag, delete."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.base import ExperimentRecord, NotFoundError
from .authz import MlwsResource
from .base import (
    ApiError,
    MlwsHandler,
    bad_request,
    check_experiment_name,
    check_fields,
    check_id,
    check_tags,
)

VIEW_TYPES = ("ActiveOnly", "ArchivedOnly", "All")
_PATCH_FIELDS = {"archived", "tags", "remove_tags"}


def parse_experiment_patch(
        body: dict[str, Any]) -> tuple[bool | None, dict[str, str] | None, list[str] | None]:
    """(archived, tags to set, tag keys to remove) of an experiment PATCH body, checked.
    Shared by the by-name and the by-id experiment routes."""
    check_fields(body, _PATCH_FIELDS)
    archived: Any = body.get("archived")
    if archived is not None and not isinstance(archived, bool):
        raise bad_request("'archived' must be true or false.")
    set_tags = check_tags(body["tags"]) if body.get("tags") is not None else None
    remove = body.get("remove_tags")
    if remove is not None and (not isinstance(remove, list)
                               or not all(isinstance(k, str) for k in remove)):
        raise bad_request("'remove_tags' must be a list of strings.")
    return archived, set_tags, remove


class ExperimentsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("experiment", workspace_id))
        view_type = self.query_str("view_type", "ActiveOnly")
        if view_type not in VIEW_TYPES:
            raise bad_request(f"view_type must be one of {', '.join(VIEW_TYPES)}.")
        name = self.query_str("name", max_length=255)
        tags = self.query_pairs("tag")
        with_counts = self.query_bool("with_run_counts", False)
        await self.load_workspace(workspace_id)  # 404 for an unknown workspace, not []
        records = await self.call(self.store.list_experiments, workspace_id, view_type, name,
                                  tags, with_counts)
        self.send_json({"experiments": records})

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, {"name"})
        name = check_experiment_name(body.get("name"))  # type: ignore[arg-type]
        self.authorize("write", MlwsResource("experiment", workspace_id, name))
        await self.load_workspace(workspace_id)
        if await self._find(workspace_id, name) is not None:
            raise ApiError(409, f"Experiment {name} already exists.", "Conflict")
        record = await self.call(self.store.get_or_create_experiment, workspace_id, name)
        self.send_json(record, status=201)

    async def _find(self, workspace_id: str, name: str) -> ExperimentRecord | None:
        try:
            return await self.call(self.store.get_experiment, workspace_id, name)
        except ApiError as exc:
            if isinstance(exc.__cause__, NotFoundError):
                return None
            raise


class ExperimentHandler(MlwsHandler):
    async def _load(self, workspace_id: str, name: str, action: str) -> ExperimentRecord:
        check_id(workspace_id, "workspace id")
        check_experiment_name(name)
        self.authorize(action, MlwsResource("experiment", workspace_id, name))
        return await self.call(self.store.get_experiment, workspace_id, name)

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        self.send_json(await self._load(workspace_id, name, "read"))

    @web.authenticated
    @authorized
    async def patch(self, workspace_id: str, name: str) -> None:
        archived, set_tags, remove = parse_experiment_patch(self.json_body())
        record = await self._load(workspace_id, name, "write")
        updated = await self.call(self.store.update_experiment, record.id, archived=archived,
                                  set_tags=set_tags, remove_tags=remove)
        self.send_json(updated)

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str, name: str) -> None:
        record = await self._load(workspace_id, name, "delete")
        await self.call(self.store.delete_experiment, record.id)
        self.set_status(204)
        self.finish()
