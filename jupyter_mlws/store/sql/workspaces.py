"""Workspaces and experiments of the SQL store."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import (
    ConflictError,
    ExperimentRecord,
    InvalidInputError,
    NotFoundError,
    WorkspaceRecord,
)
from ..files import WorkspaceFiles
from . import schema as t
from .common import SqlBase, dumps, loads, now

VIEW_TYPES = ("ActiveOnly", "ArchivedOnly", "All")


def _tags_match(tags: dict[str, Any], wanted: dict[str, str | None] | None) -> bool:
    if not wanted:
        return True
    return all(k in tags and (v is None or tags[k] == v) for k, v in wanted.items())


def _experiment_record(row: Any, run_count: int | None = None,
                       child_run_count: int | None = None) -> ExperimentRecord:
    return ExperimentRecord(id=row.id, workspace_id=row.workspace_id, name=row.name,
                            archived_time=row.archived_time, tags=loads(row.tags, {}),
                            created_time=row.created_time, run_count=run_count,
                            child_run_count=child_run_count)


class WorkspaceMixin(SqlBase):
    # ---- workspaces
    def create_workspace(self, name: str, subscription_id: str, resource_group: str, *,
                         location: str = "local", storage_url: str | None = None,
                         friendly_name: str = "", description: str = "",
                         tags: dict[str, str | None] | None = None) -> WorkspaceRecord:
        if not name:
            raise InvalidInputError("Workspace name must not be empty")
        ws_id = str(uuid.uuid4())
        rec = WorkspaceRecord(
            id=ws_id, name=name, subscription_id=subscription_id,
            resource_group=resource_group, location=location,
            storage_url=storage_url or self.default_storage_url(ws_id),
            friendly_name=friendly_name, description=description, tags=dict(tags or {}),
            created_time=now())

        def insert(conn: Connection) -> None:
            values = rec.to_dict()
            values["tags"] = dumps(rec.tags)
            conn.execute(t.workspace.insert().values(**values))

        try:
            self.db.write(insert)
        except sa.exc.IntegrityError as exc:
            raise ConflictError(
                f"Workspace {name!r} already exists in subscription {subscription_id!r}, "
                f"resource group {resource_group!r}") from exc
        return rec

    def get_workspace(self, name: str, subscription_id: str | None = None,
                      resource_group: str | None = None) -> WorkspaceRecord:
        q = sa.select(t.workspace).where(t.workspace.c.name == name)
        if subscription_id is not None:
            q = q.where(t.workspace.c.subscription_id == subscription_id)
        if resource_group is not None:
            q = q.where(t.workspace.c.resource_group == resource_group)
        rows = self.db.read(lambda c: c.execute(q).all())
        if not rows:
            raise NotFoundError(f"Workspace {name!r} not found")
        if len(rows) > 1:
            where = ", ".join(f"{r.subscription_id}/{r.resource_group}" for r in rows)
            raise ConflictError(f"Several workspaces are named {name!r} ({where}); "
                                "pass subscription_id and resource_group")
        return self.workspace_record(rows[0])

    def get_workspace_by_id(self, workspace_id: str) -> WorkspaceRecord:
        row = self.db.read(lambda c: c.execute(
            sa.select(t.workspace).where(t.workspace.c.id == workspace_id)).first())
        if row is None:
            raise NotFoundError(f"Workspace {workspace_id} not found")
        return self.workspace_record(row)

    def list_workspaces(self, subscription_id: str | None = None,
                        resource_group: str | None = None) -> list[WorkspaceRecord]:
        q = sa.select(t.workspace).order_by(t.workspace.c.name, t.workspace.c.created_time)
        if subscription_id is not None:
            q = q.where(t.workspace.c.subscription_id == subscription_id)
        if resource_group is not None:
            q = q.where(t.workspace.c.resource_group == resource_group)
        return [self.workspace_record(r) for r in self.db.read(lambda c: c.execute(q).all())]

    def update_workspace(self, workspace_id: str, *, tags: dict[str, str | None] | None = None,
                         description: str | None = None,
                         friendly_name: str | None = None) -> WorkspaceRecord:
        values: dict[str, Any] = {}
        if tags is not None:
            values["tags"] = dumps(dict(tags))
        if description is not None:
            values["description"] = description
        if friendly_name is not None:
            values["friendly_name"] = friendly_name

        def update(conn: Connection) -> None:
            self.require_workspace(conn, workspace_id)
            if values:
                conn.execute(t.workspace.update().where(t.workspace.c.id == workspace_id)
                             .values(**values))

        self.db.write(update)
        return self.get_workspace_by_id(workspace_id)

    def delete_workspace(self, workspace_id: str) -> None:
        def delete(conn: Connection) -> str:
            url = conn.execute(sa.select(t.workspace.c.storage_url)
                               .where(t.workspace.c.id == workspace_id)).scalar()
            if url is None:
                raise NotFoundError(f"Workspace {workspace_id} not found")
            conn.execute(t.workspace.delete().where(t.workspace.c.id == workspace_id))
            return url

        url = self.db.write(delete)  # rows cascade through the foreign keys
        self.files_for_url(url).remove_all()

    # ---- experiments
    def create_experiment(self, workspace_id: str, name: str, *,
                          exist_ok: bool = False) -> ExperimentRecord:
        if not name:
            raise InvalidInputError("Experiment name must not be empty")
        if exist_ok:
            with contextlib.suppress(NotFoundError):
                return self.get_experiment_by_name(workspace_id, name)

        def create(conn: Connection) -> ExperimentRecord:
            self.require_workspace(conn, workspace_id)
            experiment_id = str(uuid.uuid4())
            conn.execute(t.experiment.insert().values(
                id=experiment_id, workspace_id=workspace_id, name=name, tags="{}",
                created_time=now(), last_run_number=0))
            return self._experiment_by_id(conn, experiment_id)

        try:
            return self.db.write(create)
        except sa.exc.IntegrityError as exc:
            # The unique (workspace, name) index decided: someone else created it first.
            if exist_ok:
                return self.get_experiment_by_name(workspace_id, name)
            raise ConflictError(f"Experiment {name} already exists.") from exc

    def get_experiment_by_name(self, workspace_id: str,
                               experiment_name: str) -> ExperimentRecord:
        row = self.db.read(lambda c: c.execute(sa.select(t.experiment).where(
            t.experiment.c.workspace_id == workspace_id,
            t.experiment.c.name == experiment_name)).first())
        if row is None:
            raise NotFoundError(f"Experiment {experiment_name!r} not found")
        return _experiment_record(row)

    def get_experiment_by_id(self, experiment_id: str) -> ExperimentRecord:
        return self.db.read(lambda c: self._experiment_by_id(c, experiment_id))

    def _experiment_by_id(self, conn: Connection, experiment_id: str) -> ExperimentRecord:
        row = conn.execute(sa.select(t.experiment)
                           .where(t.experiment.c.id == experiment_id)).first()
        if row is None:
            raise NotFoundError(f"Experiment {experiment_id!r} not found")
        return _experiment_record(row)

    def list_experiments(self, workspace_id: str, view_type: str = "ActiveOnly",
                         name: str | None = None, tags: dict[str, str | None] | None = None,
                         with_run_counts: bool = False) -> list[ExperimentRecord]:
        if view_type not in VIEW_TYPES:
            raise InvalidInputError(f"view_type must be one of {', '.join(VIEW_TYPES)}")
        e = t.experiment
        q = sa.select(e).where(e.c.workspace_id == workspace_id).order_by(e.c.name)
        if view_type == "ActiveOnly":
            q = q.where(e.c.archived_time.is_(None))
        elif view_type == "ArchivedOnly":
            q = q.where(e.c.archived_time.is_not(None))
        if name is not None:
            q = q.where(e.c.name == name)

        def read(conn: Connection) -> list[ExperimentRecord]:
            self.require_workspace(conn, workspace_id)
            rows = conn.execute(q).all()
            counts: dict[str, tuple[int, int]] = {}
            if with_run_counts and rows:
                children = sa.func.sum(sa.case((t.run.c.parent_run_id.is_not(None), 1),
                                               else_=0))
                counts = {eid: (int(n), int(c or 0)) for eid, n, c in conn.execute(
                    sa.select(t.run.c.experiment_id, sa.func.count(), children)
                    .where(t.run.c.workspace_id == workspace_id)
                    .group_by(t.run.c.experiment_id)).all()}
            return [_experiment_record(r, *(counts.get(r.id, (0, 0)) if with_run_counts
                                            else (None, None)))
                    for r in rows]

        return [x for x in self.db.read(read) if _tags_match(x.tags, tags)]

    def update_experiment(self, experiment_id: str, *,
                          archived: bool | None = None,
                          set_tags: dict[str, str | None] | None = None,
                          remove_tags: Iterable[str] | None = None) -> ExperimentRecord:
        def update(conn: Connection) -> ExperimentRecord:
            rec = self._experiment_by_id(conn, experiment_id)
            tags = dict(rec.tags)
            tags.update(set_tags or {})
            for key in remove_tags or ():
                tags.pop(key, None)
            archived_time = rec.archived_time
            if archived is True and archived_time is None:
                archived_time = now()
            elif archived is False:
                archived_time = None
            conn.execute(t.experiment.update().where(t.experiment.c.id == experiment_id)
                         .values(tags=dumps(tags), archived_time=archived_time))
            return self._experiment_by_id(conn, experiment_id)

        return self.db.write(update)

    def delete_experiment(self, experiment_id: str) -> None:
        def delete(conn: Connection) -> tuple[str, list[str]]:
            row = conn.execute(sa.select(t.experiment.c.workspace_id)
                               .where(t.experiment.c.id == experiment_id)).first()
            if row is None:
                raise NotFoundError(f"Experiment {experiment_id} not found")
            run_ids = list(conn.execute(sa.select(t.run.c.id)
                                        .where(t.run.c.experiment_id == experiment_id)).scalars())
            conn.execute(t.experiment.delete().where(t.experiment.c.id == experiment_id))
            return row.workspace_id, run_ids

        files = self.db.read(lambda c: self._files_of_experiment(c, experiment_id))
        _ws, run_ids = self.db.write(delete)
        for run_id in run_ids:
            files.remove_run(run_id)

    def _files_of_experiment(self, conn: Connection, experiment_id: str) -> WorkspaceFiles:
        ws = conn.execute(sa.select(t.experiment.c.workspace_id)
                          .where(t.experiment.c.id == experiment_id)).scalar()
        if ws is None:
            raise NotFoundError(f"Experiment {experiment_id} not found")
        return self.files_of_workspace(conn, ws)
