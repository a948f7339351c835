"""Turning store records into the JSON bodies the OpenAPI document describes."""

from __future__ import annotations

import json
import math
from typing import Any

from ..store.base import MetricInfo, MetricSeries, Record

# JSON has no NaN/Infinity: non-finite floats travel as these strings (documented in the
# OpenAPI schema ``MetricValue``), which every JSON parser accepts.
_NONFINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def json_safe(value: Any) -> Any:
    """A copy of ``value`` in which non-finite floats are strings and tuples are lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _NONFINITE[repr(value)]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, Record):
        return json_safe(value.to_dict())
    return value


def dumps(value: Any) -> str:
    # allow_nan=False: a non-finite float that slipped past json_safe is a bug, not output.
    return json.dumps(json_safe(value), allow_nan=False, separators=(",", ":"))


def metric_info(info: MetricInfo) -> dict[str, Any]:
    return info.to_dict()


def rows_to_columns(rows: list[Any]) -> dict[str, list[Any]]:
    """Table points (row dicts) as columns; a key missing from a row is null there."""
    names: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            names.update(dict.fromkeys(row))
    return {name: [row.get(name) if isinstance(row, dict) else None for row in rows]
            for name in names}


def metric_series(series: MetricSeries) -> dict[str, Any]:
    body = series.to_dict()
    if series.kind == "table":
        body["columns"] = rows_to_columns(body.pop("value"))
    return body
