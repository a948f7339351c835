"""JSON shapes of store records, identical to the REST API's response bodies.

The widget answers the same questions as the REST routes and its front end shares code with
the studio, so the bodies must match byte for byte in structure. The SDK must not import
``jupyter_mlws.server`` (layering), so the few shaping functions live here until the server's
``serialize.py`` moves to a neutral module both can import.
"""

from __future__ import annotations

import math
from typing import Any

from ..store.base import ArtifactRecord, MetricSeries, Record

# JSON has no NaN/Infinity: non-finite floats travel as these strings, as in the REST API.
_NONFINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def json_safe(value: Any) -> Any:
    """A copy of ``value`` in which non-finite floats are strings and records are dicts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _NONFINITE[repr(value)]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, Record):
        return json_safe(value.to_dict())
    return value


def rows_to_columns(rows: list[Any]) -> dict[str, list[Any]]:
    """Table points (row dicts) as columns; a key missing from a row is null there."""
    names: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            names.update(dict.fromkeys(row))
    return {name: [row.get(name) if isinstance(row, dict) else None for row in rows]
            for name in names}


def metric_series(series: MetricSeries) -> dict[str, Any]:
    """GET .../metrics/<name>: the series; a table metric's rows become ``columns``."""
    body = series.to_dict()
    if series.kind == "table":
        body["columns"] = rows_to_columns(body.pop("value"))
    return json_safe(body)


def artifact_tree(records: list[ArtifactRecord]) -> dict[str, Any]:
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


__all__ = ["artifact_tree", "json_safe", "metric_series", "rows_to_columns"]
