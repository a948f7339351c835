"""The one JSON encoding of jupyter_mlws: REST bodies, the HTTP store, the widget comm and the
live channel all use it.

JSON has no NaN/Infinity, so non-finite floats travel as the strings the OpenAPI document names
("NaN", "Infinity", "-Infinity") -- in records (:func:`json_safe`) and in metric values alike.
Metric values are the one place a string may also be a value: a *string* metric value that
spells one of those words is wrapped in a one-element list (no metric value is a list), so
:func:`encode_value` / :func:`decode_value` round-trip every value exactly. Bodies that carry
many values say with an ``escaped`` flag whether the wrapping pass was needed at all.

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
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np

_OUT = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_SPECIAL = frozenset(_IN)
# Column order of a metric point, as in store.base.MetricPoint.
COLUMNS = ("run", "name", "kind", "step", "time", "value", "description")
_DEDUPED = ("run", "name", "kind", "description")
_SCALARS = frozenset({type(None), bool, int, float, str})
_NUMBERS = frozenset({int, float})
_STEPS = frozenset({type(None), int, float})
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


class Encoded(dict):  # type: ignore[type-arg]
    """A body whose values are already JSON-safe (built from numpy columns at C speed, see
    :func:`json_column`): :func:`json_safe` hands it back as it is instead of walking a
    million values one Python object at a time."""


def json_safe(value: Any) -> Any:
    """A copy of ``value`` in which non-finite floats are strings, tuples are lists and
    records (dataclasses with ``to_dict``) are dicts. Metric values inside must already be
    encoded with :func:`encode_value`."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else _OUT[repr(value)]
    if kind is dict:
        return {str(k): json_safe(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [json_safe(v) for v in value]
    if value is None or kind is str or kind is int or kind is bool or kind is Encoded:
        return value
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None:
        return json_safe(to_dict())
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return json_safe(float(value))
    return value


def json_column(column: np.ndarray | None) -> list[Any]:
    """A numpy column as a JSON-safe list, at C speed for typed columns (non-finite floats
    become their strings, as :func:`json_safe` makes them); object columns go through
    :func:`json_safe`."""
    import numpy as np  # numpy on use (cold start)

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


def _record(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return to_dict()


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` after :func:`json_safe`."""
    try:
        # Most bodies hold no non-finite float: the C encoder alone (records through
        # ``default``) is twice as fast as walking them first (10,000-run value reads).
        return json.dumps(value, allow_nan=False, separators=(",", ":"), default=_record)
    except (ValueError, TypeError):  # non-finite floats, keys json.dumps does not take
        # allow_nan=False: a non-finite float that slipped past json_safe is a bug, not output.
        return json.dumps(json_safe(value), allow_nan=False, separators=(",", ":"))


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
    # Types checked per column (``set(map(type, ...))`` runs at C speed); only table rows are
    # looked into one by one.
    if not set(map(type, columns["time"])) <= _NUMBERS:
        raise ValueError("every point's time must be a number")
    if not set(map(type, columns["step"])) <= _STEPS:
        raise ValueError("every point's step must be a number or null")
    kinds = set(map(type, columns["value"]))
    if not kinds <= _SCALARS and not (kinds <= _SCALARS | {dict} and all(
            all(type(x) in _SCALARS for x in v.values())
            for v in columns["value"] if type(v) is dict)):
        raise ValueError("a value is a scalar or (table rows) an object of scalars")
    return list(zip(*(columns[key] for key in COLUMNS), strict=True))


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


def encode_values(values: Sequence[Any]) -> tuple[list[Any], bool]:
    """(values, escaped) for many metric values: as they are when plain JSON holds them."""
    if _plain_json_ok(values):
        return list(values), False
    return [encode_value(v) for v in values], True


def decode_values(values: list[Any], escaped: bool) -> list[Any]:
    """The inverse of :func:`encode_values`."""
    return [decode_value(v) for v in values] if escaped else values


def record(cls: type[R], data: dict[str, Any]) -> R:
    """A store record from its JSON form; keys a newer server adds are ignored."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


__all__ = ["COLUMNS", "MAX_BATCH", "MAX_EMPTY", "Encoded", "decode_metric_values",
           "decode_points", "decode_value", "decode_values", "dumps", "encode_metric_values",
           "encode_points", "encode_value", "encode_values", "json_column", "json_safe",
           "record"]
