"""The one store interface every face of jupyter_mlws goes through.

``core`` (the SDK), ``execution`` and ``server`` only ever talk to a :class:`Store`.
Two implementations exist: :class:`~jupyter_mlws.store.sql.SqlStore` (SQLAlchemy metadata plus
fsspec files; SQLite by default, PostgreSQL by URL) and :class:`~jupyter_mlws.store.http.HttpStore`,
which calls the REST operation of each method (``jupyter_mlws.api``). Back ends are found by URL
scheme (``store/registry.py``). Everything crossing this interface is a plain dataclass or
builtin, so it serializes to JSON unchanged.

Abstract methods are the primitives each back end implements; the concrete methods here are
composites written once over them (a back end may still override one with a faster form).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, BinaryIO

from .access_api import AccessApi
from .errors import (
    ConflictError,
    CorruptArtifactError,
    InvalidInputError,
    NotFoundError,
    StoreError,
)
from .records import (
    METRIC_KINDS,
    RUN_PAGE_MAX,
    ArtifactRecord,
    AssetRecord,
    DatastoreFileRecord,
    ExperimentRecord,
    KeyCount,
    LogChunk,
    MetricInfo,
    MetricPoint,
    MetricSeries,
    Record,
    RunKeys,
    RunPage,
    RunQuery,
    RunRecord,
    RunTable,
    RunValues,
    SnapshotRecord,
    WorkspaceRecord,
)
from .service_data_api import ServiceDataApi
from .status import ACTIVE_STATUSES, TERMINAL_STATUSES

if TYPE_CHECKING:
    from .columns import MetricColumns
    from .data.locations import DatastoreFS

# --------------------------------------------------------------------------- interface


class Store(AccessApi, ServiceDataApi, abc.ABC):
    """Persistence for workspaces, experiments, runs, metrics and files."""

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

    # ---- metrics
    @abc.abstractmethod
    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        """Persist a batch in one transaction. Values are None, bool, int, float (NaN and inf
        included), str, or (kind ``table``) a dict of such scalars; what no store can hold
        (``store.values``: lone surrogates, NUL, ints beyond a float) is an InvalidInputError
        and nothing of the batch is stored. ``points`` may be a ``columns.MetricBatch``
        (points held as per-series columns, plus metrics recorded without points)."""

    @abc.abstractmethod
    def list_metrics(self, run_id: str) -> list[MetricInfo]:
        """The run's metrics with their counts and last values. An empty table
        (``log_table`` of empty columns) has count 0 and a row of nulls, one per declared
        column, as its ``last_value``."""

    @abc.abstractmethod
    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None,
                          until: int | None = None) -> MetricSeries:
        """Points with ``since < seq <= until`` (no upper bound when ``until`` is None); with
        ``max_points``, downsampled keeping extremes. ``total`` is always the number of points
        stored, so a window or page read still says how long the whole series is."""

    @abc.abstractmethod
    def get_all_metric_values(
            self, run_ids: Sequence[str]) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        """{run_id: {name: (kind, values oldest first)}} for shaping ``get_metrics``."""

    def get_metric_columns(self, run_id: str, name: str, *, since: int = 0,
                           max_points: int | None = None,
                           until: int | None = None) -> MetricColumns:
        """:meth:`get_metric_series` as numpy arrays (the SQL store reads them directly;
        this default converts a series)."""
        import numpy as np  # numpy on use

        from .columns import MetricColumns, to_array  # cycle: columns imports this module

        series = self.get_metric_series(run_id, name, since=since, max_points=max_points,
                                        until=until)
        return MetricColumns(run_id=run_id, name=name, kind=series.kind,
                             value=to_array(series.value),
                             seq=np.asarray(series.seq, dtype=np.int64),
                             step=to_array(series.step),
                             time=np.asarray(series.time, dtype=np.float64),
                             total=series.total)

    def read_metric_values(self, run_ids: Sequence[str], names: Sequence[str] | None = None,
                           ) -> dict[str, dict[str, MetricColumns]]:
        """{run_id: {name: MetricColumns with ``value`` only}} of every metric of the runs (or
        of ``names``), including metrics without points; an empty table names its declared
        ``columns``. This default reads :meth:`get_all_metric_values`."""
        from .columns import MetricColumns, to_array  # cycle: columns imports this module

        wanted = None if names is None else set(names)
        out: dict[str, dict[str, MetricColumns]] = {}
        for run_id, metrics in self.get_all_metric_values(run_ids).items():
            infos: dict[str, MetricInfo] | None = None
            for name, (kind, values) in metrics.items():
                if wanted is not None and name not in wanted:
                    continue
                columns = None
                if kind == "table" and not values:
                    if infos is None:
                        infos = {i.name: i for i in self.list_metrics(run_id)}
                    last = infos[name].last_value if name in infos else None
                    columns = tuple(last) if isinstance(last, dict) else None
                out.setdefault(run_id, {})[name] = MetricColumns(
                    run_id=run_id, name=name, kind=kind, value=to_array(values),
                    total=len(values), columns=columns)
        return out

    def list_metrics_of_runs(self, run_ids: Sequence[str]) -> dict[str, list[MetricInfo]]:
        """:meth:`list_metrics` of several runs at once (counts and last values, no points).
        This default derives them from :meth:`get_all_metric_values`."""
        out: dict[str, list[MetricInfo]] = {run_id: [] for run_id in run_ids}
        for run_id, metrics in self.get_all_metric_values(list(run_ids)).items():
            out[run_id] = [MetricInfo(run_id=run_id, name=name, kind=kind, count=len(values),
                                      last_value=values[-1] if values else None)
                           for name, (kind, values) in metrics.items()]
        return out

    def query_metric_series(self, workspace_id: str, run_ids: Sequence[str],
                            names: Sequence[str] | None = None,
                            max_points: int | None = 2000) -> list[MetricSeries]:
        """Series of several runs of one workspace for a comparison: each run's metrics named
        in ``names`` (all when None), downsampled; a run lacking a name is skipped, a run not
        in the workspace is NotFoundError."""
        result: list[MetricSeries] = []
        for run_id in dict.fromkeys(run_ids):
            self.get_run(run_id, workspace_id)
            for info in self.list_metrics(run_id):
                if names is None or info.name in names:
                    result.append(self.get_metric_series(run_id, info.name,
                                                         max_points=max_points))
        return result

    # ---- files (artifacts of a run; paths are relative, '/'-separated, confined to the run)
    @abc.abstractmethod
    def upload_artifact(self, run_id: str, path: str, source: str | BinaryIO,
                        *, overwrite: bool = False) -> ArtifactRecord:
        """``source`` is a local file path or a binary stream. ConflictError if the artifact
        exists and not ``overwrite``."""

    @abc.abstractmethod
    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]: ...

    @abc.abstractmethod
    def open_artifact(self, run_id: str, path: str) -> BinaryIO:
        """A readable binary stream; the caller closes it."""

    @abc.abstractmethod
    def append_log(self, run_id: str, path: str, data: bytes) -> int:
        """Append to a text log artifact (created if missing); returns the new size."""

    def tail_log(self, run_id: str, path: str, offset: int = 0,
                 max_bytes: int | None = None) -> LogChunk:
        """Text of a log from byte ``offset`` (see ``store/logs.py``, the one tailer)."""
        from .logs import LOG_READ_DEFAULT, read_log_chunk  # a cycle: logs.py needs LogChunk

        with self.open_artifact(run_id, path) as stream:
            return read_log_chunk(stream, offset, max_bytes or LOG_READ_DEFAULT)

    # ---- snapshots (stored deduplicated by content)
    def create_snapshot(self, workspace_id: str, files: dict[str, str]) -> SnapshotRecord:
        """``files`` maps relative path -> local file path. Each file is read once (a file
        changing meanwhile is stored as read); only the blobs the workspace lacks are stored
        (:meth:`missing_snapshot_blobs`, :meth:`put_snapshot_blob`), then the manifest
        (:meth:`create_snapshot_from_manifest`). One composite for every back end:
        :func:`jupyter_mlws.store.snapshots.create_snapshot`."""
        from .snapshots import create_snapshot  # cycle: snapshots imports this module

        return create_snapshot(self, workspace_id, files)

    @abc.abstractmethod
    def missing_snapshot_blobs(self, workspace_id: str, sha256s: Sequence[str]) -> list[str]:
        """The hashes (lowercase hex SHA-256, in the given order, without duplicates) whose
        blob the workspace does not hold yet. InvalidInputError on a malformed hash."""

    @abc.abstractmethod
    def put_snapshot_blob(self, workspace_id: str, sha256: str, stream: BinaryIO) -> None:
        """Store one blob read from ``stream`` in chunks, verifying while streaming that the
        content hashes to ``sha256``; on a mismatch InvalidInputError and nothing is kept."""

    @abc.abstractmethod
    def create_snapshot_from_manifest(self, workspace_id: str,
                                      files: dict[str, dict[str, Any]]) -> SnapshotRecord:
        """A snapshot of blobs already stored: ``files`` maps relative path ->
        ``{"sha256": ..., "size": ...}``. Every blob must exist (else InvalidInputError naming
        the missing ones) and have the given size."""

    @abc.abstractmethod
    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord: ...

    @abc.abstractmethod
    def open_snapshot_file(self, snapshot_id: str, path: str) -> BinaryIO: ...

    # ---- assets (environments, compute targets, models, datastores, ...)
    @abc.abstractmethod
    def register_asset(self, workspace_id: str, kind: str, name: str, spec: dict[str, Any], *,
                       new_version: bool = True, tags: dict[str, str | None] | None = None,
                       description: str = "",
                       state: dict[str, Any] | None = None) -> AssetRecord:
        """Store ``spec`` under (kind, name). ``new_version=True`` adds version max+1 (1 for a new
        name); ``False`` creates version 1 or ConflictError if the name exists (for assets that
        are not versioned, like compute targets)."""

    @abc.abstractmethod
    def get_asset(self, workspace_id: str, kind: str, name: str,
                  version: int | None = None) -> AssetRecord:
        """The given version, or the latest; NotFoundError if missing."""

    @abc.abstractmethod
    def list_assets(self, workspace_id: str, kind: str, name: str | None = None,
                    latest_only: bool = True) -> list[AssetRecord]:
        """Sorted by name, then version descending."""

    @abc.abstractmethod
    def update_asset_state(self, workspace_id: str, kind: str, name: str, version: int,
                           state: dict[str, Any], *, merge: bool = True) -> AssetRecord:
        """Replace or merge the mutable ``state`` of one version."""

    @abc.abstractmethod
    def delete_asset(self, workspace_id: str, kind: str, name: str,
                     version: int | None = None) -> None:
        """Delete one version, or every version when ``version`` is None."""

    @abc.abstractmethod
    def update_asset(self, workspace_id: str, kind: str, name: str, version: int, *,
                     tags: dict[str, str | None] | None = None,
                     remove_tags: Iterable[str] | None = None,
                     description: str | None = None) -> AssetRecord:
        """Merge ``tags`` into one version's tags, drop ``remove_tags``, replace the
        description (None leaves it); the spec never changes."""

    # ---- datastores (records are assets of kind "datastore", see store/data/registry.py)
    @abc.abstractmethod
    def datastore_filesystem(self, workspace_id: str, datastore_name: str) -> DatastoreFS:
        """The file system and root of a registered or built-in datastore, opened with its
        secret. Over HTTP the files are reached through the server (the secret stays there)."""

    @abc.abstractmethod
    def put_datastore_secret(self, workspace_id: str, datastore_name: str,
                             secret: dict[str, str]) -> None:
        """Store (replace) the credentials of a datastore, apart from its record (the SQL
        store: sealed in the key vault, not one of its secrets); never returned over REST."""

    @abc.abstractmethod
    def get_datastore_secret(self, workspace_id: str, datastore_name: str) -> dict[str, str]:
        """The stored credentials ({} when none). Only where the database is opened."""

    @abc.abstractmethod
    def delete_datastore_secret(self, workspace_id: str, datastore_name: str) -> None:
        """Forget a datastore's credentials (no error when there are none)."""

    # Files of a datastore, by datastore-relative path (confined: store/data/locations.py).
    # Composites over datastore_filesystem for stores that open the file system themselves;
    # the HTTP store sends each to the server, which holds the credentials.
    def list_datastore_files(self, workspace_id: str, datastore_name: str, path: str = "", *,
                             recursive: bool = False,
                             glob: str | None = None) -> list[DatastoreFileRecord]:
        """Files (and, not recursive, folders) under ``path``, or the files ``glob``
        matches; NotFoundError for a missing folder."""
        from .data import files  # store.data builds on this module

        return files.list_entries(self.datastore_filesystem(workspace_id, datastore_name),
                                  path, recursive=recursive, glob=glob)

    def get_datastore_file_info(self, workspace_id: str, datastore_name: str,
                                path: str = "") -> DatastoreFileRecord:
        """One file or folder ("" is the root); NotFoundError when missing."""
        from .data import files  # cycle: data imports this module

        return files.file_info(self.datastore_filesystem(workspace_id, datastore_name), path)

    def open_datastore_file(self, workspace_id: str, datastore_name: str,
                            path: str) -> BinaryIO:
        """A readable (seekable where the file system is) stream of one file."""
        from .data import files  # cycle: data imports this module

        return files.open_file(self.datastore_filesystem(workspace_id, datastore_name), path)

    def upload_datastore_file(self, workspace_id: str, datastore_name: str, path: str,
                              source: BinaryIO, *,
                              overwrite: bool = False) -> DatastoreFileRecord:
        """Stream ``source`` into one file (ConflictError if it exists and not
        ``overwrite``); a failed write leaves no file behind."""
        from .data import files  # cycle: data imports this module

        return files.write_file(self.datastore_filesystem(workspace_id, datastore_name), path,
                                source, overwrite=overwrite)

    def delete_datastore_file(self, workspace_id: str, datastore_name: str,
                              path: str) -> None:
        """Delete one file (a folder is InvalidInputError)."""
        from .data import files  # cycle: data imports this module

        files.delete_file(self.datastore_filesystem(workspace_id, datastore_name), path)

    # ---- lifetime
    def close(self) -> None:
        """Release connections."""


__all__ = ["ACTIVE_STATUSES", "METRIC_KINDS", "RUN_PAGE_MAX", "TERMINAL_STATUSES",
           "ArtifactRecord", "AssetRecord", "ConflictError", "CorruptArtifactError",
           "DatastoreFileRecord", "ExperimentRecord", "InvalidInputError", "KeyCount",
           "LogChunk", "MetricInfo", "MetricPoint", "MetricSeries", "NotFoundError", "Record",
           "RunKeys", "RunPage", "RunQuery", "RunRecord", "RunTable", "RunValues",
           "SnapshotRecord", "Store", "StoreError", "WorkspaceRecord"]
