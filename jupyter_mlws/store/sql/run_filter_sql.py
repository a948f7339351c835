"""Value queries (:mod:`..run_filter`) as SQL: one WHERE condition, correlated with the
``run`` table, per parsed query."""

from __future__ import annotations

import operator
from typing import Any

import sqlalchemy as sa

from .. import run_filter as f
from ..base import InvalidInputError
from ..run_columns import USER_PROPERTY, Column
from ..values import BOOL, CODE_MASK, FLOAT, INT, STR
from . import schema as t
from .common import now


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---- value queries -> SQL
_OPS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}
_NUMBER_TEXT = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_NUMERIC_CODES = (FLOAT, INT, BOOL)


def _as_number(text: Any) -> Any:
    """A text column read as a number where it spells one (else NULL: no match). SQLite's
    REGEXP is SQLAlchemy's Python function, PostgreSQL's its own; the pattern suits both."""
    return sa.case((text.regexp_match(_NUMBER_TEXT), sa.cast(text, sa.Float)), else_=None)


def _compare(left: Any, op: str, value: Any) -> Any:
    return _OPS[op](left, value)


def _like(column: Any, text: str) -> Any:
    return sa.func.lower(column).like(f"%{escape_like(text.lower())}%", escape="\\")


def _key_value_test(table: sa.Table, value: Any, node: f.Node) -> Any:
    """The condition on a tag's/property's text value for one comparison node."""
    if isinstance(node, f.Contains):
        return _like(value, node.text)
    values = node.values if isinstance(node, f.In) else (node.value,)  # type: ignore[union-attr]
    op = "=" if isinstance(node, f.In) else node.op  # type: ignore[union-attr]
    tests = []
    for v in values:
        if isinstance(v, bool):
            tests.append(_compare(sa.func.lower(value), op, "true" if v else "false"))
        elif isinstance(v, float):
            tests.append(_compare(_as_number(value), op, v))
        else:
            tests.append(_compare(value, op, v))
    return sa.or_(*tests)


def _metric_test(m: Any, node: f.Node) -> Any:
    """The condition on a metric row's last value (numbers, or text for string metrics)."""
    code = m.c.last_type.op("&")(CODE_MASK)
    if isinstance(node, f.Contains):
        return sa.and_(code == STR, _like(m.c.last_text, node.text))
    values = node.values if isinstance(node, f.In) else (node.value,)  # type: ignore[union-attr]
    op = "=" if isinstance(node, f.In) else node.op  # type: ignore[union-attr]
    tests = []
    for v in values:
        if isinstance(v, (bool, float)):
            tests.append(sa.and_(code.in_(_NUMERIC_CODES), m.c.last_num.is_not(None),
                                 _compare(m.c.last_num, op, float(v))))
        else:
            tests.append(sa.and_(code == STR, _compare(m.c.last_text, op, v)))
    return sa.or_(*tests)


def _attribute(column: Column) -> Any:
    r = t.run.c
    return {
        "id": r.id, "number": r.number, "display_name": r.display_name, "status": r.status,
        "run_type": r.run_type, "compute": r.target, "parent_run_id": r.parent_run_id,
        "created_time": r.created_time, "start_time": r.start_time, "end_time": r.end_time,
        "duration": sa.func.coalesce(r.end_time, now()) - r.start_time,
    }.get(column.name)


def _exists(table: sa.Table, key: str, test: Any = None) -> Any:
    cond = [table.c.run_id == t.run.c.id, table.c.key == key]
    if test is not None:
        cond.append(test)
    return sa.exists().where(*cond)


def _leaf(node: f.Node) -> Any:
    """One comparison. A negated one ("not in", "not contains") still needs the value: it
    matches the runs that have it with another value, as "!=" does."""
    column: Column = node.column  # type: ignore[union-attr]
    negate = getattr(node, "negate", False)

    def maybe_not(test: Any) -> Any:
        return ~test if negate else test

    if column.namespace == "metrics":
        m = t.metric.alias("qm")
        base = [m.c.run_id == t.run.c.id, m.c.name == column.name]
        if isinstance(node, f.IsNull):
            found = sa.exists().where(*base)
            return found if negate else ~found
        return sa.exists().where(*base, maybe_not(_metric_test(m, node)))
    if column.namespace in ("tags", "properties") or column.name == "user":
        table = t.run_tag if column.namespace == "tags" else t.run_property
        key = USER_PROPERTY if column.name == "user" and column.namespace == "attributes" \
            else column.name
        if isinstance(node, f.IsNull):
            found = _exists(table, key)
            return found if negate else ~found
        return _exists(table, key, maybe_not(_key_value_test(table, table.c.value, node)))
    if column.name == "experiment":
        e = t.experiment.c
        if isinstance(node, f.IsNull):
            return sa.true() if negate else sa.false()
        return t.run.c.experiment_id.in_(sa.select(e.id).where(
            maybe_not(_key_value_test(t.experiment, e.name, node))))
    col = _attribute(column)
    if col is None:
        raise InvalidInputError(f"Query: attributes.{column.name} cannot be queried.")
    if isinstance(node, f.IsNull):
        return col.is_not(None) if negate else col.is_(None)
    if isinstance(node, f.Contains):
        test = _like(col, node.text)
    else:
        values = node.values if isinstance(node, f.In) else (node.value,)  # type: ignore
        op = "=" if isinstance(node, f.In) else node.op  # type: ignore[union-attr]
        test = sa.or_(*[_compare(col, op, v) for v in values])
    # Never NULL, so "not" means what it says for runs without the value.
    return sa.and_(col.is_not(None), maybe_not(test))


def filter_clause(node: f.Node) -> Any:
    """The WHERE condition of a parsed value query, correlated with the ``run`` table."""
    if isinstance(node, f.And):
        return sa.and_(*[filter_clause(n) for n in node.items])
    if isinstance(node, f.Or):
        return sa.or_(*[filter_clause(n) for n in node.items])
    if isinstance(node, f.Not):
        return ~filter_clause(node.item)
    return _leaf(node)


__all__ = ["escape_like", "filter_clause"]
