"""Metric points as columns: what the writer hands a store (:class:`SeriesChunk`,
:class:`MetricBatch`) and what reads return (:class:`MetricColumns`, numpy arrays), with the
helpers that join and convert such columns. How a chunk is packed for storage is
``chunk_codec``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from .values import value_problem

if TYPE_CHECKING:
    import numpy as np


class RejectedValue(ValueError):
    """A value, step or name a store cannot hold; stores raise it as InvalidInputError."""


# ------------------------------------------------------------------------- write input

@dataclass(eq=False)
class SeriesChunk:
    """New points of one metric of one run, as columns (index i of each is point i).

    ``step``/``time``/``value`` are sequences of plain Python values. A chunk without points
    records the metric itself (``log_list(name, [])``); ``columns`` then names the columns of
    an empty table (``log_table(name, {"x": [], "y": []})``).
    """

    run_id: str
    name: str
    kind: str
    description: str
    step: Sequence[Any]
    time: Sequence[float]
    value: Sequence[Any]
    columns: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self.time)

    def split(self, at: int) -> tuple[SeriesChunk, SeriesChunk]:
        """The points before ``at`` and from ``at`` on, as two chunks (for isolating a bad
        point)."""
        def part(lo: int, hi: int | None) -> SeriesChunk:
            return SeriesChunk(self.run_id, self.name, self.kind, self.description,
                               self.step[lo:hi], self.time[lo:hi], self.value[lo:hi],
                               self.columns)
        return part(0, at), part(at, None)

    def points(self) -> Iterator[tuple]:
        return zip(repeat(self.run_id), repeat(self.name), repeat(self.kind), self.step,
                   self.time, self.value, repeat(self.description))


class MetricBatch(Sequence):
    """A batch of ``MetricPoint`` tuples held as per-series columns.

    It is a ``Sequence[MetricPoint]``, so any ``Store.append_metrics`` accepts it; stores that
    know it (the SQL store, the HTTP store) take the columns as they are, and also record the
    empty metrics (chunks without points) that plain point tuples cannot express.
    """

    def __init__(self, chunks: Sequence[SeriesChunk]) -> None:
        self.chunks = list(chunks)
        self._size = sum(len(c) for c in self.chunks)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[tuple]:
        for chunk in self.chunks:
            yield from chunk.points()

    def __getitem__(self, index: Any) -> Any:  # rare: materializes the points
        return list(self)[index]

    def empty_chunks(self) -> list[SeriesChunk]:
        return [c for c in self.chunks if not len(c)]


def group_points(points: Sequence[tuple]) -> list[SeriesChunk]:
    """``MetricPoint`` tuples -> one chunk per (run, metric), in logging order. A metric's
    kind and description are those of its first point."""
    if isinstance(points, MetricBatch):
        return points.chunks
    groups: dict[tuple[str, str], tuple[list, list, list, tuple[str, str]]] = {}
    for run_id, name, kind, step, when, value, description in points:
        group = groups.get((run_id, name))
        if group is None:
            group = groups[(run_id, name)] = ([], [], [], (kind, description or ""))
        group[0].append(step)
        group[1].append(when)
        group[2].append(value)
    return [SeriesChunk(run_id, name, meta[0], meta[1], steps, times, values)
            for (run_id, name), (steps, times, values, meta) in groups.items()]


def check_text(what: str, text: Any) -> None:
    """RejectedValue unless ``text`` is a str a store can hold."""
    if not isinstance(text, str):
        raise RejectedValue(f"{what} must be a str, got {type(text).__name__}")
    problem = value_problem(text)
    if problem:
        raise RejectedValue(f"{what} {problem}")


def object_array(items: Sequence[Any]) -> np.ndarray:
    import numpy as np  # numpy on use (cold start)

    return np.fromiter(items, dtype=object, count=len(items))


def concat(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One array of ``parts``: typed when they share a dtype, else Python objects (so ints
    stay ints next to floats and strings)."""
    import numpy as np  # numpy on use (cold start)

    if not parts:
        return np.empty(0, dtype=object)
    if len(parts) == 1:
        return parts[0]
    dtypes = {p.dtype for p in parts}
    if len(dtypes) == 1:
        return np.concatenate(parts)
    return np.concatenate([p if p.dtype == object else p.astype(object) for p in parts])


def numbers_of(values: np.ndarray) -> np.ndarray:
    """float64 sortable numbers of ``values``; NaN where a point is no number (or is NaN)."""
    import numpy as np  # numpy on use (cold start)

    if values.dtype != object:
        return values.astype(np.float64, copy=False)
    return np.fromiter((float(v) if type(v) in (float, int, bool) else math.nan
                        for v in values), dtype=np.float64, count=len(values))


def to_array(values: Sequence[Any]) -> np.ndarray:
    """A numpy array of plain Python values: typed when all are floats (or all ints within
    64 bits, or all bools), else an object array holding them unchanged."""
    import numpy as np  # numpy on use (cold start)

    kinds = set(map(type, values))
    for kind, dtype in ((float, np.float64), (int, np.int64), (bool, np.bool_)):
        if kinds == {kind}:
            try:
                return np.asarray(values, dtype=dtype)
            except OverflowError:
                break
    return object_array(values)


def to_list(column: np.ndarray | None) -> list[Any]:
    """Plain Python values of a column (ints stay int, bools bool, objects as they are)."""
    return [] if column is None else column.tolist()


# ------------------------------------------------------------------------- read result

@dataclass(eq=False)
class MetricColumns:
    """Points of one metric as numpy arrays, oldest first (a read result, like
    :class:`~jupyter_mlws.store.base.MetricSeries` but typed: float64/int64/bool arrays when
    the points share a type, object arrays otherwise; steps of None are object arrays).
    ``step``/``time``/``seq`` are None when the read asked only for values."""

    run_id: str
    name: str
    kind: str
    value: np.ndarray
    seq: np.ndarray | None = None
    step: np.ndarray | None = None
    time: np.ndarray | None = None
    total: int = 0
    columns: tuple[str, ...] | None = None  # an empty table's declared columns
    description: str = ""

    def values(self) -> list[Any]:
        return self.value.tolist()


__all__ = ["MetricBatch", "MetricColumns", "RejectedValue", "SeriesChunk", "check_text",
           "concat", "group_points", "numbers_of", "object_array", "to_array", "to_list"]
