"""How one chunk of a metric's points is packed into typed arrays (the ``metric_chunk``
columns) and unpacked again.

Up to ``CHUNK_POINTS`` consecutive points, three columns:

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .columns import RejectedValue, object_array
from .values import BOOL, FLOAT, INT, JSON, NONE, STEP_INT, STR, step_problem, value_problem

if TYPE_CHECKING:
    import numpy as np

CHUNK_POINTS = 4096

STEPS_NONE, STEPS_INT, STEPS_FLOAT, STEPS_JSON = 0, 1, 2, 3
VALUES_FLOAT, VALUES_INT, VALUES_BOOL, VALUES_JSON = 1, 2, 3, 4
TEXT_BIT = 1 << 14  # rollup type mask: some point needs text (strings, rows, NaN, big ints)

_BIG_ENDIAN = sys.byteorder == "big"
_EXACT_INT = 2**53
_NONE_TYPE = type(None)


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


# --------------------------------------------------------------------------- unpacking

def _buffer(data: Any) -> Any:
    return data if isinstance(data, (bytes, bytearray, memoryview)) else bytes(data)


_STEP_DTYPES = {STEPS_INT: "<i8", STEPS_FLOAT: "<f8"}
_VALUE_DTYPES = {VALUES_FLOAT: "<f8", VALUES_INT: "<i8", VALUES_BOOL: "?"}


def _typed(dtype: str, data: Any, n: int) -> np.ndarray:
    import numpy as np  # numpy on use (cold start)

    return np.frombuffer(_buffer(data), dtype=dtype, count=n)


def decode_steps(encoding: int, data: Any, n: int) -> np.ndarray:
    if encoding in _STEP_DTYPES:
        return _typed(_STEP_DTYPES[encoding], data, n)
    if encoding == STEPS_JSON:
        return object_array(json.loads(bytes(data)))
    import numpy as np  # numpy on use (cold start)

    return np.full(n, None, dtype=object)


def decode_times(data: Any, n: int) -> np.ndarray:
    return _typed("<f8", data, n)


def decode_values(encoding: int, data: Any, n: int) -> np.ndarray:
    if encoding in _VALUE_DTYPES:
        return _typed(_VALUE_DTYPES[encoding], data, n)
    return object_array(json.loads(bytes(data)))


__all__ = [
    "CHUNK_POINTS",
    "STEPS_FLOAT",
    "STEPS_INT",
    "STEPS_JSON",
    "STEPS_NONE",
    "TEXT_BIT",
    "VALUES_BOOL",
    "VALUES_FLOAT",
    "VALUES_INT",
    "VALUES_JSON",
    "PackedValues",
    "decode_steps",
    "decode_times",
    "decode_values",
    "encode_steps",
    "encode_values",
    "pack_times",
    "unpack_steps",
    "unpack_times",
    "unpack_values",
]
