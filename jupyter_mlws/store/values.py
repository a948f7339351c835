"""Metric values: what a store can hold, and the one-value encoding of the ``metric`` row.

Validation (``text_problem``, ``value_problem``, ``step_problem``) is shared by the SDK, which
checks every ``run.log*`` call before queuing anything, and the stores, which check every batch
again (a REST client may send anything). What cannot be stored:

- text with a lone surrogate (``"\\ud800"``: not Unicode, cannot be encoded as UTF-8) or a NUL
  character (PostgreSQL text cannot hold it), in names, string values, descriptions and the
  keys and values of table rows;
- integers whose float conversion overflows (``10**400``): every number also gets a sortable
  REAL (``metric.last_num``, the rollups). Any smaller integer is stored exactly;
- integer steps outside 64 bits (steps are stored as int64 arrays);
- anything that is not None, bool, int, float, str (or, for table rows, a dict of those).
NaN and the infinities are ordinary floats and are kept exactly.

The per-point encoding ``(type code, REAL, TEXT)`` below is the one schema 0001 used for every
point; it survives for the last value of each metric (``metric.last_*``) and the 0002 migration.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

NONE, BOOL, INT, FLOAT, STR, JSON = 0, 1, 2, 3, 4, 5
# Added to a point's stored type code when its step was logged as an int: the step column is
# REAL, and this is what lets ``step=5`` come back as 5 rather than 5.0.
STEP_INT = 8
CODE_MASK = 7
_EXACT_INT = 2**53
_NAN = "nan"
STEP_MIN, STEP_MAX = -(2**63), 2**63 - 1
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


# ---------------------------------------------------------------------------- validation

def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    found = _BAD_CHARS.search(text)
    if found is None:
        return None
    char, at = found.group(), found.start()
    if char == "\x00":
        return f"contains a NUL character (at index {at}), which stored text cannot hold"
    return (f"contains a lone surrogate {char!r} (at index {at}), which is not valid Unicode "
            "text and cannot be stored; encode the text properly (e.g. decode bytes with "
            "errors='replace')")


def int_problem(value: int) -> str | None:
    """Why the integer ``value`` cannot be stored, or None."""
    try:
        float(value)
    except OverflowError:
        return (f"is an integer of {value.bit_length()} bits, too large to store (metric "
                "numbers must lie within about ±1.8e308); log it as a str if you need it")
    return None


def value_problem(value: Any, *, row: bool = True) -> str | None:
    """Why ``value`` cannot be a metric value (table rows allowed when ``row``), or None."""
    kind = type(value)
    if kind is float or kind is bool or value is None:
        return None
    if kind is int:
        return int_problem(value)
    if kind is str:
        return text_problem(value)
    if kind is dict and row:
        for key, item in value.items():
            if type(key) is not str:
                return f"has a column name of type {type(key).__name__} (column names are str)"
            problem = text_problem(key)
            if problem:
                return f"has a column name that {problem}"
            problem = value_problem(item, row=False)
            if problem:
                return f"has a value in column {key!r} that {problem}"
        return None
    return f"has type {kind.__name__}, which is not a metric value"


def step_problem(step: Any) -> str | None:
    """Why ``step`` cannot be a step (None, an int within 64 bits, or a float), or None."""
    kind = type(step)
    if step is None or kind is float:
        return None
    if kind is int:
        if STEP_MIN <= step <= STEP_MAX:
            return None
        return f"is an integer of {step.bit_length()} bits; steps are limited to 64-bit integers"
    return f"has type {kind.__name__}; a step is an int or a float"


# --------------------------------------------------------------------- one-value encoding

def encode_value(value: Any) -> tuple[int, float | None, str | None]:
    """Encode one value; numpy scalars are expected to be converted by the caller."""
    # Exact type checks first: this runs once per logged point.
    t = type(value)
    if t is float:
        if value != value:  # NaN, which SQLite would silently turn into NULL
            return FLOAT, None, _NAN
        return FLOAT, value, None
    if t is int:
        if -_EXACT_INT <= value <= _EXACT_INT:
            return INT, float(value), None
        return INT, float(value), str(value)
    if t is bool:
        return BOOL, 1.0 if value else 0.0, None
    if value is None:
        return NONE, None, None
    if t is str:
        return STR, None, value
    if isinstance(value, bool):
        return BOOL, 1.0 if value else 0.0, None
    if isinstance(value, int):
        return encode_value(int(value))
    if isinstance(value, float):
        return encode_value(float(value))
    if isinstance(value, str):
        return STR, None, str(value)
    if isinstance(value, dict):
        # allow_nan keeps NaN/inf inside rows (Python's json reads them back).
        return JSON, None, json.dumps(value, allow_nan=True, default=repr)
    return STR, None, repr(value)


def encode_step(step: Any) -> tuple[float | None, int]:
    """The REAL to store for ``step`` and the flag (0 or STEP_INT) to add to the type code."""
    if step is None:
        return None, 0
    if type(step) is int or (isinstance(step, int) and not isinstance(step, bool)):
        return float(step), STEP_INT
    return float(step), 0


def decode_step(code: int, step: float | None) -> float | int | None:
    return int(step) if code & STEP_INT and step is not None else step


def decode_value(code: int, num: float | None, text: str | None) -> Any:
    code &= CODE_MASK
    if code == FLOAT:
        return math.nan if text is not None else num
    if code == INT:
        return int(text) if text is not None else int(num)  # type: ignore[arg-type]
    if code == STR:
        return text
    if code == BOOL:
        return bool(num)
    if code == JSON:
        return json.loads(text) if text is not None else None
    return None


def numeric_value(code: int, num: float | None, text: str | None) -> float | None:
    """The sortable number of a value (None for strings, rows and None)."""
    if code & CODE_MASK in (FLOAT, INT, BOOL):
        return math.nan if text == _NAN else num
    return None


__all__ = ["BOOL", "CODE_MASK", "FLOAT", "INT", "JSON", "NONE", "STEP_INT", "STEP_MAX",
           "STEP_MIN", "STR", "decode_step", "decode_value", "encode_step", "encode_value",
           "int_problem", "numeric_value", "step_problem", "text_problem", "value_problem"]
