"""REST routes the SDK's HTTP store needs for metrics: append a batch (the columns of
``store.http.codec``, one POST per flush of the metric buffer), read every value of several
runs, and read one series exactly (non-finite numbers and table rows survive the trip)."""

from __future__ import annotations

import asyncio
import json

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.base import METRIC_KINDS
from ..store.columns import MetricBatch, MetricColumns, SeriesChunk, group_points
from ..store.http.codec import (
    decode_empty,
    decode_points,
    encode_metric_values,
    encode_series_values,
)
from ..store.serialize import json_column
from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id, check_metric_name
from .metrics import MAX_POINTS_LIMIT, check_run_ids

MAX_VALUE_RUNS = 1000
_KINDS = frozenset(METRIC_KINDS)


def _parse_batch(raw: bytes) -> tuple[list[tuple], list[SeriesChunk]]:
    """(points, metrics recorded without points) of a request body."""
    try:
        body = json.loads(raw)
        points = decode_points(body)
        empty = [SeriesChunk(run, name, kind, description, [], [], [], columns)
                 for run, name, kind, description, columns in decode_empty(body)]
    except (ValueError, TypeError, RecursionError) as exc:
        raise bad_request(f"Malformed metric batch: {exc}") from exc
    return points, empty


class MetricAppendHandler(MlwsHandler):
    """``append_metrics``: every point's run must belong to this workspace."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        # Decoding 100,000 points takes tens of milliseconds: keep it off the event loop.
        points, empty = await asyncio.to_thread(_parse_batch, self.request.body)
        run_ids = {p[0] for p in points} | {c.run_id for c in empty}
        for name in {p[1] for p in points} | {c.name for c in empty}:
            if not isinstance(name, str):
                raise bad_request("Metric names must be strings.")
            check_metric_name(name)
        unknown = ({p[2] for p in points} | {c.kind for c in empty}) - _KINDS
        if unknown:
            raise bad_request(f"Unknown metric kind {str(next(iter(unknown)))[:40]!r}.")
        self.authorize("write", MlwsResource("metric", workspace_id))
        for run_id in sorted(run_ids):
            await self.load_run(workspace_id, run_id)
        if empty:  # one transaction with the points: a MetricBatch of both
            points = MetricBatch(group_points(points) + empty)
        if points or empty:
            await self.call(self.store.append_metrics, points)
        self.set_status(204)
        self.finish()


class MetricValuesHandler(MlwsHandler):
    """``get_all_metric_values`` of runs of this workspace."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, {"run_ids"})
        run_ids = check_run_ids(body.get("run_ids"), MAX_VALUE_RUNS, allow_empty=True)
        self.authorize("read", MlwsResource("metric", workspace_id))
        for run_id in dict.fromkeys(run_ids):
            await self.load_run(workspace_id, run_id)
        values = await self.call(self.store.get_all_metric_values, run_ids)
        self.send_json({"values": encode_metric_values(values)})


class RunSeriesHandler(MlwsHandler):
    """One metric of a run as stored: ``value`` is exact, escaped as in ``MetricBatch`` when
    ``escaped`` is true (the chart route ``metrics/{name}`` reshapes tables into columns)."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str) -> None:
        name = check_metric_name(self.query_str("name", "", max_length=1024) or "")
        since = self.query_int("since", 0, minimum=0) or 0
        max_points = self.query_int("max_points", None, minimum=2, maximum=MAX_POINTS_LIMIT)
        until = self.query_int("until", None, minimum=since)
        self.authorize("read", MlwsResource("metric", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        columns = await self.call(self.store.get_metric_columns, run_id, name,
                                  since=since, max_points=max_points, until=until)
        self.set_header("Content-Type", "application/json")
        self.finish(await asyncio.to_thread(_exact_series_json, columns))


def _exact_series_json(columns: MetricColumns) -> str:
    """The series with exact values: numeric columns converted at C speed, other values
    escaped as in ``MetricBatch``."""
    import numpy as np

    if columns.value.dtype == object:
        value, escaped = encode_series_values(columns.value.tolist())
    else:
        value = json_column(columns.value)
        escaped = columns.value.dtype.kind == "f" and not bool(np.isfinite(columns.value).all())
    body = {"run_id": columns.run_id, "name": columns.name, "kind": columns.kind,
            "seq": json_column(columns.seq), "step": json_column(columns.step),
            "time": json_column(columns.time), "value": value, "total": columns.total}
    return json.dumps({"series": body, "escaped": escaped}, allow_nan=False,
                      separators=(",", ":"))
