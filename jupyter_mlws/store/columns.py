"""Metric points as columns: what the writer hands a store, how a chunk of points is packed
into typed arrays, and the arrays reads return.

A series is stored in chunks of up to ``CHUNK_POINTS`` consecutive points, each chunk three
packed columns:

- steps: none (every step None), int64, float64, or JSON (a mix, exact);
- times: float64 (epoch seconds);
- values: float64, int64, bool (one byte each), or JSON (everything else: strings, table rows,
  None, big integers, mixes of types). JSON keeps each value's exact v1 meaning: ints stay
  ints of any size, floats round-trip (NaN and the infinities included), bools stay bools.

Arrays are little-endian bytes, the same bytes a ``numpy`` ``<f8``/``<i8`` buffer holds. The
write side packs with the standard ``array`` module and builtins (C loops, no per-point Python,
and no numpy import on a process's first write); reads unpack with ``numpy.frombuffer``.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from .values import (
    BOOL,
    FLOAT,
    INT,
    JSON,
    NONE,
    STEP_INT,
    STR,
    int_problem,
    step_problem,
    value_problem,
)

if TYPE_CHECKING:
    import numpy as np

CHUNK_POINTS = 4096

STEPS_NONE, STEPS_INT, STEPS_FLOAT, STEPS_JSON = 0, 1, 2, 3
VALUES_FLOAT, VALUES_INT, VALUES_BOOL, VALUES_JSON = 1, 2, 3, 4
TEXT_BIT = 1 << 14  # rollup type mask: some point needs text (strings, rows, NaN, big ints)

_BIG_ENDIAN = sys.byteorder == "big"
_EXACT_INT = 2**53
_NONE_TYPE = type(None)


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


# --------------------------------------------------------------------------- packing

def _pack(typecode: str, items: Sequence[Any]) -> bytes:
    try:
        packed = array(typecode, items)
    except TypeError as exc:
        raise RejectedValue(f"has an item that is not a number: {exc}") from exc
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def _unpack(typecode: str, data: Any) -> list[Any]:
    packed = array(typecode)
    packed.frombytes(bytes(data))
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tolist()


def pack_times(times: Sequence[float]) -> bytes:
    return _pack("d", times)


def unpack_steps(encoding: int, data: Any, n: int) -> list[Any]:
    """A chunk's steps as Python values (the write path's tail merge: no numpy)."""
    if encoding == STEPS_INT:
        return _unpack("q", data)
    if encoding == STEPS_FLOAT:
        return _unpack("d", data)
    if encoding == STEPS_JSON:
        return json.loads(bytes(data))
    return [None] * n


def unpack_times(data: Any) -> list[float]:
    return _unpack("d", data)


def unpack_values(encoding: int, data: Any) -> list[Any]:
    if encoding == VALUES_FLOAT:
        return _unpack("d", data)
    if encoding == VALUES_INT:
        return _unpack("q", data)
    if encoding == VALUES_BOOL:
        return [b != 0 for b in bytes(data)]
    return json.loads(bytes(data))


def _json(items: Sequence[Any]) -> bytes:
    try:
        text = json.dumps(list(items), allow_nan=True, ensure_ascii=False,
                          separators=(",", ":"))
        return text.encode("utf-8")
    except (TypeError, ValueError, UnicodeError) as exc:
        raise RejectedValue(f"cannot be encoded: {exc}") from exc


def _first_problem(items: Sequence[Any], check: Any) -> str | None:
    for item in items:
        problem = check(item)
        if problem:
            return problem
    return None


def encode_steps(steps: Sequence[Any], validate: bool = True,
                 ) -> tuple[int, bytes | None, int]:
    """(encoding, packed bytes or None, STEP_INT when the steps are ints else 0).
    ``validate=False`` packs what is already stored (a migration) without the input checks."""
    types = set(map(type, steps))
    if types == {_NONE_TYPE} or not steps:
        return STEPS_NONE, None, 0
    if types == {float}:
        return STEPS_FLOAT, _pack("d", steps), 0
    if types == {int}:
        try:
            return STEPS_INT, _pack("q", steps), STEP_INT
        except OverflowError:
            pass
    problem = _first_problem(steps, step_problem) if validate else None
    if problem:
        raise RejectedValue(f"has a step that {problem}")
    return STEPS_JSON, _json(steps), 0


@dataclass
class PackedValues:
    """A chunk's packed values plus what the rollups and the metric row need of them."""

    encoding: int
    data: bytes
    # The sortable number of each point (None for non-numbers and NaN), only for JSON chunks;
    # for typed chunks the caller uses the values themselves.
    numbers: list[float | None] | None
    types: int  # bit 1 << value code for each code present (TEXT_BIT: some need text)
    has_nan: bool


def encode_values(values: Sequence[Any], validate: bool = True) -> PackedValues:
    """Pack one chunk's values; RejectedValue names the first value a store cannot hold
    (``validate=False``: what is already stored, packed as it is)."""
    types = set(map(type, values))
    if types == {float}:
        has_nan = any(map(math.isnan, values))
        return PackedValues(VALUES_FLOAT, _pack("d", values), None,
                            1 << FLOAT | (TEXT_BIT if has_nan else 0), has_nan)
    if types == {int}:
        try:
            data = _pack("q", values)
        except OverflowError:
            pass
        else:
            big = max(values) > _EXACT_INT or min(values) < -_EXACT_INT
            return PackedValues(VALUES_INT, data, None, 1 << INT | (TEXT_BIT if big else 0),
                                False)
    if types == {bool}:
        return PackedValues(VALUES_BOOL, bytes(values), None, 1 << BOOL, False)
    problem = _first_problem(values, value_problem) if validate else None
    if problem:
        raise RejectedValue(f"has a value that {problem}")
    numbers: list[float | None] = []
    mask = 0
    for value in values:  # the generic path: strings, rows, None, mixes (per point)
        kind = type(value)
        if kind is float:
            numbers.append(value if value == value else None)
            mask |= 1 << FLOAT if value == value else 1 << FLOAT | TEXT_BIT
        elif kind is int or kind is bool:
            numbers.append(_float(value))
            mask |= 1 << (BOOL if kind is bool else INT)
            if kind is int and not -_EXACT_INT <= value <= _EXACT_INT:
                mask |= TEXT_BIT
        else:
            numbers.append(None)
            mask |= TEXT_BIT | 1 << (STR if kind is str else JSON if kind is dict else NONE)
    return PackedValues(VALUES_JSON, _json(values), numbers, mask, False)


def _float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # only unvalidated input gets here
        return math.inf if value > 0 else -math.inf


def check_text(what: str, text: Any) -> None:
    """RejectedValue unless ``text`` is a str a store can hold."""
    if not isinstance(text, str):
        raise RejectedValue(f"{what} must be a str, got {type(text).__name__}")
    problem = value_problem(text)
    if problem:
        raise RejectedValue(f"{what} {problem}")


def check_number(what: str, value: Any) -> None:
    if type(value) is int:
        problem = int_problem(value)
        if problem:
            raise RejectedValue(f"{what} {problem}")


# --------------------------------------------------------------------------- unpacking

def _buffer(data: Any) -> Any:
    return data if isinstance(data, (bytes, bytearray, memoryview)) else bytes(data)


def _objects(items: Sequence[Any]) -> np.ndarray:
    import numpy as np

    return np.fromiter(items, dtype=object, count=len(items))


def decode_steps(encoding: int, data: Any, n: int) -> np.ndarray:
    import numpy as np

    if encoding == STEPS_INT:
        return np.frombuffer(_buffer(data), dtype="<i8", count=n)
    if encoding == STEPS_FLOAT:
        return np.frombuffer(_buffer(data), dtype="<f8", count=n)
    if encoding == STEPS_JSON:
        return _objects(json.loads(bytes(data)))
    return np.full(n, None, dtype=object)


def decode_times(data: Any, n: int) -> np.ndarray:
    import numpy as np

    return np.frombuffer(_buffer(data), dtype="<f8", count=n)


def decode_values(encoding: int, data: Any, n: int) -> np.ndarray:
    import numpy as np

    if encoding == VALUES_FLOAT:
        return np.frombuffer(_buffer(data), dtype="<f8", count=n)
    if encoding == VALUES_INT:
        return np.frombuffer(_buffer(data), dtype="<i8", count=n)
    if encoding == VALUES_BOOL:
        return np.frombuffer(_buffer(data), dtype=np.bool_, count=n)
    return _objects(json.loads(bytes(data)))


def concat(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One array of ``parts``: typed when they share a dtype, else Python objects (so ints
    stay ints next to floats and strings)."""
    import numpy as np

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
    import numpy as np

    if values.dtype != object:
        return values.astype(np.float64, copy=False)
    return np.fromiter((float(v) if type(v) in (float, int, bool) else math.nan
                        for v in values), dtype=np.float64, count=len(values))


def to_array(values: Sequence[Any]) -> np.ndarray:
    """A numpy array of plain Python values: typed when all are floats (or all ints within
    64 bits, or all bools), else an object array holding them unchanged."""
    import numpy as np

    kinds = set(map(type, values))
    for kind, dtype in ((float, np.float64), (int, np.int64), (bool, np.bool_)):
        if kinds == {kind}:
            try:
                return np.asarray(values, dtype=dtype)
            except OverflowError:
                break
    return _objects(values)


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


__all__ = ["CHUNK_POINTS", "MetricBatch", "MetricColumns", "PackedValues", "RejectedValue",
           "SeriesChunk", "check_number", "check_text", "concat", "decode_steps",
           "decode_times", "decode_values", "encode_steps", "encode_values", "group_points",
           "numbers_of", "pack_times", "to_array", "to_list", "unpack_steps", "unpack_times",
           "unpack_values"]
