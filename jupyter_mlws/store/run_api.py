"""The run part of the store interface: create, read, search, edit and delete runs.

:class:`~jupyter_mlws.store.base.Store` inherits :class:`RunApi`; the SQL store implements it in
``sql/runs.py``, ``sql/run_query.py`` and ``sql/run_values.py``, the HTTP store in
``http/runs.py``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .records import RUN_PAGE_MAX, RunKeys, RunPage, RunQuery, RunRecord, RunTable, RunValues

if TYPE_CHECKING:
    pass


class RunApi(abc.ABC):
    """Runs: records, pages of a query, their keys and value columns."""

    # ---- runs
    @abc.abstractmethod
    def create_run(self, workspace_id: str, experiment_id: str, *, run_id: str,
                   status: str = "NotStarted", parent_run_id: str | None = None,
                   run_type: str | None = None, display_name: str | None = None,
                   description: str | None = None, target: str = "local",
                   properties: dict[str, str] | None = None,
                   tags: dict[str, str | None] | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None) -> RunRecord:
        """Create a run with the next run number of its experiment. ConflictError on a
        duplicate id. ``start_time`` is set when ``status`` is Running."""

    @abc.abstractmethod
    def get_run(self, run_id: str, workspace_id: str | None = None) -> RunRecord:
        """Active runs whose owner process is gone are reconciled to Failed first."""

    @abc.abstractmethod
    def search_runs(self, workspace_id: str, query: RunQuery | None = None) -> RunPage:
        """One page of runs (``query.limit``, at most :data:`RUN_PAGE_MAX` when None) and the
        number of runs matching. NotFoundError for an unknown workspace or
        ``query.experiment_name``."""

    def list_runs(self, workspace_id: str, query: RunQuery | None = None) -> list[RunRecord]:
        """Every run the query selects (all pages when ``query.limit`` is None)."""
        query = query or RunQuery()
        runs: list[RunRecord] = []
        offset = query.offset
        while True:
            want = RUN_PAGE_MAX if query.limit is None else min(RUN_PAGE_MAX,
                                                                 query.limit - len(runs))
            if want <= 0:
                return runs
            page = self.search_runs(workspace_id, replace(query, limit=want, offset=offset))
            runs.extend(page.runs)
            offset += len(page.runs)
            if len(page.runs) < want:
                return runs

    def count_runs(self, workspace_id: str, query: RunQuery | None = None) -> int:
        return self.search_runs(workspace_id, replace(query or RunQuery(), limit=1,
                                                      offset=0)).total

    def run_table(self, workspace_id: str, query: RunQuery | None = None, *,
                  include_properties: bool = False) -> RunTable:
        """:meth:`list_runs` as columns (same filters, order and page). This default builds
        it from the records; the SQL store reads just the columns."""
        return RunTable.of(self.list_runs(workspace_id, query), include_properties)

    @abc.abstractmethod
    def list_run_keys(self, workspace_id: str, query: RunQuery | None = None) -> RunKeys:
        """The metric, tag, property and parameter names of the runs ``query`` matches (its
        order and page are ignored), each with how many of those runs have it."""

    @abc.abstractmethod
    def get_run_values(self, workspace_id: str, query: RunQuery,
                       columns: Sequence[str]) -> RunValues:
        """The ``columns`` (run_columns names; InvalidInputError for a bad one) of the runs
        ``query`` matches, in its order and page, as one column list per name. A name of
        ``*`` (``parameters.*``, ``tags.*``, ``properties.*``, ``metrics.*``: scalar metrics)
        stands for every value of that namespace the runs have."""

    @abc.abstractmethod
    def update_run(self, run_id: str, *, status: str | None = None,
                   display_name: str | None = None, description: str | None = None,
                   error: dict[str, Any] | None = None, snapshot_id: str | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None, heartbeat: bool = False,
                   only_if_active: bool = False) -> RunRecord:
        """Status changes keep timings: Running sets start_time once, a terminal status sets
        end_time. ``only_if_active`` leaves a run that is already terminal untouched."""

    @abc.abstractmethod
    def edit_run(self, run_id: str, *, tags: dict[str, str | None] | None = None,
                 remove_tags: Iterable[str] | None = None, description: str | None = None,
                 display_name: str | None = None) -> RunRecord:
        """What a person edits, in one atomic step: set tags, then remove tag keys, and the
        description and display name (None leaves a field as it is)."""

    def set_run_tags(self, run_id: str, tags: dict[str, str | None]) -> dict[str, str | None]:
        return self.edit_run(run_id, tags=tags).tags

    def remove_run_tags(self, run_id: str, keys: Iterable[str]) -> dict[str, str | None]:
        return self.edit_run(run_id, remove_tags=list(keys)).tags

    @abc.abstractmethod
    def add_run_properties(self, run_id: str, properties: dict[str, str]) -> dict[str, str]:
        """Properties are add-only: a different value for an existing key is a ConflictError."""

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Delete the run and its descendants, with their metrics and files."""
