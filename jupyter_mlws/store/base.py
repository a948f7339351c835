"""The one store interface every face of jupyter_mlws goes through.

``core`` (the SDK), ``execution`` and ``server`` only ever talk to a :class:`Store`.
Two implementations exist: :class:`~jupyter_mlws.store.sql.SqlStore` (SQLAlchemy metadata plus
fsspec files; SQLite by default, PostgreSQL by URL) and an HTTP client of the server extension
that maps the same methods onto the REST API. Everything crossing this interface is a plain
dataclass or builtin, so it serializes to JSON unchanged.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, BinaryIO

from ..exceptions import UserErrorException

if TYPE_CHECKING:
    from .columns import MetricColumns

# --------------------------------------------------------------------------- errors


class StoreError(UserErrorException):
    """Base class of store errors; the server maps subclasses onto HTTP statuses."""

    status_code = 500


class NotFoundError(StoreError):
    """The workspace, experiment, run, metric or file does not exist (HTTP 404)."""

    status_code = 404


class ConflictError(StoreError):
    """The operation conflicts with the current state, e.g. a name taken (HTTP 409)."""

    status_code = 409


class InvalidInputError(StoreError):
    """An argument is malformed: bad name, bad path, bad value (HTTP 400)."""

    status_code = 400


class CorruptArtifactError(StoreError):
    """A stored file does not match what was recorded when it was written (its size, or its
    SHA-256): it is never served as if it were whole (HTTP 500, reason ``ArtifactCorrupt``)."""

    status_code = 500
    reason = "ArtifactCorrupt"


# --------------------------------------------------------------------------- records

ACTIVE_STATUSES = frozenset({
    "NotStarted", "Starting", "Provisioning", "Preparing", "Queued", "Running",
    "Finalizing", "CancelRequested", "NotResponding", "Pausing", "Paused", "Unapproved",
})
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Canceled"})

# Metric kinds. ``scalar`` comes from ``run.log``, ``list`` from ``log_list``, ``table`` from
# ``log_row``/``log_table`` (each point is one row dict), ``image`` and the JSON artifact kinds
# hold an ``aml://artifactId/...`` reference string.
METRIC_KINDS = ("scalar", "list", "table", "image", "confusion_matrix", "accuracy_table",
                "residuals", "predictions")


@dataclass
class Record:
    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: ``dataclasses.asdict`` deep-copies every list, which dominated
        # the cost of serving a million-point series. Callers must not mutate nested values.
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class WorkspaceRecord(Record):
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    storage_url: str
    friendly_name: str = ""
    description: str = ""
    tags: dict[str, str | None] = field(default_factory=dict)
    created_time: float = 0.0  # epoch seconds, UTC


@dataclass
class ExperimentRecord(Record):
    id: str
    workspace_id: str
    name: str
    archived_time: float | None = None
    tags: dict[str, str | None] = field(default_factory=dict)
    created_time: float = 0.0
    run_count: int | None = None  # filled by list_experiments(with_run_counts=True)
    child_run_count: int | None = None  # of run_count, runs with a parent (same call)


@dataclass
class RunRecord(Record):
    id: str
    workspace_id: str
    experiment_id: str
    experiment_name: str
    number: int
    status: str = "NotStarted"
    parent_run_id: str | None = None
    run_type: str | None = None
    display_name: str | None = None
    description: str | None = None
    target: str = "local"
    created_time: float = 0.0
    start_time: float | None = None
    end_time: float | None = None
    properties: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str | None] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # {"error": {"code": ..., "message": ...}}
    run_definition: dict[str, Any] = field(default_factory=dict)
    snapshot_id: str | None = None
    # Who keeps this run alive: "<hostname>:<pid>:<process create time>". Used to reconcile a
    # run whose process died (SIGKILL, killed kernel) to Failed instead of "Running" forever.
    owner: str | None = None
    heartbeat_time: float | None = None


@dataclass
class MetricInfo(Record):
    run_id: str
    name: str
    kind: str
    count: int
    last_value: Any = None
    last_step: float | None = None
    description: str = ""


@dataclass
class MetricSeries(Record):
    """Points of one metric, oldest first. ``seq`` is the per-metric cursor (1, 2, ...)."""

    run_id: str
    name: str
    kind: str
    seq: list[int] = field(default_factory=list)
    step: list[float | int | None] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    value: list[Any] = field(default_factory=list)
    total: int = 0  # number of points stored (before any downsampling)


@dataclass
class ArtifactRecord(Record):
    run_id: str
    path: str
    size: int
    content_type: str = "application/octet-stream"
    created_time: float = 0.0


@dataclass
class SnapshotRecord(Record):
    id: str
    workspace_id: str
    files: dict[str, dict[str, Any]]  # relative path -> {"sha256": ..., "size": ...}
    created_time: float = 0.0


@dataclass
class AssetRecord(Record):
    """A versioned, named asset of a workspace: environment, compute target, model, datastore,
    dataset... ``spec`` is the kind-specific JSON definition; ``state`` is mutable runtime
    state (e.g. a compute target's provisioning state) that does not create a new version."""

    workspace_id: str
    kind: str
    name: str
    version: int
    spec: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str | None] = field(default_factory=dict)
    description: str = ""
    created_time: float = 0.0
    updated_time: float = 0.0


@dataclass
class KeyCount(Record):
    """A name some runs have (a metric, tag, property or parameter) and in how many."""

    name: str
    runs: int
    kind: str | None = None  # metrics: the metric kind (scalar, list, ...)


@dataclass
class RunKeys(Record):
    """What a set of runs has, for choosers that offer names instead of asking to type them."""

    metrics: list[KeyCount] = field(default_factory=list)
    tags: list[KeyCount] = field(default_factory=list)
    properties: list[KeyCount] = field(default_factory=list)
    parameters: list[KeyCount] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    runs: int = 0  # runs looked at


@dataclass
class RunValues(Record):
    """Values of many runs as columns (analysis views: parallel coordinates, scatter, CSV):
    ``columns[key][i]`` belongs to run ``ids[i]``; a run without the value has None. Keys are
    run_columns names (``metrics.accuracy``, ``tags.team``, ``attributes.status``...)."""

    ids: list[str] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict)
    total: int = 0  # runs matching the query (ids may be fewer, up to its limit)


@dataclass
class RunTable:
    """Runs as columns (index i of each list is run i), for tables of many runs: what
    ``runs_frame`` shows, without building a RunRecord per run."""

    id: list[str] = field(default_factory=list)
    experiment_name: list[str] = field(default_factory=list)
    number: list[int] = field(default_factory=list)
    display_name: list[str | None] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    start_time: list[float | None] = field(default_factory=list)
    end_time: list[float | None] = field(default_factory=list)
    parent_run_id: list[str | None] = field(default_factory=list)
    tags: list[dict[str, str | None]] = field(default_factory=list)
    properties: list[dict[str, str]] | None = None  # with include_properties only

    @classmethod
    def of(cls, records: Sequence[RunRecord], include_properties: bool = False) -> RunTable:
        table = cls(properties=[] if include_properties else None)
        for r in records:
            for name in ("id", "experiment_name", "number", "display_name", "status",
                         "start_time", "end_time", "parent_run_id", "tags"):
                getattr(table, name).append(getattr(r, name))
            if table.properties is not None:
                table.properties.append(r.properties)
        return table


# A metric point as the logging buffer hands it to the store, kept as a tuple because the
# hot path builds one per ``run.log`` call: (run_id, name, kind, step, time, value, description).
MetricPoint = tuple[str, str, str, "float | int | None", float, Any, str]


@dataclass
class RunQuery(Record):
    """Filters, order and page for :meth:`Store.list_runs`."""

    experiment_id: str | None = None
    parent_run_id: str | None = None
    include_children: bool = False  # False: top-level runs only (when parent_run_id is None)
    recursive: bool = False  # with parent_run_id: all descendants, not only direct children
    status: Sequence[str] | None = None
    tags: dict[str, str | None] | None = None  # value None: key present with any value
    properties: dict[str, str | None] | None = None
    run_type: str | None = None
    text: str | None = None  # case-insensitive substring of display name or id
    # A value query, e.g. "metrics.accuracy > 0.9 and tags.team = 'vision'" (run_filter.py);
    # InvalidInputError for one that does not parse.
    filter: str | None = None
    # created_time | start_time | end_time | status | number | display_name | run_type | target
    # | metric:<name> | tag:<key> | property:<key>
    order_by: str = "created_time"
    descending: bool = True
    limit: int | None = None
    offset: int = 0


# --------------------------------------------------------------------------- interface


class Store(abc.ABC):
    """Persistence for workspaces, experiments, runs, metrics and files."""

    # ---- workspaces
    @abc.abstractmethod
    def create_workspace(self, name: str, subscription_id: str, resource_group: str, *,
                         location: str = "local", storage_url: str | None = None,
                         friendly_name: str = "", description: str = "",
                         tags: dict[str, str | None] | None = None) -> WorkspaceRecord:
        """Create a workspace; ConflictError if (subscription, resource group, name) exists.
        ``storage_url`` defaults to a folder under the configured storage root."""

    @abc.abstractmethod
    def get_workspace(self, name: str, subscription_id: str | None = None,
                      resource_group: str | None = None) -> WorkspaceRecord:
        """NotFoundError if missing; ConflictError if the name is ambiguous without the
        subscription/resource group."""

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
    def get_or_create_experiment(self, workspace_id: str, name: str) -> ExperimentRecord: ...

    @abc.abstractmethod
    def get_experiment(self, workspace_id: str, name: str | None = None,
                       experiment_id: str | None = None) -> ExperimentRecord: ...

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
    def list_runs(self, workspace_id: str, query: RunQuery | None = None) -> list[RunRecord]: ...

    @abc.abstractmethod
    def count_runs(self, workspace_id: str, query: RunQuery | None = None) -> int: ...

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
    def set_run_tags(self, run_id: str, tags: dict[str, str | None]) -> dict[str, str | None]: ...

    @abc.abstractmethod
    def remove_run_tags(self, run_id: str, keys: Iterable[str]) -> dict[str, str | None]: ...

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
        import numpy as np

        from .columns import MetricColumns, to_array

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
        from .columns import MetricColumns, to_array

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

    # ---- snapshots (stored deduplicated by content)
    def create_snapshot(self, workspace_id: str, files: dict[str, str]) -> SnapshotRecord:
        """``files`` maps relative path -> local file path. Each file is read once (a file
        changing meanwhile is stored as read); only the blobs the workspace lacks are stored
        (:meth:`missing_snapshot_blobs`, :meth:`put_snapshot_blob`), then the manifest
        (:meth:`create_snapshot_from_manifest`). One composite for every back end:
        :func:`jupyter_mlws.store.snapshots.create_snapshot`."""
        from .snapshots import create_snapshot

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

    # ---- lifetime
    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing to release
        """Release connections."""
