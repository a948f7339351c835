"""Turn stored metric series into the exact shapes v1's ``Run.get_metrics`` returns.

Pure functions, no I/O: the input is what ``Store.get_all_metric_values`` gives for one run,
``{name: (kind, [values oldest first])}``, plus the declared columns of empty tables. The rules
(v1 section 4.6):

- ``scalar`` and ``list`` points: one value -> the bare value, several -> a list. A ``log_list``
  of a single element therefore collapses to that element, as in v1.
- ``table`` points are row dicts: several rows -> ``{column: [values]}``, one row -> the row
  itself (dict of scalars). Rows of ``log_table`` and ``log_row`` under one name concatenate;
  a column missing from some rows is filled with None so all columns keep equal length.
- artifact kinds (``image``, ``confusion_matrix``, ...) -> the first value, an ``aml://`` URI.
- a metric recorded without values: ``log_list(name, [])`` -> ``[]``; a ``log_table`` of
  empty columns -> ``{column: []}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ARTIFACT_KINDS = frozenset({"image", "confusion_matrix", "accuracy_table", "residuals",
                            "predictions"})


def shape_rows(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows of a table metric -> dict of lists (dict of scalars for a single row)."""
    if len(rows) == 1:
        return dict(rows[0])
    columns: dict[str, list[Any]] = {}
    for index, row in enumerate(rows):
        for key in row:
            if key not in columns:
                # A column first seen in a later row: earlier rows did not have it.
                columns[key] = [None] * index
        for key, column in columns.items():
            column.append(row.get(key))
    return columns


def shape_metric(kind: str, values: Sequence[Any],
                 columns: Sequence[str] | None = None) -> Any:
    """One metric's stored values -> its ``get_metrics`` value (``columns``: the declared
    columns of a table without rows)."""
    if kind == "table":
        if not values:
            return {column: [] for column in columns or ()}
        return shape_rows(values)
    if kind in ARTIFACT_KINDS:
        return values[0] if values else None
    if len(values) == 1:
        return values[0]
    return list(values)


def shape_metrics(series: Mapping[str, tuple[str, Sequence[Any]]],
                  name: str | None = None,
                  columns: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """``{name: (kind, values)}`` -> ``{name: shaped value}``, optionally only ``name``;
    ``columns`` maps empty tables to their declared columns."""
    columns = columns or {}
    if name is not None:
        if name not in series:
            return {}
        kind, values = series[name]
        return {name: shape_metric(kind, values, columns.get(name))}
    return {key: shape_metric(kind, values, columns.get(key))
            for key, (kind, values) in series.items()}


__all__ = ["ARTIFACT_KINDS", "shape_metric", "shape_metrics", "shape_rows"]
