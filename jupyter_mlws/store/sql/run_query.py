"""list_runs / count_runs: RunQuery filters, ordering and paging as one SQL statement, and
the value queries of :mod:`..run_filter` translated into its WHERE clause."""

from __future__ import annotations

import operator
from typing import Any

import sqlalchemy as sa

from .. import run_filter as f
from ..base import InvalidInputError, RunQuery, RunRecord, RunTable
from ..run_columns import USER_PROPERTY, Column
from ..values import BOOL, CODE_MASK, FLOAT, INT, STR
from . import schema as t
from .common import now
from .runs import RunMixin, descendants_cte, run_select

_ORDER_COLUMNS = {
    "created_time": t.run.c.created_time,
    "start_time": t.run.c.start_time,
    "end_time": t.run.c.end_time,
    "status": t.run.c.status,
    "number": t.run.c.number,
    "display_name": t.run.c.display_name,
    "run_type": t.run.c.run_type,
    "target": t.run.c.target,
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _kv_filters(table: sa.Table, wanted: dict[str, str | None]) -> list[Any]:
    """One EXISTS per key: the run has the key (with that value unless None)."""
    out = []
    for key, value in wanted.items():
        cond = [table.c.run_id == t.run.c.id, table.c.key == key]
        if value is not None:
            cond.append(table.c.value == value)
        out.append(sa.exists().where(*cond))
    return out


def _where(workspace_id: str, q: RunQuery) -> list[Any]:
    r = t.run.c
    where: list[Any] = [r.workspace_id == workspace_id]
    if q.experiment_id is not None:
        where.append(r.experiment_id == q.experiment_id)
    if q.parent_run_id is not None:
        if q.recursive:
            below = descendants_cte(q.parent_run_id)
            where.append(r.id.in_(sa.select(below.c.id)))
        else:
            where.append(r.parent_run_id == q.parent_run_id)
    elif not q.include_children:
        where.append(r.parent_run_id.is_(None))
    if q.status:
        statuses = [q.status] if isinstance(q.status, str) else list(q.status)
        where.append(r.status.in_(statuses))
    if q.tags:
        where.extend(_kv_filters(t.run_tag, q.tags))
    if q.properties:
        where.extend(_kv_filters(t.run_property, q.properties))
    if q.run_type is not None:
        where.append(r.run_type == q.run_type)
    if q.text:
        pattern = f"%{_escape_like(q.text.lower())}%"
        where.append(sa.or_(sa.func.lower(r.display_name).like(pattern, escape="\\"),
                            sa.func.lower(r.id).like(pattern, escape="\\")))
    node = f.parse_filter(q.filter)
    if node is not None:
        where.append(filter_clause(node))
    return where


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
    return sa.func.lower(column).like(f"%{_escape_like(text.lower())}%", escape="\\")


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


def order_key(stmt: sa.Select, order_by: str) -> tuple[sa.Select, Any]:
    """The statement (joined when the key is a metric, tag or property) and its sort key."""
    for prefix, table, column in (("metric:", t.metric, "last_num"), ("tag:", t.run_tag, "value"),
                                  ("property:", t.run_property, "value")):
        if order_by.startswith(prefix):
            name = order_by[len(prefix):]
            alias = table.alias("order_key")
            match = alias.c.name if table is t.metric else alias.c.key
            stmt = stmt.outerjoin(alias, sa.and_(alias.c.run_id == t.run.c.id, match == name))
            return stmt, alias.c[column]
    if order_by in _ORDER_COLUMNS:
        return stmt, _ORDER_COLUMNS[order_by]
    raise InvalidInputError(f"order_by must be one of {', '.join(_ORDER_COLUMNS)}, "
                            "metric:<name>, tag:<key> or property:<key>")


def ordered(stmt: sa.Select, q: RunQuery) -> sa.Select:
    """``stmt`` in the query's order and page. Rows without the key (no start time, metric
    not logged or without a number, e.g. a string, NaN or an empty list) come last either
    way; ties break by creation time, then id."""
    stmt, key = order_key(stmt, q.order_by)
    stmt = stmt.order_by(key.is_(None), key.desc() if q.descending else key.asc(),
                         t.run.c.created_time.desc() if q.descending
                         else t.run.c.created_time.asc(),
                         t.run.c.id)
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    if q.offset:
        stmt = stmt.offset(q.offset)
    return stmt


def where(workspace_id: str, q: RunQuery) -> list[Any]:
    """The WHERE conditions of a RunQuery (checked: negative pages are errors)."""
    if (q.limit is not None and q.limit < 0) or q.offset < 0:
        raise InvalidInputError("limit and offset must not be negative")
    return _where(workspace_id, q)


class RunQueryMixin(RunMixin):
    def list_runs(self, workspace_id: str, query: RunQuery | None = None) -> list[RunRecord]:
        q = query or RunQuery()
        conditions = where(workspace_id, q)
        self.reconcile_workspace(workspace_id)
        stmt = ordered(run_select().where(*conditions), q)

        def read(conn: sa.Connection) -> list[RunRecord]:
            return self.run_records(conn, conn.execute(stmt).all())

        return self.db.read(read)

    def run_table(self, workspace_id: str, query: RunQuery | None = None, *,
                  include_properties: bool = False) -> RunTable:
        q = query or RunQuery()
        conditions = where(workspace_id, q)
        self.reconcile_workspace(workspace_id)
        r = t.run.c
        stmt = ordered(sa.select(r.id, t.experiment.c.name, r.number, r.display_name, r.status,
                                 r.start_time, r.end_time, r.parent_run_id)
                       .join(t.experiment, t.experiment.c.id == r.experiment_id)
                       .where(*conditions), q)

        def read(conn: sa.Connection) -> RunTable:
            rows = conn.execute(stmt).all()
            table = RunTable(*(list(column) for column in zip(*rows, strict=True))) if rows \
                else RunTable()
            position = {run_id: i for i, run_id in enumerate(table.id)}
            table.tags = [{} for _ in rows]
            if include_properties:
                table.properties = [{} for _ in rows]
            # One query per key-value table, for exactly the runs of the page.
            page = sa.select(stmt.subquery().c.id)
            sources = [(t.run_tag, table.tags)]
            if include_properties:
                sources.append((t.run_property, table.properties))  # type: ignore[arg-type]
            for source, target in sources:
                kv = source.c
                for run_id, key, value in conn.execute(
                        sa.select(kv.run_id, kv.key, kv.value).where(kv.run_id.in_(page))).all():
                    target[position[run_id]][key] = value
            return table

        return self.db.read(read)

    def count_runs(self, workspace_id: str, query: RunQuery | None = None) -> int:
        q = query or RunQuery()
        stmt = sa.select(sa.func.count()).select_from(t.run).where(*_where(workspace_id, q))
        return int(self.db.read(lambda c: c.execute(stmt).scalar_one()))
