"""Records crossing the store interface: plain dataclasses, so they serialize to JSON as they
are (their JSON shapes are the REST bodies documented by ``jupyter_mlws.api``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

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
class LogChunk(Record):
    """Text of a log from a byte offset: ``offset`` is where to read next, ``size`` the log's
    size when it was read (see ``store/logs.py``)."""

    data: str
    offset: int
    size: int


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
class DatastoreFileRecord(Record):
    """A file or folder of a datastore, by its datastore-relative path: ``size`` 0 and
    ``type`` "directory" for a folder; ``mtime`` (seconds) and ``etag`` when the file system
    reports them."""

    path: str
    type: str
    size: int
    mtime: float | None = None
    etag: str | None = None


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
    experiment_name: str | None = None  # NotFoundError when the workspace has no such experiment
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


@dataclass
class RunPage(Record):
    """One page of :meth:`Store.search_runs` and how many runs match in all."""

    runs: list[RunRecord]
    total: int


RUN_PAGE_MAX = 1000  # the largest page search_runs hands out in one call over REST
