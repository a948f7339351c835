"""Runs of the SQL store: create, read, update, tags, properties, delete, liveness."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...exceptions import shown
from ..base import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RunRecord,
)
from ..liveness import is_run_stale
from . import schema as t
from .common import SqlBase, dumps, loads, now

KNOWN_STATUSES = ACTIVE_STATUSES | TERMINAL_STATUSES
_ACTIVE = sorted(ACTIVE_STATUSES)
INTERRUPTED_ERROR = {"error": {
    "code": "RunInterrupted",
    "message": "The process that owned this run ended without completing it "
               "(killed, crashed or lost its heartbeat).",
}}

# Columns of a RunRecord read with one join to get the experiment name.
RUN_COLUMNS = [*t.run.c, t.experiment.c.name.label("experiment_name")]


def run_select() -> sa.Select:
    return sa.select(*RUN_COLUMNS).join(t.experiment, t.experiment.c.id == t.run.c.experiment_id)


def _check_status(status: str) -> None:
    if status not in KNOWN_STATUSES:
        raise InvalidInputError(f"Unknown run status {status!r}")


def _check_strings(kind: str, values: dict[str, Any], allow_none: bool) -> None:
    for k, v in values.items():
        if not isinstance(k, str) or not k:
            raise InvalidInputError(f"Run {kind} keys must be non-empty strings, got {shown(k)}")
        if not (isinstance(v, str) or (allow_none and v is None)):
            raise InvalidInputError(f"Run {kind} values must be strings, got {shown(k)}="
                                    f"{shown(v)}")


def descendants_cte(parent_id: str) -> sa.CTE:
    """All runs below ``parent_id``, at any depth."""
    cte = sa.select(t.run.c.id).where(t.run.c.parent_run_id == parent_id).cte(
        "descendants", recursive=True)
    child = t.run.alias("child")
    return cte.union_all(sa.select(child.c.id).where(child.c.parent_run_id == cte.c.id))


class RunMixin(SqlBase):
    # ---- records
    def run_records(self, conn: Connection, rows: Sequence[Any]) -> list[RunRecord]:
        """RunRecords with their tags and properties, fetched in one query for all rows."""
        ids = [r.id for r in rows]
        tags: dict[str, dict[str, str | None]] = {i: {} for i in ids}
        props: dict[str, dict[str, str]] = {i: {} for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            q = sa.union_all(
                sa.select(sa.literal(0).label("kind"), t.run_tag.c.run_id, t.run_tag.c.key,
                          t.run_tag.c.value).where(t.run_tag.c.run_id.in_(chunk)),
                sa.select(sa.literal(1).label("kind"), t.run_property.c.run_id,
                          t.run_property.c.key, t.run_property.c.value)
                .where(t.run_property.c.run_id.in_(chunk)))
            for kind, run_id, key, value in conn.execute(q):
                (props if kind else tags)[run_id][key] = value
        return [RunRecord(
            id=r.id, workspace_id=r.workspace_id, experiment_id=r.experiment_id,
            experiment_name=r.experiment_name, number=r.number, status=r.status,
            parent_run_id=r.parent_run_id, run_type=r.run_type, display_name=r.display_name,
            description=r.description, target=r.target, created_time=r.created_time,
            start_time=r.start_time, end_time=r.end_time, properties=props[r.id],
            tags=tags[r.id], error=loads(r.error), run_definition=loads(r.run_definition, {}),
            snapshot_id=r.snapshot_id, owner=r.owner, heartbeat_time=r.heartbeat_time,
        ) for r in rows]

    def _run_row(self, conn: Connection, run_id: str, workspace_id: str | None = None) -> Any:
        q = run_select().where(t.run.c.id == run_id)
        if workspace_id is not None:
            q = q.where(t.run.c.workspace_id == workspace_id)
        row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"Run {run_id} not found")
        return row

    def _load_run(self, conn: Connection, run_id: str) -> RunRecord:
        return self.run_records(conn, [self._run_row(conn, run_id)])[0]

    # ---- liveness
    def reconcile(self, candidates: Iterable[tuple[str, str | None, float | None]]) -> int:
        """Mark active runs whose owner is gone as Failed. ``candidates``: (id, owner, last
        sign of life). Returns how many runs changed."""
        stamp = now()
        dead = [run_id for run_id, owner, seen in candidates
                if is_run_stale(owner, seen, stamp, run_id=run_id)]
        if not dead:
            return 0

        def fail(conn: Connection) -> int:
            r = t.run.c
            res = conn.execute(
                t.run.update().where(r.id.in_(dead), r.status.in_(_ACTIVE))
                .values(status="Failed", error=dumps(INTERRUPTED_ERROR),
                        end_time=sa.func.coalesce(r.end_time, stamp)))
            return int(res.rowcount or 0)

        return self.db.write(fail)

    def reconcile_workspace(self, workspace_id: str) -> None:
        """Check every active owned run of a workspace (few, found through an index)."""
        r = t.run.c
        rows = self.db.read(lambda c: c.execute(
            sa.select(r.id, r.owner, r.heartbeat_time, r.start_time, r.created_time)
            .where(r.workspace_id == workspace_id, r.status.in_(_ACTIVE),
                   r.owner.is_not(None))).all())
        self.reconcile((x.id, x.owner, x.heartbeat_time or x.start_time or x.created_time)
                       for x in rows)

    # ---- runs
    def create_run(self, workspace_id: str, experiment_id: str, *, run_id: str,
                   status: str = "NotStarted", parent_run_id: str | None = None,
                   run_type: str | None = None, display_name: str | None = None,
                   description: str | None = None, target: str = "local",
                   properties: dict[str, str] | None = None,
                   tags: dict[str, str | None] | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None) -> RunRecord:
        if not run_id:
            raise InvalidInputError("run_id must not be empty")
        _check_status(status)
        _check_strings("property", properties or {}, allow_none=False)
        _check_strings("tag", tags or {}, allow_none=True)
        stamp = now()

        def create(conn: Connection) -> RunRecord:
            exp = t.experiment.c
            found = conn.execute(sa.select(exp.id).where(
                exp.id == experiment_id, exp.workspace_id == workspace_id)).scalar()
            if found is None:
                raise NotFoundError(f"Experiment {experiment_id} not found in workspace "
                                    f"{workspace_id}")
            if conn.execute(sa.select(t.run.c.id).where(t.run.c.id == run_id)).first():
                raise ConflictError(f"Run {run_id} already exists")
            # The UPDATE row-locks the experiment (PostgreSQL); SQLite's IMMEDIATE
            # transaction already serializes writers. Either way numbers never repeat.
            conn.execute(t.experiment.update().where(exp.id == experiment_id)
                         .values(last_run_number=exp.last_run_number + 1))
            number = conn.execute(sa.select(exp.last_run_number)
                                  .where(exp.id == experiment_id)).scalar_one()
            conn.execute(t.run.insert().values(
                id=run_id, workspace_id=workspace_id, experiment_id=experiment_id,
                parent_run_id=parent_run_id, number=number, status=status, run_type=run_type,
                display_name=display_name, description=description, target=target,
                created_time=stamp,
                start_time=stamp if status == "Running" else None,
                end_time=stamp if status in TERMINAL_STATUSES else None,
                run_definition=dumps(run_definition or {}), owner=owner,
                heartbeat_time=stamp if owner else None))
            if tags:
                conn.execute(t.run_tag.insert(),
                             [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()])
            if properties:
                conn.execute(t.run_property.insert(), [
                    {"run_id": run_id, "key": k, "value": v} for k, v in properties.items()])
            return self._load_run(conn, run_id)

        try:
            return self.db.write(create)
        except sa.exc.IntegrityError as exc:
            raise ConflictError(f"Run {run_id} already exists") from exc

    def get_run(self, run_id: str, workspace_id: str | None = None) -> RunRecord:
        rec = self.db.read(lambda c: self.run_records(c, [self._run_row(c, run_id,
                                                                         workspace_id)])[0])
        if rec.status in ACTIVE_STATUSES and rec.owner and self.reconcile(
                [(rec.id, rec.owner, rec.heartbeat_time or rec.start_time or rec.created_time)]):
            rec = self.db.read(lambda c: self._load_run(c, run_id))
        return rec

    def update_run(self, run_id: str, *, status: str | None = None,
                   display_name: str | None = None, description: str | None = None,
                   error: dict[str, Any] | None = None, snapshot_id: str | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None, heartbeat: bool = False,
                   only_if_active: bool = False) -> RunRecord:
        if status is not None:
            _check_status(status)
        # An error message quoting a secret the run read is stored masked.
        masked_error = (None if error is None
                        else self.run_masker(run_id).deep(error))  # type: ignore[attr-defined]

        def update(conn: Connection) -> RunRecord:
            row = self._run_row(conn, run_id)
            if only_if_active and row.status in TERMINAL_STATUSES:
                return self.run_records(conn, [row])[0]
            stamp = now()
            values: dict[str, Any] = {}
            if status is not None:
                values["status"] = status
                if status == "Running" and row.start_time is None:
                    values["start_time"] = stamp
                if status in TERMINAL_STATUSES and row.end_time is None:
                    values["end_time"] = stamp
            for key, value in (("display_name", display_name), ("description", description),
                               ("snapshot_id", snapshot_id), ("owner", owner)):
                if value is not None:
                    values[key] = value
            if error is not None:
                values["error"] = dumps(masked_error)
            if run_definition is not None:
                values["run_definition"] = dumps(run_definition)
            if heartbeat:
                values["heartbeat_time"] = stamp
            if values:
                conn.execute(t.run.update().where(t.run.c.id == run_id).values(**values))
            return self._load_run(conn, run_id)

        return self.db.write(update)

    # ---- tags and properties
    def _kv(self, conn: Connection, table: sa.Table, run_id: str) -> dict[str, Any]:
        return dict(conn.execute(sa.select(table.c.key, table.c.value)
                                 .where(table.c.run_id == run_id)).all())

    def edit_run(self, run_id: str, *, tags: dict[str, str | None] | None = None,
                 remove_tags: Iterable[str] | None = None, description: str | None = None,
                 display_name: str | None = None) -> RunRecord:
        tags = dict(tags or {})
        remove = [k for k in remove_tags or () if k]
        _check_strings("tag", tags, allow_none=True)

        def write(conn: Connection) -> RunRecord:
            self._run_row(conn, run_id)
            tag = t.run_tag.c
            if tags:
                conn.execute(t.run_tag.delete().where(tag.run_id == run_id,
                                                      tag.key.in_(list(tags))))
                conn.execute(t.run_tag.insert(),
                             [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()])
            if remove:
                conn.execute(t.run_tag.delete().where(tag.run_id == run_id, tag.key.in_(remove)))
            values = {key: value for key, value in (("description", description),
                                                    ("display_name", display_name))
                      if value is not None}
            if values:
                conn.execute(t.run.update().where(t.run.c.id == run_id).values(**values))
            return self._load_run(conn, run_id)

        return self.db.write(write)

    def add_run_properties(self, run_id: str, properties: dict[str, str]) -> dict[str, str]:
        _check_strings("property", properties, allow_none=False)

        def write(conn: Connection) -> dict[str, str]:
            self._run_row(conn, run_id)
            current = self._kv(conn, t.run_property, run_id)
            new = {}
            for key, value in properties.items():
                if key in current and current[key] != value:
                    raise ConflictError(f"Property {key!r} of run {run_id} is already set to "
                                        f"{current[key]!r}; properties are immutable")
                if key not in current:
                    new[key] = value
            if new:
                conn.execute(t.run_property.insert(),
                             [{"run_id": run_id, "key": k, "value": v} for k, v in new.items()])
            return {**current, **new}

        try:
            return self.db.write(write)
        except sa.exc.IntegrityError:
            # A concurrent writer added the same key: re-check against its value.
            return self.db.write(write)

    # ---- delete
    def delete_run(self, run_id: str) -> None:
        def delete(conn: Connection) -> list[str]:
            self._run_row(conn, run_id)
            below = descendants_cte(run_id)
            ids = [run_id, *conn.execute(sa.select(below.c.id)).scalars()]
            for start in range(0, len(ids), 500):
                conn.execute(t.run.delete().where(t.run.c.id.in_(ids[start:start + 500])))
            return ids

        files = self.db.read(lambda c: self.files_of_run(c, run_id))
        for rid in self.db.write(delete):
            files.remove_run(rid)
