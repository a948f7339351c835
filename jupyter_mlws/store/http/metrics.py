"""The metrics of the HTTP store, each method the operation of the same name in the table
(``jupyter_mlws.api``); values travel as the codec writes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...api.table import operation
from ..base import MetricInfo, MetricPoint, MetricSeries
from ..codec import decode_metric_values, decode_value, decode_values, encode_points, record
from ..columns import MetricBatch
from .endpoint import Endpoint


def _series(body: dict[str, Any]) -> MetricSeries:
    series = record(MetricSeries, body)
    series.value = decode_values(series.value, bool(body.get("escaped")))
    return series


def _info(body: dict[str, Any]) -> MetricInfo:
    info = record(MetricInfo, body)
    info.last_value = decode_value(info.last_value)
    return info


class MetricMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    # ---- metrics
    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        # A MetricBatch also carries metrics recorded without points (columns.py).
        empty = points.empty_chunks() if isinstance(points, MetricBatch) else []
        if points or empty:  # one POST per flush of the metric buffer, columns in compact JSON
            op = operation("appendMetrics")
            self.http.json(op.method, op.path, content=encode_points(points, empty))

    def list_metrics(self, run_id: str) -> list[MetricInfo]:
        body = self._call_endpoint("listMetrics", {"run_id": run_id})
        return [_info(item) for item in body["metrics"]]

    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None,
                          until: int | None = None) -> MetricSeries:
        return _series(self._call_endpoint(
            "getMetricSeries", {"run_id": run_id, "metric_name": name},
            query={"since": since, "max_points": max_points, "until": until,
                   "tables": "rows"}))

    def get_all_metric_values(
            self, run_ids: Sequence[str]) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        return decode_metric_values(self._call_endpoint(
            "getMetricValues", body={"run_ids": list(dict.fromkeys(run_ids))})["values"])

    def query_metric_series(self, workspace_id: str, run_ids: Sequence[str],
                            names: Sequence[str] | None = None,
                            max_points: int | None = 2000) -> list[MetricSeries]:
        body = self._call_endpoint("queryMetrics", {"workspace_id": workspace_id}, {
            "run_ids": list(run_ids), "names": None if names is None else list(names),
            "max_points": max_points})
        return [_series(item) for item in body["series"]]
