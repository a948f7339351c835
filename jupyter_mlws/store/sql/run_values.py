"""Keys and values of many runs at once (Store.list_run_keys, Store.get_run_values): the
column chooser's names and the analysis views' columns, one SQL read per kind of value (never
one per run), restricted to the runs a RunQuery matches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..base import KeyCount, RunKeys, RunQuery, RunValues
from ..run_columns import (
    ATTRIBUTES,
    USER_PROPERTY,
    WILDCARD,
    Column,
    parameters_of,
    parse_columns,
)
from ..values import decode_value
from . import schema as t
from .common import loads, now
from .run_query import RunQueryMixin, ordered, where

# Parameter names come from the run definitions of this many runs (the newest first).
PARAMETER_SAMPLE = 2000
_CHUNK = 500
_BASE = ("id", "number", "display_name", "status", "parent_run_id")


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class RunValuesMixin(RunQueryMixin):
    def list_run_keys(self, workspace_id: str, query: RunQuery | None = None) -> RunKeys:
        q = query or RunQuery()
        runs = sa.select(t.run.c.id).where(*where(workspace_id, q))
        m, tag, prop = t.metric.c, t.run_tag.c, t.run_property.c

        def counted(rows: Any, with_kind: bool = False) -> list[KeyCount]:
            return [KeyCount(name=r[0], runs=int(r[-1]), kind=r[1] if with_kind else None)
                    for r in rows]

        def read(conn: sa.Connection) -> RunKeys:
            self.require_scope(conn, workspace_id, q)
            metrics = conn.execute(
                sa.select(m.name, m.kind, sa.func.count(sa.distinct(m.run_id)))
                .where(m.run_id.in_(runs)).group_by(m.name, m.kind).order_by(m.name)).all()
            tags = conn.execute(sa.select(tag.key, sa.func.count()).where(tag.run_id.in_(runs))
                                .group_by(tag.key).order_by(tag.key)).all()
            props = conn.execute(sa.select(prop.key, sa.func.count())
                                 .where(prop.run_id.in_(runs))
                                 .group_by(prop.key).order_by(prop.key)).all()
            definitions = conn.execute(
                sa.select(t.run.c.run_definition).where(t.run.c.id.in_(runs))
                .order_by(t.run.c.created_time.desc()).limit(PARAMETER_SAMPLE)).scalars()
            counts: dict[str, int] = {}
            for text in definitions:
                for name in parameters_of(loads(text, {})):
                    counts[name] = counts.get(name, 0) + 1
            total = int(conn.execute(sa.select(sa.func.count()).select_from(
                runs.subquery())).scalar_one())
            return RunKeys(metrics=counted(metrics, with_kind=True), tags=counted(tags),
                           properties=counted(props),
                           parameters=[KeyCount(name=k, runs=v) for k, v in sorted(counts.items())],
                           attributes=sorted(ATTRIBUTES), runs=total)

        return self.db.read(read)

    def get_run_values(self, workspace_id: str, query: RunQuery,
                       columns: Sequence[str]) -> RunValues:
        wanted = parse_columns(columns)
        conditions = where(workspace_id, query)
        self.reconcile_workspace(workspace_id)
        r = t.run.c
        base = sa.select(r.id, r.number, r.display_name, r.status, r.parent_run_id, r.run_type,
                         r.target, r.created_time, r.start_time, r.end_time, r.run_definition,
                         t.experiment.c.name.label("experiment")).join(
            t.experiment, t.experiment.c.id == r.experiment_id).where(*conditions)
        stmt = ordered(base, query)
        by_ns: dict[str, list[Column]] = {}
        for column in wanted:
            by_ns.setdefault(column.namespace, []).append(column)

        def read(conn: sa.Connection) -> RunValues:
            self.require_scope(conn, workspace_id, query)
            rows = conn.execute(stmt).all()
            ids = [row.id for row in rows]
            index = {run_id: i for i, run_id in enumerate(ids)}
            out: dict[str, list[Any]] = {f"attributes.{name}": [getattr(row, name) for row in rows]
                                         for name in _BASE}
            blank = lambda: [None] * len(ids)  # noqa: E731
            stamp = now()
            for column in by_ns.get("attributes", []):
                if column.key in out:
                    continue
                if column.name == "duration":
                    values = [((row.end_time or stamp) - row.start_time) if row.start_time
                              else None for row in rows]
                elif column.name == "compute":
                    values = [row.target for row in rows]
                elif column.name == "user":
                    values = self._property_values(conn, ids, USER_PROPERTY, index)
                else:
                    values = [getattr(row, column.name) for row in rows]
                out[column.key] = values
            def column(namespace: str, name: str) -> list[Any]:
                key = f"{namespace}.{name}"
                if key not in out:
                    out[key] = blank()
                return out[key]

            def wanted_names(namespace: str) -> set[str] | None:
                """The names asked for, None for every one (the wildcard)."""
                names = {c.name for c in by_ns.get(namespace, [])}
                return None if WILDCARD in names else names

            for c in by_ns.get("tags", []) + by_ns.get("properties", []) + \
                    by_ns.get("metrics", []) + by_ns.get("parameters", []):
                if c.name != WILDCARD:
                    column(c.namespace, c.name)  # asked for: present even when no run has it
            if by_ns.get("parameters"):
                names = wanted_names("parameters")
                for i, row in enumerate(rows):
                    for name, value in parameters_of(loads(row.run_definition, {})).items():
                        if names is None or name in names:
                            column("parameters", name)[i] = value
            for namespace, table in (("tags", t.run_tag), ("properties", t.run_property)):
                if not by_ns.get(namespace):
                    continue
                names = wanted_names(namespace)
                for chunk in _chunks(ids):
                    pairs = sa.select(table.c.run_id, table.c.key, table.c.value).where(
                        table.c.run_id.in_(chunk))
                    if names is not None:
                        pairs = pairs.where(table.c.key.in_(list(names)))
                    for run_id, key, value in conn.execute(pairs):
                        column(namespace, key)[index[run_id]] = value
            if by_ns.get("metrics"):
                names = wanted_names("metrics")
                m = t.metric.c
                for chunk in _chunks(ids):
                    last = sa.select(m.run_id, m.name, m.last_type, m.last_num, m.last_text
                                     ).where(m.run_id.in_(chunk))
                    last = last.where(m.kind == "scalar") if names is None else last.where(
                        m.name.in_(list(names)))
                    for run_id, name, code, num, text in conn.execute(last):
                        values = column("metrics", name)
                        if code is not None:
                            values[index[run_id]] = decode_value(code, num, text)
            total = len(ids) if query.limit is None and not query.offset else int(
                conn.execute(sa.select(sa.func.count()).select_from(t.run)
                             .where(*conditions)).scalar_one())
            return RunValues(ids=ids, columns=out, total=total)

        return self.db.read(read)

    @staticmethod
    def _property_values(conn: sa.Connection, ids: list[str], key: str,
                         index: dict[str, int]) -> list[Any]:
        values: list[Any] = [None] * len(ids)
        p = t.run_property.c
        for chunk in _chunks(ids):
            for run_id, value in conn.execute(sa.select(p.run_id, p.value).where(
                    p.run_id.in_(chunk), p.key == key)):
                values[index[run_id]] = value
        return values
