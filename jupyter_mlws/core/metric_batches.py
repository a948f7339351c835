"""Queued metric points -> per-series columns, a whole batch at a time.

``run.log`` queues one tuple ``(key, step, time, value)`` per point, where ``key`` is the
series key of its (run, metric): the tuple ``(run_id, name, kind, description)``, one object
per series and buffer, so comparing keys is mostly an identity check. Keys are plain tuples of
strings, not instances, on purpose: the garbage collector stops tracking such tuples (and the
point tuples holding them), so a queue of 500,000 points costs no collector time (an instance
in each tuple made every collection rescan the queue: 3x the cost of ``run.log``).

The writer turns a batch of such tuples into one
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


SeriesKey = tuple[str, str, str, str]  # (run_id, name, kind, description)
RUN_ID, NAME, KIND, DESCRIPTION = 0, 1, 2, 3


def chunk_of(key: SeriesKey, steps: Sequence[Any], times: Sequence[float],
             values: Sequence[Any], columns: tuple[str, ...] | None = None) -> SeriesChunk:
    return SeriesChunk(key[RUN_ID], key[NAME], key[KIND], key[DESCRIPTION], steps, times,
                       values, columns)


def chunks_of(batch: list[tuple]) -> list[SeriesChunk]:
    """One chunk per series of ``batch`` (queued points, oldest first), points in order."""
    if not batch:
        return []
    keys = list(map(_GET_KEY, batch))
    first = keys[0]
    if keys.count(first) == len(keys):  # the common case: one series per batch
        return [chunk_of(first, list(map(_GET_STEP, batch)), list(map(_GET_TIME, batch)),
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
        return [chunk_of(key, *columns) for key, columns in groups.items()]
    return _split_by_key(batch, keys)


def _split_by_key(batch: list[tuple], keys: list[SeriesKey]) -> list[SeriesChunk]:
    import numpy as np  # numpy on use (cold start)

    order_of = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    codes = np.fromiter(map(order_of.__getitem__, keys), dtype=np.intp, count=len(keys))
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(order_of)))[:-1]
    columns = []
    for getter in (_GET_STEP, _GET_TIME, _GET_VALUE):
        column = np.fromiter(map(getter, batch), dtype=object, count=len(batch))[order]
        columns.append(np.split(column, bounds))
    return [chunk_of(key, steps.tolist(), times.tolist(), values.tolist())
            for key, steps, times, values in zip(order_of, *columns, strict=True)]


__all__ = ["DESCRIPTION", "KEY", "KIND", "NAME", "RUN_ID", "STEP", "TIME", "VALUE", "SeriesKey",
           "chunk_of", "chunks_of"]
