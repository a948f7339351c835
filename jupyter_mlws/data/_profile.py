"""The profile of a dataset version: computed once, stored in the version's asset state
(``state["profile"]``), shown by the studio and kept for data-drift checks.

Tabular: row count and, per column, its type, count of values, nulls, min / max / mean
(numbers, and min / max for times and strings), an estimate of distinct values (a k-minimum-
values sketch, k = 1024, exact below that) and a 20-bin histogram of numbers. Two streaming
passes over the data (the second only for the histograms), so memory stays bounded whatever
the size. File: file count, total bytes, counts by extension.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import math
import time
from typing import Any

PROFILE_VERSION = 1
KMV_K = 1024
BINS = 20


class _Distinct:
    """k smallest distinct 64-bit hashes: exact up to k values, an estimate beyond."""

    def __init__(self) -> None:
        self.heap: list[int] = []  # max-heap (negated) of the k smallest hashes
        self.members: set[int] = set()

    def add(self, hashes: Any) -> None:
        import numpy as np

        values = np.unique(hashes)
        if len(self.heap) >= KMV_K:
            values = values[values < -self.heap[0]]
        for h in values[: 4 * KMV_K].tolist():
            if h in self.members:
                continue
            if len(self.heap) < KMV_K:
                heapq.heappush(self.heap, -h)
                self.members.add(h)
            elif h < -self.heap[0]:
                self.members.discard(-heapq.heappushpop(self.heap, -h))
                self.members.add(h)

    def estimate(self) -> int:
        if len(self.heap) < KMV_K:
            return len(self.heap)
        return int((KMV_K - 1) / (-self.heap[0] / 2**64))


def _hashes(column: Any) -> Any:
    import pandas as pd

    values = column.drop_null().to_pandas()
    return pd.util.hash_array(values.to_numpy(dtype=object) if values.dtype == object
                              else values.to_numpy())


def tabular_profile(dataset: Any) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = 0
    stats: dict[str, dict[str, Any]] = {}
    distinct: dict[str, _Distinct] = {}
    schema = None
    for batch in dataset.to_arrow_batches():
        schema = batch.schema
        rows += batch.num_rows
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            s = stats.setdefault(name, {"type": str(column.type), "count": 0, "missing": 0,
                                        "min": None, "max": None, "sum": 0.0})
            nulls = column.null_count
            s["missing"] += nulls
            s["count"] += len(column) - nulls
            if len(column) == nulls:
                continue
            kind = column.type
            if pa.types.is_floating(kind):
                column = pc.if_else(pc.is_nan(column), None, column)
            if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(
                    kind) or pa.types.is_temporal(kind) or pa.types.is_string(kind):
                pair = pc.min_max(column)
                low, high = pair["min"].as_py(), pair["max"].as_py()
                if low is not None:
                    s["min"] = low if s["min"] is None else min(s["min"], low)
                    s["max"] = high if s["max"] is None else max(s["max"], high)
            if pa.types.is_integer(kind) or pa.types.is_floating(kind):
                total = pc.sum(column).as_py()
                s["sum"] += float(total or 0)
            # Nested values have no distinct estimate.
            with contextlib.suppress(TypeError, ValueError, pa.ArrowInvalid):
                distinct.setdefault(name, _Distinct()).add(_hashes(column))
    columns = {}
    numeric = []
    for name, s in stats.items():
        kind = schema.field(name).type if schema is not None else None
        is_number = kind is not None and (pa.types.is_integer(kind) or pa.types.is_floating(kind))
        entry = {"type": s["type"], "count": s["count"], "missing": s["missing"],
                 "min": _plain(s["min"]), "max": _plain(s["max"]),
                 "mean": (s["sum"] / s["count"]) if is_number and s["count"] else None,
                 "distinct": distinct[name].estimate() if name in distinct else None,
                 "histogram": None}
        columns[name] = entry
        if is_number and s["min"] is not None and math.isfinite(float(s["min"])) and \
                math.isfinite(float(s["max"])):
            numeric.append(name)
    if numeric:
        _histograms(dataset, columns, numeric)
    return {"kind": "tabular", "row_count": rows, "columns": columns}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def _histograms(dataset: Any, columns: dict[str, Any], names: list[str]) -> None:
    import numpy as np

    edges = {n: np.linspace(float(columns[n]["min"]), float(columns[n]["max"]), BINS + 1)
             for n in names}
    counts = {n: np.zeros(BINS, dtype=np.int64) for n in names}
    for batch in dataset.keep_columns(names).to_arrow_batches():
        for name in names:
            values = batch.column(name).to_numpy(zero_copy_only=False)
            values = values[~np.isnan(values.astype(np.float64))] if values.size else values
            if values.size:
                counts[name] += np.histogram(values.astype(np.float64), bins=edges[name])[0]
    for name in names:
        columns[name]["histogram"] = {"edges": [float(e) for e in edges[name]],
                                      "counts": [int(c) for c in counts[name]]}


def file_profile(dataset: Any) -> dict[str, Any]:
    entries = dataset._entries()
    extensions: collections.Counter[str] = collections.Counter()
    for entry in entries:
        name = str(entry[1]).rsplit("/", 1)[-1]
        extensions[name.rsplit(".", 1)[-1].lower() if "." in name else ""] += 1
    return {"kind": "file", "file_count": len(entries),
            "total_bytes": sum(int(e[2]) for e in entries),
            "extensions": dict(extensions.most_common(50))}


def compute(dataset: Any) -> dict[str, Any]:
    body = tabular_profile(dataset) if dataset._type == "tabular" else file_profile(dataset)
    return {"profile_version": PROFILE_VERSION, "computed_time": time.time(), **body}


def stored_or_computed(dataset: Any) -> dict[str, Any]:
    """The stored profile of a registered version, else computed now (and stored)."""
    record = dataset._record
    if record is not None:
        stored = record.state.get("profile")
        if isinstance(stored, dict) and stored.get("profile_version") == PROFILE_VERSION:
            return stored
    profile = compute(dataset)
    if record is not None and dataset._workspace is not None:
        ws = dataset._workspace
        dataset._record = ws._call_store(ws._store.update_asset_state, ws._record.id,
                                         record.kind, record.name, record.version,
                                         {"profile": profile})
    return profile


__all__ = ["compute", "stored_or_computed"]
