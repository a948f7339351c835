"""The wire encoding shared by the HTTP store and the server's SDK routes.

JSON has no NaN/Infinity, so non-finite floats travel as the strings the OpenAPI document names
("NaN", "Infinity", "-Infinity"). To keep a *string* metric value that happens to spell one of
those unambiguous, such a string is wrapped in a one-element list (no metric value is a list).

A metric batch travels as columns (``zip(*points)`` on one side, ``zip(*columns)`` on the
other): both directions run at C speed, which is what lets one POST carry 100,000 points.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import fields
from itertools import chain, repeat
from typing import Any, TypeVar

_OUT = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_SPECIAL = frozenset(_IN)
# Column order of a metric point, as in store.base.MetricPoint.
COLUMNS = ("run", "name", "kind", "step", "time", "value", "description")
_DEDUPED = ("run", "name", "kind", "description")
_SCALARS = frozenset({type(None), bool, int, float, str})
MAX_BATCH = 1_000_000  # points in one request; the metric buffer sends at most 100,000
MAX_EMPTY = 10_000  # metrics recorded without points in one request

R = TypeVar("R")


def encode_value(value: Any) -> Any:
    """A JSON-safe form of one metric value (or step)."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else _OUT[repr(value)]
    if kind is str:
        return [value] if value in _SPECIAL else value
    if value is None or kind is bool or kind is int:
        return value
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return encode_value(float(value))
    if isinstance(value, str):
        return encode_value(str(value))
    raise TypeError(f"metric value of type {kind.__name__} cannot be sent")


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if type(value) is str:
        return _IN.get(value, value)
    if type(value) is list:
        if len(value) != 1 or not isinstance(value[0], str):
            raise ValueError("a list metric value must wrap exactly one string")
        return value[0]
    if type(value) is dict:
        return {k: decode_value(v) for k, v in value.items()}
    return value


def _needs_escaping(values: Sequence[Any]) -> bool:
    try:
        # Hashes every value: dicts (table rows) raise TypeError and take the slow path.
        return not _SPECIAL.isdisjoint(values)
    except TypeError:
        return True


def _plain_json_ok(values: Sequence[Any]) -> bool:
    """True when ``values`` serialize as-is: finite floats, ints, bools, None, plain strings."""
    if _needs_escaping(values):
        return False
    try:
        json.dumps(values, allow_nan=False)
    except (ValueError, TypeError):
        return False
    return True


def _column(values: Sequence[Any]) -> Any:
    """A string column as one value when constant, else {"values": [...], "index": [...]}."""
    unique = dict.fromkeys(values)
    if len(unique) == 1:
        return next(iter(unique))
    position = {value: i for i, value in enumerate(unique)}
    return {"values": list(unique), "index": [position[v] for v in values]}


def encode_points(points: Sequence[tuple], empty: Sequence[Any] = ()) -> bytes:
    """A metric batch as compact JSON bytes; ``empty``: SeriesChunks without points (metrics
    recorded empty), sent as ``[run, name, kind, description, columns or null]``."""
    declared = [[c.run_id, c.name, c.kind, c.description,
                 None if c.columns is None else list(c.columns)] for c in empty]
    if not points:
        return json.dumps({"count": 0, "empty": declared} if declared else {"count": 0},
                          separators=(",", ":")).encode()
    run, name, kind, step, time_, value, description = _columns(points)
    body: dict[str, Any] = {"count": len(points)}
    if declared:
        body["empty"] = declared
    for key, column in zip(_DEDUPED, (run, name, kind, description), strict=True):
        body[key] = _column(column)
    body.update(time=time_, step=step, value=value)
    for key in ("step", "value"):
        if _needs_escaping(body[key]):
            body[key] = [encode_value(v) for v in body[key]]
            body[f"{key}_escaped"] = True
    try:
        return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    except (ValueError, TypeError):
        # Rare: NaN/inf or numpy scalars somewhere. One encoding pass fixes every column.
        for key in ("time", "step", "value"):
            if not body.get(f"{key}_escaped"):
                body[key] = [encode_value(v) for v in body[key]]
                body[f"{key}_escaped"] = True
        return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()


def _columns(points: Sequence[tuple]) -> tuple[Sequence[Any], ...]:
    """The seven columns of a batch; a MetricBatch already holds per-series columns."""
    chunks = getattr(points, "chunks", None)
    if chunks is None:
        return tuple(zip(*points, strict=True))
    def each(field: str) -> list[Any]:
        return list(chain.from_iterable(repeat(getattr(c, field), len(c)) for c in chunks))

    def joined(field: str) -> list[Any]:
        return list(chain.from_iterable(getattr(c, field) for c in chunks))

    return (each("run_id"), each("name"), each("kind"), joined("step"), joined("time"),
            joined("value"), each("description"))


def _expand(column: Any, count: int, what: str) -> Sequence[Any]:
    if isinstance(column, str):
        return list(repeat(column, count))
    if isinstance(column, dict) and isinstance(column.get("values"), list) and isinstance(
            column.get("index"), list):
        values, index = column["values"], column["index"]
        if len(index) != count or not all(isinstance(v, str) for v in values):
            raise ValueError(f"column {what!r} does not match the point count")
        try:
            return [values[i] for i in index]
        except (IndexError, TypeError) as exc:
            raise ValueError(f"column {what!r} has a bad index") from exc
    raise ValueError(f"column {what!r} must be a string or {{values, index}}")


def decode_points(body: Any) -> list[tuple]:
    """The points of an encoded batch; ValueError when the body is malformed."""
    if not isinstance(body, dict) or not isinstance(body.get("count"), int):
        raise ValueError("a metric batch is an object with an integer 'count'")
    count = body["count"]
    if not 0 <= count <= MAX_BATCH:
        raise ValueError(f"a batch holds 0 to {MAX_BATCH} points")
    if count == 0:
        return []
    columns: dict[str, Sequence[Any]] = {}
    # The list columns first: their real lengths bound the work of expanding the others.
    for key in ("step", "time", "value"):
        column = body.get(key)
        if not isinstance(column, list) or len(column) != count:
            raise ValueError(f"column {key!r} must be a list of {count} items")
        if body.get(f"{key}_escaped"):
            column = [decode_value(v) for v in column]
        columns[key] = column
    for key in _DEDUPED:
        columns[key] = _expand(body.get(key), count, key)
    for t in columns["time"]:
        if type(t) not in (float, int):
            raise ValueError("every point's time must be a number")
    for s in columns["step"]:
        if s is not None and type(s) not in (float, int):
            raise ValueError("every point's step must be a number or null")
    for v in columns["value"]:
        if type(v) not in _SCALARS and not (
                type(v) is dict and all(type(x) in _SCALARS for x in v.values())):
            raise ValueError("a value is a scalar or (table rows) an object of scalars")
    return list(zip(*(columns[key] for key in COLUMNS), strict=True))


def decode_empty(body: dict[str, Any]) -> list[tuple[str, str, str, str, tuple | None]]:
    """The ``empty`` declarations of a batch as (run, name, kind, description, columns)."""
    declared = body.get("empty", [])
    if not isinstance(declared, list) or len(declared) > MAX_EMPTY:
        raise ValueError(f"'empty' must be a list of at most {MAX_EMPTY} items")
    out = []
    for item in declared:
        if not (isinstance(item, list) and len(item) == 5
                and all(isinstance(x, str) for x in item[:4])
                and (item[4] is None or (isinstance(item[4], list)
                                         and all(isinstance(c, str) for c in item[4])))):
            raise ValueError("an 'empty' item is [run, name, kind, description, columns|null]")
        out.append((*item[:4], None if item[4] is None else tuple(item[4])))
    return out


def encode_metric_values(values: dict[str, dict[str, tuple[str, list[Any]]]]
                         ) -> dict[str, Any]:
    """``get_all_metric_values`` output in JSON-safe form."""
    return {run_id: {name: [kind, series if _plain_json_ok(series)
                            else [encode_value(v) for v in series], _plain_json_ok(series)]
                     for name, (kind, series) in metrics.items()}
            for run_id, metrics in values.items()}


def decode_metric_values(body: dict[str, Any]) -> dict[str, dict[str, tuple[str, list[Any]]]]:
    return {run_id: {name: (kind, series if plain else [decode_value(v) for v in series])
                     for name, (kind, series, plain) in metrics.items()}
            for run_id, metrics in body.items()}


def encode_series_values(values: list[Any]) -> tuple[list[Any], bool]:
    """(values, escaped) for a metric series."""
    if _plain_json_ok(values):
        return values, False
    return [encode_value(v) for v in values], True


def record(cls: type[R], data: dict[str, Any]) -> R:
    """A store record from its JSON form; keys a newer server adds are ignored."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


__all__ = ["COLUMNS", "decode_empty", "decode_metric_values", "decode_points", "decode_value",
           "encode_metric_values", "encode_points", "encode_series_values", "encode_value",
           "record"]
