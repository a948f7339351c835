"""search_runs / list_runs / count_runs: RunQuery filters, ordering and paging as one SQL
statement (value queries become part of its WHERE clause: ``run_filter_sql.py``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from .. import run_filter as f
from ..base import (
    RUN_PAGE_MAX,
    InvalidInputError,
    NotFoundError,
    RunPage,
    RunQuery,
    RunRecord,
    RunTable,
)
from . import schema as t
from .run_filter_sql import escape_like, filter_clause
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
    if q.experiment_name is not None:
        where.append(r.experiment_id.in_(sa.select(t.experiment.c.id).where(
            t.experiment.c.workspace_id == workspace_id,
            t.experiment.c.name == q.experiment_name)))
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
        pattern = f"%{escape_like(q.text.lower())}%"
        where.append(sa.or_(sa.func.lower(r.display_name).like(pattern, escape="\\"),
                            sa.func.lower(r.id).like(pattern, escape="\\")))
    node = f.parse_filter(q.filter)
    if node is not None:
        where.append(filter_clause(node))
    return where


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
    def search_runs(self, workspace_id: str, query: RunQuery | None = None) -> RunPage:
        q = query or RunQuery()
        if q.limit is None or q.limit > RUN_PAGE_MAX:
            q = replace(q, limit=RUN_PAGE_MAX)
        self.reconcile_workspace(workspace_id)
        stmt = self._list_statement(workspace_id, q)
        count = sa.select(sa.func.count()).select_from(t.run).where(*_where(workspace_id, q))

        def read(conn: sa.Connection) -> RunPage:
            # One connection (and, on PostgreSQL, one snapshot) for the page and its total.
            self.require_scope(conn, workspace_id, q)
            return RunPage(runs=self.run_records(conn, conn.execute(stmt).all()),
                           total=int(conn.execute(count).scalar_one()))

        return self.db.read(read)

    def require_scope(self, conn: sa.Connection, workspace_id: str, q: RunQuery) -> None:
        """NotFoundError for an unknown workspace or experiment name: a search of what does
        not exist is an error, not an empty answer."""
        self.require_workspace(conn, workspace_id)
        if q.experiment_name is not None and conn.execute(
                sa.select(t.experiment.c.id).where(
                    t.experiment.c.workspace_id == workspace_id,
                    t.experiment.c.name == q.experiment_name)).first() is None:
            raise NotFoundError(f"Experiment {q.experiment_name!r} not found")

    def list_runs(self, workspace_id: str, query: RunQuery | None = None) -> list[RunRecord]:
        q = query or RunQuery()
        self.reconcile_workspace(workspace_id)
        stmt = self._list_statement(workspace_id, q)

        def read(conn: sa.Connection) -> list[RunRecord]:
            return self.run_records(conn, conn.execute(stmt).all())

        return self.db.read(read)

    def _list_statement(self, workspace_id: str, q: RunQuery) -> sa.Select:
        return ordered(run_select().where(*where(workspace_id, q)), q)

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
