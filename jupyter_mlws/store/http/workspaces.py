"""The workspaces and experiments of the HTTP store, each method the operation of the same
name in the table (``jupyter_mlws.api``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..base import ExperimentRecord, WorkspaceRecord
from ..codec import record
from .endpoint import Endpoint, records


class WorkspaceMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    # ---- workspaces
    def create_workspace(self, name: str, subscription_id: str, resource_group: str, *,
                         location: str = "local", storage_url: str | None = None,
                         friendly_name: str = "", description: str = "",
                         tags: dict[str, str | None] | None = None) -> WorkspaceRecord:
        return record(WorkspaceRecord, self._call_endpoint("createWorkspace", body={
            "name": name, "subscription_id": subscription_id, "resource_group": resource_group,
            "location": location, "storage_url": storage_url, "friendly_name": friendly_name,
            "description": description, "tags": tags or {}}))

    def get_workspace_by_id(self, workspace_id: str) -> WorkspaceRecord:
        return record(WorkspaceRecord, self._call_endpoint(
            "getWorkspace", {"workspace_id": workspace_id}))

    def list_workspaces(self, subscription_id: str | None = None,
                        resource_group: str | None = None) -> list[WorkspaceRecord]:
        return records(WorkspaceRecord, self._call_endpoint("listWorkspaces", query={
            "subscription_id": subscription_id, "resource_group": resource_group})["workspaces"])

    def update_workspace(self, workspace_id: str, *, tags: dict[str, str | None] | None = None,
                         description: str | None = None,
                         friendly_name: str | None = None) -> WorkspaceRecord:
        return record(WorkspaceRecord, self._call_endpoint(
            "updateWorkspace", {"workspace_id": workspace_id},
            {"tags": tags, "description": description, "friendly_name": friendly_name}))

    def delete_workspace(self, workspace_id: str) -> None:
        self._call_endpoint("deleteWorkspace", {"workspace_id": workspace_id})

    # ---- experiments
    def create_experiment(self, workspace_id: str, name: str, *,
                          exist_ok: bool = False) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint(
            "createExperiment", {"workspace_id": workspace_id},
            {"name": name, "exist_ok": exist_ok}))

    def get_experiment_by_name(self, workspace_id: str,
                               experiment_name: str) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint("getExperiment", {
            "workspace_id": workspace_id, "experiment_name": experiment_name}))

    def get_experiment_by_id(self, experiment_id: str) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint(
            "getExperimentById", {"experiment_id": experiment_id}))

    def list_experiments(self, workspace_id: str, view_type: str = "ActiveOnly",
                         name: str | None = None, tags: dict[str, str | None] | None = None,
                         with_run_counts: bool = False) -> list[ExperimentRecord]:
        return records(ExperimentRecord, self._call_endpoint(
            "listExperiments", {"workspace_id": workspace_id},
            query={"view_type": view_type, "name": name, "tags": tags,
                   "with_run_counts": with_run_counts})["experiments"])

    def update_experiment(self, experiment_id: str, *, archived: bool | None = None,
                          set_tags: dict[str, str | None] | None = None,
                          remove_tags: Iterable[str] | None = None) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint(
            "updateExperiment", {"experiment_id": experiment_id},
            {"archived": archived, "set_tags": set_tags,
             "remove_tags": None if remove_tags is None else list(remove_tags)}))

    def delete_experiment(self, experiment_id: str) -> None:
        self._call_endpoint("deleteExperiment", {"experiment_id": experiment_id})
