"""Encoding of metric values into three SQL columns: (type code, REAL, TEXT).

The REAL column carries every numeric value so SQL can sort, aggregate and downsample it; the
TEXT column carries what a REAL cannot hold exactly: strings, row dicts (JSON), NaN (SQLite
stores NaN as NULL) and integers beyond 2**53.
"""

from __future__ import annotations

import json
import math
from typing import Any

NONE, BOOL, INT, FLOAT, STR, JSON = 0, 1, 2, 3, 4, 5
# Added to a point's stored type code when its step was logged as an int: the step column is
# REAL, and this is what lets ``step=5`` come back as 5 rather than 5.0.
STEP_INT = 8
CODE_MASK = 7
_EXACT_INT = 2**53
_NAN = "nan"


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
