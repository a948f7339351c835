"""Runs of a workspace: filtered, sorted pages; details; tags and names; cancel; delete."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..execution.cancel import request_cancel
from ..store.base import ACTIVE_STATUSES, TERMINAL_STATUSES, RunQuery
from .authz import MlwsResource
from .base import (
    MlwsHandler,
    bad_request,
    check_experiment_name,
    check_fields,
    check_id,
    check_metric_name,
    check_str,
    check_tags,
)

STATUSES = ACTIVE_STATUSES | TERMINAL_STATUSES
ORDER_FIELDS = ("created_time", "start_time", "end_time", "status", "number", "display_name",
                "run_type", "target")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_FILTER_LENGTH = 4096
VALUES_LIMIT = 100_000  # runs per run-values read (10,000 runs x 20 columns is ~4 MB of JSON)
MAX_COLUMNS = 100  # keeps the URL of a values read well under the server's header limit
_PATCH_FIELDS = {"tags", "remove_tags", "description", "display_name"}


class RunsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        self.authorize("read", MlwsResource("run", check_id(workspace_id, "workspace id")))
        await self.send_page(workspace_id, await self._workspace_query(workspace_id))

    async def _workspace_query(self, workspace_id: str, *, limit: int = DEFAULT_LIMIT,
                               max_limit: int = MAX_LIMIT) -> RunQuery:
        """The query parameters, with ``experiment`` resolved (404 when unknown, as an
        unknown workspace is)."""
        query = self._query(limit, max_limit)
        experiment = self.query_str("experiment", max_length=255)
        if experiment:
            check_experiment_name(experiment)
            record = await self.call(self.store.get_experiment, workspace_id, experiment)
            query.experiment_id = record.id
        else:
            await self.load_workspace(workspace_id)  # 404 for an unknown workspace, not []
        return query

    def _query(self, limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> RunQuery:
        statuses: list[str] = []
        for raw in self.get_query_arguments("status"):
            statuses.extend(s for s in raw.split(",") if s)
        if len(statuses) > len(STATUSES):
            raise bad_request("Too many status filters.")
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise bad_request(f"Unknown status {unknown[0][:40]!r}.")
        order_by = self.query_str("order_by", "created_time") or "created_time"
        prefix, colon, name = order_by.partition(":")
        if colon and prefix in ("metric", "tag", "property"):
            check_metric_name(name)
        elif order_by not in ORDER_FIELDS:
            raise bad_request(f"order_by must be one of {', '.join(ORDER_FIELDS)}, "
                              "metric:<name>, tag:<key> or property:<key>.")
        parent = self.query_str("parent_run_id")
        return RunQuery(
            parent_run_id=check_id(parent, "parent run id") if parent else None,
            include_children=self.query_bool("include_children", False),
            recursive=self.query_bool("recursive", False),
            status=statuses or None,
            tags=self.query_pairs("tag"),
            properties=self.query_pairs("property"),
            run_type=self.query_str("run_type", max_length=255) or None,
            text=self.query_str("text", max_length=255) or None,
            # A value query; the store parses it (a bad one is a 400 saying where it fails).
            filter=self.query_str("filter", max_length=MAX_FILTER_LENGTH) or None,
            order_by=order_by,
            descending=self.query_bool("descending", True),
            limit=self.query_int("limit", limit, minimum=1, maximum=max_limit),
            offset=self.query_int("offset", 0, minimum=0) or 0,
        )

    async def send_page(self, workspace_id: str, query: RunQuery) -> None:
        runs = await self.call(self.store.list_runs, workspace_id, query)
        total = await self.call(self.store.count_runs, workspace_id, query)
        self.send_json({"runs": runs, "total": total})


class RunHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str) -> None:
        self.authorize("read", MlwsResource("run", workspace_id, run_id))
        self.send_json(await self.load_run(workspace_id, run_id))

    @web.authenticated
    @authorized
    async def patch(self, workspace_id: str, run_id: str) -> None:
        body = self.json_body()
        check_fields(body, _PATCH_FIELDS)
        set_tags = check_tags(body["tags"]) if body.get("tags") is not None else None
        remove: Any = body.get("remove_tags")
        if remove is not None and (not isinstance(remove, list)
                                   or not all(isinstance(k, str) and k for k in remove)):
            raise bad_request("'remove_tags' must be a list of non-empty strings.")
        description = check_str(body, "description")
        display_name = check_str(body, "display_name", max_length=255)
        self.authorize("write", MlwsResource("run", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        if set_tags:
            await self.call(self.store.set_run_tags, run_id, set_tags)
        if remove:
            await self.call(self.store.remove_run_tags, run_id, remove)
        if description is not None or display_name is not None:
            await self.call(self.store.update_run, run_id, description=description,
                            display_name=display_name)
        self.send_json(await self.load_run(workspace_id, run_id))

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str, run_id: str) -> None:
        self.authorize("delete", MlwsResource("run", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        await self.call(self.store.delete_run, run_id)
        self.set_status(204)
        self.finish()


class RunCancelHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, run_id: str) -> None:
        self.authorize("execute", MlwsResource("run", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        # A finished run reports its final state; a script run is asked to stop (its executor
        # kills the process tree), any other active run is marked Canceled at once.
        record = await self.call(request_cancel, self.store, run_id)
        self.send_json(record)


class RunChildrenHandler(RunsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str) -> None:  # type: ignore[override]
        self.authorize("read", MlwsResource("run", workspace_id, run_id))
        query = self._query()
        await self.load_run(workspace_id, run_id)
        query.parent_run_id = run_id
        await self.send_page(workspace_id, query)


class RunKeysHandler(RunsHandler):
    """The metric, tag, property and parameter names of the runs the query matches."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:  # type: ignore[override]
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("run", workspace_id))
        self.authorize("read", MlwsResource("metric", workspace_id))
        query = await self._workspace_query(workspace_id)
        self.send_json(await self.call(self.store.list_run_keys, workspace_id, query))


class RunValuesHandler(RunsHandler):
    """Chosen values (``column=metrics.accuracy&column=tags.team``) of every run the query
    matches (up to VALUES_LIMIT), as columns: one read for an analysis view of 10,000 runs."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:  # type: ignore[override]
        check_id(workspace_id, "workspace id")
        columns = self.get_query_arguments("column")
        if len(columns) > MAX_COLUMNS or any(len(c) > 255 for c in columns):
            raise bad_request(f"At most {MAX_COLUMNS} columns of at most 255 characters.")
        self.authorize("read", MlwsResource("run", workspace_id))
        self.authorize("read", MlwsResource("metric", workspace_id))
        query = await self._workspace_query(workspace_id, limit=VALUES_LIMIT,
                                            max_limit=VALUES_LIMIT)
        self.send_json(await self.call(self.store.get_run_values, workspace_id, query, columns))
