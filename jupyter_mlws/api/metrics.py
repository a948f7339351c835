"""Metrics: models, operations and the shapes of their bodies. Values are encoded by the one
codec (``store/codec.py``)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from ..store.base import MetricInfo as MetricInfoRecord
from ..store.base import MetricSeries as MetricSeriesRecord
from ..store.base import Store
from ..store.codec import (
    MAX_BATCH,
    MAX_EMPTY,
    Encoded,
    decode_points,
    encode_metric_values,
    encode_value,
    encode_values,
    json_column,
)
from ..store.columns import MetricBatch as PointBatch
from ..store.columns import MetricColumns, SeriesChunk, group_points
from .operation import MiB, Operation, Request, RequestInvalid
from .types import (
    Id,
    InWorkspace,
    MetricKind,
    MetricName,
    MetricScalar,
    MetricValue,
    Model,
    ResponseModel,
    Timestamp,
)

MAX_POINTS_LIMIT = 100_000  # a downsampled read asks for at most this many points
MAX_QUERY_RUNS = 100
MAX_QUERY_NAMES = 100
MAX_VALUE_RUNS = 1000
MaxPoints = Annotated[int, Field(ge=2, le=MAX_POINTS_LIMIT)]


class MetricInfo(ResponseModel):
    record: ClassVar[type] = MetricInfoRecord
    run_id: Id
    name: str
    kind: MetricKind
    count: int
    last_value: MetricValue
    last_step: float | int | None
    description: str


class MetricList(ResponseModel):
    metrics: list[MetricInfo]


class MetricSeries(ResponseModel):
    record: ClassVar[type] = MetricSeriesRecord
    run_id: Id
    name: str
    kind: MetricKind
    seq: list[int] = Field(description="Per-metric cursor of each point (1, 2, ...)")
    step: list[float | int | None]
    time: list[Timestamp]
    value: list[MetricValue] | None = Field(None, description="Absent for a table metric "
                                                              "read as columns")
    columns: dict[str, list[MetricValue]] | None = Field(
        None, description="A table metric's rows as columns (tables=columns)")
    total: int = Field(description="Points stored, before any downsampling")
    escaped: bool = Field(description="Whether string values spelling NaN/Infinity are "
                                      "wrapped in lists (see MetricValue)")


class SeriesQuery(InWorkspace):
    since: int = Field(0, ge=0, le=2**53, description="Points with seq > since")
    until: int | None = Field(None, ge=0, le=2**53, description="And seq <= until (a zoomed "
                                                                 "window read at full detail)")
    max_points: MaxPoints | None = Field(None, description="Downsample to about this many "
                                                           "points, keeping extremes")
    tables: Literal["columns", "rows"] = Field(
        "columns", description="A table metric as columns (charts) or rows (as logged)")


    @model_validator(mode="after")
    def _window(self) -> SeriesQuery:
        if self.until is not None and self.until < self.since:
            raise ValueError("'until' must not be less than 'since'")
        return self


class MetricQuery(Model):
    run_ids: list[Id] = Field(min_length=1, max_length=MAX_QUERY_RUNS)
    names: list[MetricName] | None = Field(None, max_length=MAX_QUERY_NAMES)
    max_points: MaxPoints | None = 2000


class MetricQueryAnswer(ResponseModel):
    series: list[MetricSeries]


class RunIds(Model):
    run_ids: list[Id] = Field(max_length=MAX_VALUE_RUNS)


class MetricValues(ResponseModel):
    values: dict[str, dict[str, tuple[MetricKind, list[MetricValue], bool]]] = Field(
        description="{run id: {name: [kind, values oldest first, plain]}}; plain false: the "
                    "values are escaped (see MetricValue)")


class DedupColumn(Model):
    values: list[str]
    index: list[Annotated[int, Field(ge=0)]]


Column = str | DedupColumn
Escapable = MetricScalar | list[str]
# A metric recorded without points: [run, name, kind, description, an empty table's columns].
EmptyMetric = tuple[Id, MetricName, MetricKind, str, list[str] | None]


class MetricBatch(Model):
    """A batch of points as columns (``store.codec.encode_points``): run, name, kind and
    description as one string when constant, else {values, index}; time, step and value one
    item per point; ``<column>_escaped`` when that column went through ``encode_value``."""

    count: int = Field(ge=0, le=MAX_BATCH)
    run: Column | None = None
    name: Column | None = None
    kind: Column | None = None
    description: Column | None = None
    time: list[float | int | str] = []
    step: list[float | int | str | list[str] | None] = []
    value: list[Escapable | dict[str, Escapable]] = []
    time_escaped: bool = False
    step_escaped: bool = False
    value_escaped: bool = False
    empty: list[EmptyMetric] = Field(
        [], max_length=MAX_EMPTY,
        description="Metrics recorded without points (log_list of an empty list, log_table of "
                    "empty columns), each [run, name, kind, description, columns or null]")

    def points(self) -> list[tuple[Any, ...]] | PointBatch:
        """The points; with ``empty`` metrics, a ``columns.MetricBatch`` of the points and
        those (one transaction for both). RequestInvalid when the columns do not fit together
        (the codec's checks: lengths, indexes, decoded types)."""
        try:
            points = decode_points({name: value.model_dump() if isinstance(value, BaseModel)
                                    else value for name, value in self.__dict__.items()
                                    if name != "empty"})
        except (ValueError, TypeError) as exc:
            raise RequestInvalid(f"Malformed metric batch: {exc}") from None
        if not self.empty:
            return points
        return PointBatch(group_points(points) + [
            SeriesChunk(run, name, kind, description, [], [], [],
                        None if columns is None else tuple(columns))
            for run, name, kind, description, columns in self.empty])

    def named_runs(self) -> list[str]:
        """The runs the batch writes to (its run column and its empty metrics): what the
        authorization point checks."""
        ids = [] if self.run is None else [self.run] if isinstance(self.run, str) \
            else list(self.run.values)
        return list(dict.fromkeys(ids + [item[0] for item in self.empty]))


# ---- shapes


def metric_info_body(info: MetricInfoRecord) -> dict[str, Any]:
    body = info.to_dict()
    body["last_value"] = encode_value(info.last_value)
    return body


def rows_to_columns(rows: list[Any]) -> dict[str, list[Any]]:
    """Table points (row dicts) as columns; a key missing from a row is null there."""
    names: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            names.update(dict.fromkeys(row))
    return {name: [row.get(name) if isinstance(row, dict) else None for row in rows]
            for name in names}


def series_body(series: MetricSeriesRecord, tables: str = "columns") -> dict[str, Any]:
    """One series: values encoded; a table metric's rows as columns unless asked for rows."""
    body = series.to_dict()
    if series.kind == "table" and tables == "columns":
        columns = rows_to_columns(body.pop("value"))
        encoded = {name: encode_values(column) for name, column in columns.items()}
        body["columns"] = {name: values for name, (values, _) in encoded.items()}
        body["escaped"] = any(escaped for _, escaped in encoded.values())
    else:
        body["value"], body["escaped"] = encode_values(body["value"])
    return body


def columns_body(columns: MetricColumns, tables: str = "columns") -> Encoded:
    """:func:`series_body` of a read as numpy columns: typed columns become JSON lists at C
    speed (a 1M-point series never passes through a per-value Python step), and the body is
    marked as already JSON-safe."""
    import numpy as np  # numpy on use: the table imports light

    body = Encoded(run_id=columns.run_id, name=columns.name, kind=columns.kind,
                   seq=json_column(columns.seq), step=json_column(columns.step),
                   time=json_column(columns.time))
    value = columns.value
    if columns.kind == "table" and tables == "columns":
        encoded = {name: encode_values(column)
                   for name, column in rows_to_columns(value.tolist()).items()}
        body["columns"] = {name: values for name, (values, _) in encoded.items()}
        body["escaped"] = any(escaped for _, escaped in encoded.values())
    elif value.dtype == object:
        body["value"], body["escaped"] = encode_values(value.tolist())
    else:
        body["value"] = json_column(value)  # non-finite floats as their strings: escaped
        body["escaped"] = value.dtype.kind == "f" and not bool(np.isfinite(value).all())
    body["total"] = columns.total
    return body


def _series(result: MetricColumns, request: Request) -> Encoded:
    return columns_body(result, request.query.tables if request.query is not None
                        else "columns")


def _query(store: Store, request: Request) -> list[MetricSeriesRecord]:
    body = request.body
    return store.query_metric_series(request.params["workspace_id"], body.run_ids, body.names,
                                     body.max_points)


OPERATIONS = [
    Operation("appendMetrics", "POST", "/metrics/append",
              "workspaces/metrics/resource/write", "Append a batch of metric points (the "
              "runs named in it)", "runs", store="append_metrics", body=MetricBatch,
              body_kind="json", response_kind="empty", status=204, max_body=64 * MiB,
              call=lambda s, r: s.append_metrics(r.body.points()), resource="metric"),
    Operation("listMetrics", "GET", "/runs/{run_id}/metrics",
              "workspaces/experiments/runs/read", "A run's metrics with their last values",
              "run", store="list_metrics", query=InWorkspace, response=MetricList,
              shape=lambda r, _: {"metrics": [metric_info_body(i) for i in r]},
              resource="metric", widget="metrics"),
    Operation("getMetricSeries", "GET", "/runs/{run_id}/metrics/{metric_name}",
              "workspaces/experiments/runs/read", "One metric's points, exact or downsampled, "
              "from a cursor", "run", store="get_metric_series", query=SeriesQuery,
              response=MetricSeries, resource="metric", widget="series",
              widget_aliases={"name": "metric_name"},
              # The array path: numpy columns from the store, JSON lists at C speed.
              call=lambda s, r: s.get_metric_columns(
                  r.params["run_id"], r.params["metric_name"], since=r.query.since,
                  max_points=r.query.max_points, until=r.query.until),
              shape=_series),
    Operation("getMetricValues", "POST", "/metrics/values",
              "workspaces/experiments/runs/read", "Every value of every metric of several "
              "runs (the SDK's get_metrics)", "runs", store="get_all_metric_values",
              body=RunIds, body_kind="json", response=MetricValues, max_body=4 * MiB,
              shape=lambda r, _: {"values": encode_metric_values(r)}, resource="metric"),
    Operation("queryMetrics", "POST", "/workspaces/{workspace_id}/metrics/query",
              "workspaces/experiments/runs/read", "Downsampled series of several runs of the "
              "workspace, for a comparison", "workspace", store="query_metric_series",
              body=MetricQuery, body_kind="json", response=MetricQueryAnswer, call=_query,
              shape=lambda r, _: {"series": [series_body(s) for s in r]}, resource="metric",
              # A sweep's trials charted in the widget (its runs must be descendants).
              widget="child_series",
              widget_args=lambda run: {"workspace_id": run.workspace_id}),
]


__all__ = ["MAX_POINTS_LIMIT", "OPERATIONS", "MetricBatch", "columns_body",
           "metric_info_body", "rows_to_columns", "series_body"]
