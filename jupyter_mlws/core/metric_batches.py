"""Queued metric points -> per-series columns, a whole batch at a time.

``run.log`` queues one tuple ``(key, step, time, value)`` per point, where ``key`` is the
:class:`SeriesKey` of its (run, metric): one object per series and buffer, compared by
identity. The writer turns a batch of such tuples into one
:class:`~jupyter_mlws.store.columns.SeriesChunk` per series with C-level column extraction
(``map(itemgetter)``); a batch of several interleaved series is split with a stable numpy
argsort, so no per-point Python runs on the hot path.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from ..store.columns import SeriesChunk

# Index of each field in a queued point.
KEY, STEP, TIME, VALUE = 0, 1, 2, 3
_GET_KEY, _GET_STEP, _GET_TIME, _GET_VALUE = map(itemgetter, (KEY, STEP, TIME, VALUE))
_SMALL = 256  # batches up to this size with several series are grouped in plain Python


class SeriesKey:
    """The (run, metric) a queued point belongs to; hashed and compared by identity."""

    __slots__ = ("description", "kind", "name", "run_id")

    def __init__(self, run_id: str, name: str, kind: str, description: str) -> None:
        self.run_id = run_id
        self.name = name
        self.kind = kind
        self.description = description

    def chunk(self, steps: Sequence[Any], times: Sequence[float], values: Sequence[Any],
              columns: tuple[str, ...] | None = None) -> SeriesChunk:
        return SeriesChunk(self.run_id, self.name, self.kind, self.description, steps, times,
                           values, columns)

    def __repr__(self) -> str:
        return f"SeriesKey({self.run_id!r}, {self.name!r}, {self.kind!r})"


def chunks_of(batch: list[tuple]) -> list[SeriesChunk]:
    """One chunk per series of ``batch`` (queued points, oldest first), points in order."""
    if not batch:
        return []
    keys = list(map(_GET_KEY, batch))
    first = keys[0]
    if keys.count(first) == len(keys):  # the common case: one series per batch
        return [first.chunk(list(map(_GET_STEP, batch)), list(map(_GET_TIME, batch)),
                            list(map(_GET_VALUE, batch)))]
    if len(batch) <= _SMALL:
        groups: dict[SeriesKey, tuple[list, list, list]] = {}
        for key, step, when, value in batch:
            group = groups.get(key)
            if group is None:
                group = groups[key] = ([], [], [])
            group[0].append(step)
            group[1].append(when)
            group[2].append(value)
        return [key.chunk(*columns) for key, columns in groups.items()]
    return _split_by_key(batch, keys)


def _split_by_key(batch: list[tuple], keys: list[SeriesKey]) -> list[SeriesChunk]:
    import numpy as np

    order_of = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    codes = np.fromiter(map(order_of.__getitem__, keys), dtype=np.intp, count=len(keys))
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(order_of)))[:-1]
    columns = []
    for getter in (_GET_STEP, _GET_TIME, _GET_VALUE):
        column = np.fromiter(map(getter, batch), dtype=object, count=len(batch))[order]
        columns.append(np.split(column, bounds))
    return [key.chunk(steps.tolist(), times.tolist(), values.tolist())
            for key, steps, times, values in zip(order_of, *columns, strict=True)]


__all__ = ["KEY", "STEP", "TIME", "VALUE", "SeriesKey", "chunks_of"]
