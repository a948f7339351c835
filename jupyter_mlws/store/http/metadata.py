"""Workspaces, experiments and runs over REST: each Store method is one request (list_runs
pages through results of more than one page)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from ..base import (
    ExperimentRecord,
    KeyCount,
    NotFoundError,
    RunKeys,
    RunQuery,
    RunRecord,
    RunValues,
    WorkspaceRecord,
)
from .codec import record
from .transport import Transport, seg

PAGE = 1000  # the server's largest page of runs
_NONFINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _pairs(filters: dict[str, str | None] | None) -> list[str]:
    return [key if value is None else f"{key}:{value}" for key, value in (filters or {}).items()]


class MetadataMixin:
    """Workspaces, experiments and runs."""

    http: Transport

    def __init__(self) -> None:
        # run id -> workspace id: run-scoped REST routes live under their workspace, while
        # the Store interface names runs by id only. Filled from every run record seen.
        self._run_workspace: dict[str, str] = {}
        self._experiment_workspace: dict[str, str] = {}
        self._cache_lock = threading.Lock()

    # ---- helpers
    def _ws_path(self, workspace_id: str) -> str:
        return f"/workspaces/{seg(workspace_id)}"

    def _remember(self, run: RunRecord) -> RunRecord:
        with self._cache_lock:
            self._run_workspace[run.id] = run.workspace_id
        return run

    def _run_record(self, data: dict[str, Any]) -> RunRecord:
        return self._remember(record(RunRecord, data))

    def _experiment(self, data: dict[str, Any]) -> ExperimentRecord:
        found = record(ExperimentRecord, data)
        with self._cache_lock:
            self._experiment_workspace[found.id] = found.workspace_id
        return found

    def _experiment_path(self, experiment_id: str) -> str:
        workspace_id = self._experiment_workspace.get(experiment_id)
        if workspace_id is None:
            # Not seen by this process: the Store names experiments by id alone, the REST
            # API under their workspace. Workspaces are few; ask each.
            for workspace in self.list_workspaces():
                try:
                    self.get_experiment(workspace.id, experiment_id=experiment_id)
                except NotFoundError:
                    continue
                workspace_id = workspace.id
                break
            else:
                raise NotFoundError(f"Experiment {experiment_id} not found")
        return f"{self._ws_path(workspace_id)}/experiments-by-id/{seg(experiment_id)}"

    def _workspace_of_run(self, run_id: str) -> str:
        workspace_id = self._run_workspace.get(run_id)
        if workspace_id is None:
            workspace_id = self._run_record(self.http.json("GET", f"/runs/{seg(run_id)}"))\
                .workspace_id
        return workspace_id

    def _run_path(self, run_id: str) -> str:
        return f"{self._ws_path(self._workspace_of_run(run_id))}/runs/{seg(run_id)}"

    # ---- workspaces
    def create_workspace(self, name: str, subscription_id: str, resource_group: str, *,
                         location: str = "local", storage_url: str | None = None,
                         friendly_name: str = "", description: str = "",
                         tags: dict[str, str | None] | None = None) -> WorkspaceRecord:
        body = {"name": name, "subscription_id": subscription_id,
                "resource_group": resource_group, "location": location,
                "friendly_name": friendly_name, "description": description,
                "tags": tags or {}}
        if storage_url is not None:
            body["storage_url"] = storage_url
        return record(WorkspaceRecord, self.http.json("POST", "/workspaces", body))

    def get_workspace(self, name: str, subscription_id: str | None = None,
                      resource_group: str | None = None) -> WorkspaceRecord:
        from ..base import ConflictError

        found = [w for w in self.list_workspaces(subscription_id, resource_group)
                 if w.name == name]
        if not found:
            raise NotFoundError(f"Workspace {name} not found")
        if len(found) > 1:
            raise ConflictError(
                f"Workspace name {name} is ambiguous; give subscription and resource group")
        return found[0]

    def get_workspace_by_id(self, workspace_id: str) -> WorkspaceRecord:
        return record(WorkspaceRecord, self.http.json("GET", self._ws_path(workspace_id)))

    def list_workspaces(self, subscription_id: str | None = None,
                        resource_group: str | None = None) -> list[WorkspaceRecord]:
        params = {k: v for k, v in (("subscription_id", subscription_id),
                                    ("resource_group", resource_group)) if v is not None}
        body = self.http.json("GET", "/workspaces", params=params)
        return [record(WorkspaceRecord, w) for w in body["workspaces"]]

    def update_workspace(self, workspace_id: str, *, tags: dict[str, str | None] | None = None,
                         description: str | None = None,
                         friendly_name: str | None = None) -> WorkspaceRecord:
        body = {k: v for k, v in (("tags", tags), ("description", description),
                                  ("friendly_name", friendly_name)) if v is not None}
        return record(WorkspaceRecord, self.http.json("PATCH", self._ws_path(workspace_id),
                                                      body))

    def delete_workspace(self, workspace_id: str) -> None:
        self.http.json("DELETE", self._ws_path(workspace_id))
        with self._cache_lock:
            self._run_workspace = {r: w for r, w in self._run_workspace.items()
                                   if w != workspace_id}

    # ---- experiments
    def get_or_create_experiment(self, workspace_id: str, name: str) -> ExperimentRecord:
        from ..base import ConflictError

        path = f"{self._ws_path(workspace_id)}/experiments"
        try:
            return self.get_experiment(workspace_id, name)
        except NotFoundError:
            pass
        try:
            return self._experiment(self.http.json("POST", path, {"name": name}))
        except ConflictError:  # created meanwhile by someone else: theirs is ours
            return self.get_experiment(workspace_id, name)

    def get_experiment(self, workspace_id: str, name: str | None = None,
                       experiment_id: str | None = None) -> ExperimentRecord:
        if experiment_id is not None:
            found = self._experiment(self.http.json(
                "GET", f"{self._ws_path(workspace_id)}/experiments-by-id/{seg(experiment_id)}"))
            if name is not None and found.name != name:
                raise NotFoundError(f"Experiment {experiment_id} not found")
            return found
        if name is None:
            raise NotFoundError("An experiment name or id is required")
        return self._experiment(self.http.json(
            "GET", f"{self._ws_path(workspace_id)}/experiments/{seg(name)}"))

    def list_experiments(self, workspace_id: str, view_type: str = "ActiveOnly",
                         name: str | None = None, tags: dict[str, str | None] | None = None,
                         with_run_counts: bool = False) -> list[ExperimentRecord]:
        params: dict[str, Any] = {"view_type": view_type,
                                  "with_run_counts": str(with_run_counts).lower(),
                                  "tag": _pairs(tags)}
        if name is not None:
            params["name"] = name
        body = self.http.json("GET", f"{self._ws_path(workspace_id)}/experiments",
                              params=params)
        return [self._experiment(e) for e in body["experiments"]]

    def update_experiment(self, experiment_id: str, *, archived: bool | None = None,
                          set_tags: dict[str, str | None] | None = None,
                          remove_tags: Iterable[str] | None = None) -> ExperimentRecord:
        body: dict[str, Any] = {}
        if archived is not None:
            body["archived"] = archived
        if set_tags is not None:
            body["tags"] = set_tags
        if remove_tags is not None:
            body["remove_tags"] = list(remove_tags)
        return self._experiment(self.http.json("PATCH", self._experiment_path(experiment_id),
                                               body))

    def delete_experiment(self, experiment_id: str) -> None:
        self.http.json("DELETE", self._experiment_path(experiment_id))

    # ---- runs
    def create_run(self, workspace_id: str, experiment_id: str, *, run_id: str,
                   status: str = "NotStarted", parent_run_id: str | None = None,
                   run_type: str | None = None, display_name: str | None = None,
                   description: str | None = None, target: str = "local",
                   properties: dict[str, str] | None = None,
                   tags: dict[str, str | None] | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None) -> RunRecord:
        body = {"experiment_id": experiment_id, "run_id": run_id, "status": status,
                "parent_run_id": parent_run_id, "run_type": run_type,
                "display_name": display_name, "description": description, "target": target,
                "properties": properties or {}, "tags": tags or {},
                "run_definition": run_definition or {}, "owner": owner}
        return self._run_record(self.http.json(
            "POST", f"{self._ws_path(workspace_id)}/runs",
            {k: v for k, v in body.items() if v is not None}))

    def get_run(self, run_id: str, workspace_id: str | None = None) -> RunRecord:
        if workspace_id is None:
            return self._run_record(self.http.json("GET", f"/runs/{seg(run_id)}"))
        return self._run_record(self.http.json(
            "GET", f"{self._ws_path(workspace_id)}/runs/{seg(run_id)}"))

    def _query_params(self, query: RunQuery) -> dict[str, Any]:
        params: dict[str, Any] = {
            "include_children": str(query.include_children).lower(),
            "recursive": str(query.recursive).lower(),
            "order_by": query.order_by, "descending": str(query.descending).lower(),
            "tag": _pairs(query.tags), "property": _pairs(query.properties)}
        for key in ("experiment_id", "parent_run_id", "run_type", "text", "filter"):
            value = getattr(query, key)
            if value is not None:
                params[key] = value
        if query.status:
            params["status"] = ",".join(query.status)
        return params

    def list_runs(self, workspace_id: str, query: RunQuery | None = None) -> list[RunRecord]:
        query = query or RunQuery()
        params = self._query_params(query)
        path = f"{self._ws_path(workspace_id)}/runs"
        runs: list[RunRecord] = []
        offset = query.offset
        while True:
            want = PAGE if query.limit is None else min(PAGE, query.limit - len(runs))
            if want <= 0:
                return runs
            page = self.http.json("GET", path, params={**params, "limit": want,
                                                       "offset": offset})["runs"]
            runs.extend(self._run_record(r) for r in page)
            offset += len(page)
            if len(page) < want:
                return runs

    def count_runs(self, workspace_id: str, query: RunQuery | None = None) -> int:
        params = self._query_params(query or RunQuery())
        body = self.http.json("GET", f"{self._ws_path(workspace_id)}/runs",
                              params={**params, "limit": 1, "offset": 0})
        return int(body["total"])

    def list_run_keys(self, workspace_id: str, query: RunQuery | None = None) -> RunKeys:
        body = self.http.json("GET", f"{self._ws_path(workspace_id)}/run-keys",
                              params=self._query_params(query or RunQuery()))
        keys = {ns: [record(KeyCount, k) for k in body.get(ns, [])]
                for ns in ("metrics", "tags", "properties", "parameters")}
        return RunKeys(**keys, attributes=list(body.get("attributes", [])),
                       runs=int(body.get("runs", 0)))

    def get_run_values(self, workspace_id: str, query: RunQuery,
                       columns: Sequence[str]) -> RunValues:
        params: dict[str, Any] = {**self._query_params(query), "column": list(columns),
                                  "offset": query.offset}
        if query.limit is not None:
            params["limit"] = query.limit
        body = self.http.json("GET", f"{self._ws_path(workspace_id)}/run-values", params=params)
        values = body.get("columns", {})
        # JSON spells non-finite metric values as strings; they come back as floats here.
        for key, column in values.items():
            if key.startswith("metrics."):
                values[key] = [_NONFINITE.get(v, v) if isinstance(v, str) else v
                               for v in column]
        return RunValues(ids=list(body.get("ids", [])), columns=values,
                         total=int(body.get("total", 0)))

    def update_run(self, run_id: str, *, status: str | None = None,
                   display_name: str | None = None, description: str | None = None,
                   error: dict[str, Any] | None = None, snapshot_id: str | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None, heartbeat: bool = False,
                   only_if_active: bool = False) -> RunRecord:
        fields = {"status": status, "display_name": display_name, "description": description,
                  "error": error, "snapshot_id": snapshot_id, "run_definition": run_definition,
                  "owner": owner}
        body: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        if heartbeat:
            body["heartbeat"] = True
        if only_if_active:
            body["only_if_active"] = True
        return self._run_record(self.http.json("PATCH", f"{self._run_path(run_id)}/state",
                                               body))

    def set_run_tags(self, run_id: str, tags: dict[str, str | None]) -> dict[str, str | None]:
        if not tags:
            return self.get_run(run_id).tags
        return self._run_record(self.http.json("PATCH", self._run_path(run_id),
                                               {"tags": tags})).tags

    def remove_run_tags(self, run_id: str, keys: Iterable[str]) -> dict[str, str | None]:
        keys = [k for k in keys if k]
        if not keys:
            return self.get_run(run_id).tags
        return self._run_record(self.http.json("PATCH", self._run_path(run_id),
                                               {"remove_tags": keys})).tags

    def add_run_properties(self, run_id: str, properties: dict[str, str]) -> dict[str, str]:
        body = self.http.json("POST", f"{self._run_path(run_id)}/properties",
                              {"properties": properties})
        return body["properties"]

    def delete_run(self, run_id: str) -> None:
        self.http.json("DELETE", self._run_path(run_id))
        with self._cache_lock:
            self._run_workspace.pop(run_id, None)


__all__ = ["MetadataMixin"]
