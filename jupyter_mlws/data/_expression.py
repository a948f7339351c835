"""Filter expressions of ``TabularDataset.filter``: ``ds.filter(ds["age"] > 30)``.

An expression is kept as a JSON tree (it is part of a dataset's stored definition) and turned
into a ``pyarrow.compute.Expression`` when read, so the filter is pushed down into the scan.
"""

from __future__ import annotations

import datetime
from typing import Any

from ..exceptions import UserErrorException

_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


def _literal(value: Any) -> Any:
    if isinstance(value, Expression):
        return value.tree
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, float) and value != value:
            raise UserErrorException("A filter cannot compare with NaN; use is_null()")
        return {"value": value}
    if hasattr(value, "item"):  # numpy scalars
        return {"value": value.item()}
    raise UserErrorException(f"A filter cannot use a {type(value).__name__} value")


class Expression:
    """A column or a condition over columns; combine with ``&``, ``|`` and ``~``."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree

    def _op(self, op: str, other: Any) -> Expression:
        return Expression({"op": op, "args": [self.tree, _literal(other)]})

    def __eq__(self, other: Any) -> Expression:  # type: ignore[override]
        return self._op("==", other)

    def __ne__(self, other: Any) -> Expression:  # type: ignore[override]
        return self._op("!=", other)

    def __lt__(self, other: Any) -> Expression:
        return self._op("<", other)

    def __le__(self, other: Any) -> Expression:
        return self._op("<=", other)

    def __gt__(self, other: Any) -> Expression:
        return self._op(">", other)

    def __ge__(self, other: Any) -> Expression:
        return self._op(">=", other)

    def __and__(self, other: Any) -> Expression:
        return self._op("and", other)

    def __or__(self, other: Any) -> Expression:
        return self._op("or", other)

    def __invert__(self) -> Expression:
        return Expression({"op": "not", "args": [self.tree]})

    def starts_with(self, prefix: str) -> Expression:
        return self._op("starts_with", prefix)

    def ends_with(self, suffix: str) -> Expression:
        return self._op("ends_with", suffix)

    def contains(self, text: str) -> Expression:
        return self._op("contains", text)

    def is_null(self) -> Expression:
        return Expression({"op": "is_null", "args": [self.tree]})

    def isin(self, values: list[Any]) -> Expression:
        return Expression({"op": "isin", "args": [self.tree, {"values": [
            _literal(v)["value"] for v in values]}]})

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise UserErrorException("A dataset filter expression has no truth value: combine "
                                 "conditions with &, | and ~ (not 'and', 'or', 'not')")

    def __repr__(self) -> str:
        return f"Expression({self.tree})"


def column(name: str) -> Expression:
    if not isinstance(name, str) or not name:
        raise UserErrorException(f"A column name is a non-empty string, got {name!r}")
    return Expression({"column": name})


def columns_of(tree: dict[str, Any]) -> set[str]:
    if "column" in tree:
        return {tree["column"]}
    found: set[str] = set()
    for arg in tree.get("args", []):
        if isinstance(arg, dict):
            found |= columns_of(arg)
    return found


def to_arrow(tree: dict[str, Any]) -> Any:
    """The pyarrow expression of a tree."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "column" in tree:
        return pc.field(tree["column"])
    if "value" in tree:
        return pc.scalar(tree["value"])
    if "datetime" in tree:
        return pc.scalar(datetime.datetime.fromisoformat(tree["datetime"]))
    if "date" in tree:
        return pc.scalar(datetime.date.fromisoformat(tree["date"]))
    op = tree.get("op")
    args = tree.get("args", [])
    if op == "not":
        return ~to_arrow(args[0])
    if op == "is_null":
        return to_arrow(args[0]).is_null()
    if op == "isin":
        return to_arrow(args[0]).isin(pa.array(args[1]["values"]))
    left, right = to_arrow(args[0]), args[1]
    if op in ("starts_with", "ends_with", "contains"):
        function = {"starts_with": "starts_with", "ends_with": "ends_with",
                    "contains": "match_substring"}[op]
        return pc.Expression._call(function, [left], pc.MatchSubstringOptions(right["value"]))
    other = to_arrow(right)
    if op == "and":
        return left & other
    if op == "or":
        return left | other
    if op in _COMPARE:
        return {"==": left == other, "!=": left != other, "<": left < other,
                "<=": left <= other, ">": left > other, ">=": left >= other}[op]
    raise UserErrorException(f"Unknown filter operation {op!r}")


def check(value: Any) -> dict[str, Any]:
    if not isinstance(value, Expression) or "column" in value.tree:
        raise UserErrorException("filter() takes a condition such as dataset['age'] > 30")
    return value.tree


__all__ = ["Expression", "check", "column", "columns_of", "to_arrow"]
