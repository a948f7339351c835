"""JSON shapes of store records: the REST API's response bodies and the RunDetails widget's
answers (which must match them), in one module both may import.

It lives beside the records it shapes because the SDK (``jupyter_mlws.widgets``) must not import
``jupyter_mlws.server`` (layering: server -> core -> store), while the server may import store.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from .base import ArtifactRecord, MetricInfo, MetricSeries, Record

if TYPE_CHECKING:
    import numpy as np

    from .columns import MetricColumns

# JSON has no NaN/Infinity: non-finite floats travel as these strings (documented in the
# OpenAPI schema ``MetricValue``), which every JSON parser accepts.
_NONFINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def json_safe(value: Any) -> Any:
    """A copy of ``value`` in which non-finite floats are strings, tuples are lists and
    records are dicts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _NONFINITE[repr(value)]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, Record):
        return json_safe(value.to_dict())
    return value


def _record(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` after :func:`json_safe`."""
    try:
        # Most bodies hold no non-finite float: the C encoder alone (records through
        # ``default``) is twice as fast as walking them first (10,000-run value reads).
        return json.dumps(value, allow_nan=False, separators=(",", ":"), default=_record)
    except (ValueError, TypeError):  # non-finite floats, keys json.dumps does not take
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
    """The body of one series; a table metric's rows become ``columns``. Not yet
    :func:`json_safe`: callers pass it through :func:`dumps` or ``json_safe``."""
    body = series.to_dict()
    if series.kind == "table":
        body["columns"] = rows_to_columns(body.pop("value"))
    return body


def json_column(column: np.ndarray | None) -> list[Any]:
    """A numpy column as a JSON-safe list, at C speed for typed columns (non-finite floats
    become their strings); object columns go through :func:`json_safe`."""
    import numpy as np

    if column is None:
        return []
    if column.dtype.kind == "f":
        finite = np.isfinite(column)
        if finite.all():
            return column.tolist()
        out = column.astype(object)
        bad = column[~finite]
        out[~finite] = np.where(np.isnan(bad), "NaN", np.where(bad > 0, "Infinity", "-Infinity"))
        return out.tolist()
    if column.dtype.kind in "iub":
        return column.tolist()
    return json_safe(column.tolist())


def metric_series_json(columns: MetricColumns) -> str:
    """The JSON text of one series, as :func:`metric_series` shapes it, built from numpy
    columns without a per-point Python pass for numeric series."""
    body: dict[str, Any] = {"run_id": columns.run_id, "name": columns.name,
                            "kind": columns.kind, "seq": json_column(columns.seq),
                            "step": json_column(columns.step),
                            "time": json_column(columns.time)}
    if columns.kind == "table":
        body["total"] = columns.total
        body["columns"] = json_safe(rows_to_columns(columns.value.tolist()))
    else:
        body["value"] = json_column(columns.value)
        body["total"] = columns.total
    return json.dumps(body, allow_nan=False, separators=(",", ":"))


def build_tree(records: list[ArtifactRecord]) -> dict[str, Any]:
    """Nest flat artifact paths into folders, each with the total size beneath it."""
    root: dict[str, Any] = {"name": "", "path": "", "type": "directory", "size": 0,
                            "children": []}
    folders: dict[str, dict[str, Any]] = {"": root}
    for record in sorted(records, key=lambda r: r.path):
        parts = record.path.split("/")
        parent = root
        for depth in range(1, len(parts)):
            folder_path = "/".join(parts[:depth])
            folder = folders.get(folder_path)
            if folder is None:
                folder = {"name": parts[depth - 1], "path": folder_path, "type": "directory",
                          "size": 0, "children": []}
                folders[folder_path] = folder
                parent["children"].append(folder)
            parent = folder
        parent["children"].append({
            "name": parts[-1], "path": record.path, "type": "file", "size": record.size,
            "content_type": record.content_type, "created_time": record.created_time})
        for depth in range(len(parts)):
            folders["/".join(parts[:depth])]["size"] += record.size
    return root


__all__ = ["build_tree", "dumps", "json_column", "json_safe", "metric_info", "metric_series",
           "metric_series_json", "rows_to_columns"]
