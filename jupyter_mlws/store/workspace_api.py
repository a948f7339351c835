"""The workspace and experiment part of the store interface.

:class:`~jupyter_mlws.store.base.Store` inherits :class:`WorkspaceApi` (see that module for the
whole interface); the SQL store implements it in ``sql/workspaces.py``, the HTTP store in
``http/workspaces.py``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import ConflictError, InvalidInputError, NotFoundError
from .records import ExperimentRecord, WorkspaceRecord

if TYPE_CHECKING:
    pass


class WorkspaceApi(abc.ABC):
    """Workspaces and the experiments in them."""

    # ---- workspaces
    @abc.abstractmethod
    def create_workspace(self, name: str, subscription_id: str, resource_group: str, *,
                         location: str = "local", storage_url: str | None = None,
                         friendly_name: str = "", description: str = "",
                         tags: dict[str, str | None] | None = None) -> WorkspaceRecord:
        """Create a workspace; ConflictError if (subscription, resource group, name) exists.
        ``storage_url`` defaults to a folder under the configured storage root."""

    def get_workspace(self, name: str, subscription_id: str | None = None,
                      resource_group: str | None = None) -> WorkspaceRecord:
        """NotFoundError if missing; ConflictError if the name is ambiguous without the
        subscription/resource group."""
        found = [w for w in self.list_workspaces(subscription_id, resource_group)
                 if w.name == name]
        if not found:
            raise NotFoundError(f"Workspace {name!r} not found")
        if len(found) > 1:
            where = ", ".join(f"{w.subscription_id}/{w.resource_group}" for w in found)
            raise ConflictError(f"Several workspaces are named {name!r} ({where}); "
                                "pass subscription_id and resource_group")
        return found[0]

    @abc.abstractmethod
    def get_workspace_by_id(self, workspace_id: str) -> WorkspaceRecord: ...

    @abc.abstractmethod
    def list_workspaces(self, subscription_id: str | None = None,
                        resource_group: str | None = None) -> list[WorkspaceRecord]: ...

    @abc.abstractmethod
    def update_workspace(self, workspace_id: str, *, tags: dict[str, str | None] | None = None,
                         description: str | None = None,
                         friendly_name: str | None = None) -> WorkspaceRecord: ...

    @abc.abstractmethod
    def delete_workspace(self, workspace_id: str) -> None:
        """Delete the workspace with everything in it, files included."""

    # ---- experiments
    @abc.abstractmethod
    def create_experiment(self, workspace_id: str, name: str, *,
                          exist_ok: bool = False) -> ExperimentRecord:
        """Create the experiment in one atomic step: ConflictError when the name is taken,
        unless ``exist_ok`` (then the existing one is returned, whoever created it)."""

    def get_or_create_experiment(self, workspace_id: str, name: str) -> ExperimentRecord:
        return self.create_experiment(workspace_id, name, exist_ok=True)

    @abc.abstractmethod
    def get_experiment_by_name(self, workspace_id: str,
                               experiment_name: str) -> ExperimentRecord: ...

    @abc.abstractmethod
    def get_experiment_by_id(self, experiment_id: str) -> ExperimentRecord: ...

    def get_experiment(self, workspace_id: str, name: str | None = None,
                       experiment_id: str | None = None) -> ExperimentRecord:
        """By name or by id, only if it is in ``workspace_id`` (and has ``name``, if both)."""
        if experiment_id is None:
            if name is None:
                raise InvalidInputError("Pass an experiment name or id")
            return self.get_experiment_by_name(workspace_id, name)
        record = self.get_experiment_by_id(experiment_id)
        if record.workspace_id != workspace_id or (name is not None and record.name != name):
            raise NotFoundError(f"Experiment {name or experiment_id!r} not found")
        return record

    @abc.abstractmethod
    def list_experiments(self, workspace_id: str, view_type: str = "ActiveOnly",
                         name: str | None = None, tags: dict[str, str | None] | None = None,
                         with_run_counts: bool = False) -> list[ExperimentRecord]:
        """``view_type``: ActiveOnly | ArchivedOnly | All."""

    @abc.abstractmethod
    def update_experiment(self, experiment_id: str, *,
                          archived: bool | None = None,
                          set_tags: dict[str, str | None] | None = None,
                          remove_tags: Iterable[str] | None = None) -> ExperimentRecord: ...

    @abc.abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Delete the experiment, its runs, metrics and files; its name can be reused."""
