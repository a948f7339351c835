"""The runs of the HTTP store, each method the operation of the same name in the table
(``jupyter_mlws.api``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..base import RUN_PAGE_MAX, KeyCount, RunKeys, RunPage, RunQuery, RunRecord, RunValues
from ..codec import decode_values, record
from .endpoint import Endpoint, records


class RunMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    # ---- runs
    def create_run(self, workspace_id: str, experiment_id: str, *, run_id: str,
                   status: str = "NotStarted", parent_run_id: str | None = None,
                   run_type: str | None = None, display_name: str | None = None,
                   description: str | None = None, target: str = "local",
                   properties: dict[str, str] | None = None,
                   tags: dict[str, str | None] | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None) -> RunRecord:
        return record(RunRecord, self._call_endpoint(
            "createRun", {"workspace_id": workspace_id}, {
                "experiment_id": experiment_id, "run_id": run_id, "status": status,
                "parent_run_id": parent_run_id, "run_type": run_type,
                "display_name": display_name, "description": description, "target": target,
                "properties": properties, "tags": tags, "run_definition": run_definition,
                "owner": owner}))

    def get_run(self, run_id: str, workspace_id: str | None = None) -> RunRecord:
        return record(RunRecord, self._call_endpoint("getRun", {"run_id": run_id},
                                                     query={"workspace_id": workspace_id}))

    def search_runs(self, workspace_id: str, query: RunQuery | None = None) -> RunPage:
        query = query or RunQuery()
        fields = query.to_dict()
        fields["limit"] = min(query.limit or RUN_PAGE_MAX, RUN_PAGE_MAX)
        body = self._call_endpoint("searchRuns", {"workspace_id": workspace_id}, query=fields)
        return RunPage(runs=records(RunRecord, body["runs"]), total=int(body["total"]))

    def list_run_keys(self, workspace_id: str, query: RunQuery | None = None) -> RunKeys:
        body = self._call_endpoint("listRunKeys", {"workspace_id": workspace_id},
                                   query=(query or RunQuery()).to_dict())
        return RunKeys(**{ns: records(KeyCount, body[ns])
                          for ns in ("metrics", "tags", "properties", "parameters")},
                       attributes=list(body["attributes"]), runs=int(body["runs"]))

    def get_run_values(self, workspace_id: str, query: RunQuery,
                       columns: Sequence[str]) -> RunValues:
        body = self._call_endpoint("getRunValues", {"workspace_id": workspace_id},
                                   query={**query.to_dict(), "columns": list(columns)})
        # Metric values come as the codec wrote them (non-finite floats as strings).
        escaped = bool(body["escaped"])
        values = {key: decode_values(column, escaped) if key.startswith("metrics.") else column
                  for key, column in body["columns"].items()}
        return RunValues(ids=list(body["ids"]), columns=values, total=int(body["total"]))

    def update_run(self, run_id: str, *, status: str | None = None,
                   display_name: str | None = None, description: str | None = None,
                   error: dict[str, Any] | None = None, snapshot_id: str | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None, heartbeat: bool = False,
                   only_if_active: bool = False) -> RunRecord:
        return record(RunRecord, self._call_endpoint("updateRun", {"run_id": run_id}, {
            "status": status, "display_name": display_name, "description": description,
            "error": error, "snapshot_id": snapshot_id, "run_definition": run_definition,
            "owner": owner, "heartbeat": heartbeat, "only_if_active": only_if_active}))

    def edit_run(self, run_id: str, *, tags: dict[str, str | None] | None = None,
                 remove_tags: Iterable[str] | None = None, description: str | None = None,
                 display_name: str | None = None) -> RunRecord:
        return record(RunRecord, self._call_endpoint("editRun", {"run_id": run_id}, {
            "tags": tags, "remove_tags": None if remove_tags is None else list(remove_tags),
            "description": description, "display_name": display_name}))

    def add_run_properties(self, run_id: str, properties: dict[str, str]) -> dict[str, str]:
        return self._call_endpoint("addRunProperties", {"run_id": run_id},
                                   {"properties": properties})["properties"]

    def delete_run(self, run_id: str) -> None:
        self._call_endpoint("deleteRun", {"run_id": run_id})
