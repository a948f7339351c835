"""REST routes the SDK's HTTP store needs for metrics: append a batch (the columns of
``store.http.codec``, one POST per flush of the metric buffer), read every value of several
runs, and read one series exactly (non-finite numbers and table rows survive the trip)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.base import METRIC_KINDS, MetricSeries
from ..store.http.codec import decode_points, encode_metric_values, encode_series_values
from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id, check_metric_name
from .metrics import MAX_POINTS_LIMIT, check_run_ids

MAX_VALUE_RUNS = 1000
_KINDS = frozenset(METRIC_KINDS)


def _parse_batch(raw: bytes) -> list[tuple]:
    try:
        return decode_points(json.loads(raw))
    except (ValueError, TypeError) as exc:
        raise bad_request(f"Malformed metric batch: {exc}") from exc


class MetricAppendHandler(MlwsHandler):
    """``append_metrics``: every point's run must belong to this workspace."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        # Decoding 100,000 points takes tens of milliseconds: keep it off the event loop.
        points = await asyncio.to_thread(_parse_batch, self.request.body)
        run_ids = {p[0] for p in points}
        for name in {p[1] for p in points}:
            if not isinstance(name, str):
                raise bad_request("Metric names must be strings.")
            check_metric_name(name)
        unknown = {p[2] for p in points} - _KINDS
        if unknown:
            raise bad_request(f"Unknown metric kind {str(next(iter(unknown)))[:40]!r}.")
        self.authorize("write", MlwsResource("metric", workspace_id))
        for run_id in sorted(run_ids):
            await self.load_run(workspace_id, run_id)
        if points:
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
        series: MetricSeries = await self.call(self.store.get_metric_series, run_id, name,
                                               since=since, max_points=max_points, until=until)
        body: dict[str, Any] = series.to_dict()
        body["value"], escaped = encode_series_values(body["value"])
        self.send_json({"series": body, "escaped": escaped})
