"""State and helpers shared by the topic modules of the SQL store."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import NotFoundError, WorkspaceRecord
from ..files import WorkspaceFiles, join_url
from ..settings import StoreSettings
from . import schema as t
from .engine import Database


def now() -> float:
    return time.time()


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


def insert_if_absent(conn: Connection, table: sa.Table, values: dict[str, Any],
                     key: list[str]) -> bool:
    """Insert one row unless a row with the same ``key`` columns exists; True if this call
    inserted it. On PostgreSQL a concurrent transaction inserting the same key is waited for
    and then wins without an error (``ON CONFLICT DO NOTHING``); SQLite writers are serialized
    by ``BEGIN IMMEDIATE``, and the same clause keeps the one code path."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    return conn.execute(statement).rowcount == 1


class SqlBase:
    """Holds the database, the settings and a cache of workspace file systems."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.db.migrate(home=settings.home)
        self._files: dict[str, WorkspaceFiles] = {}
        self._files_lock = threading.Lock()

    # ---- files
    def default_storage_url(self, workspace_id: str) -> str:
        return join_url(self.settings.storage_root, workspace_id)

    def files_for_url(self, storage_url: str) -> WorkspaceFiles:
        with self._files_lock:
            files = self._files.get(storage_url)
            if files is None:
                files = self._files[storage_url] = WorkspaceFiles(storage_url)
            return files

    def files_of_workspace(self, conn: Connection, workspace_id: str) -> WorkspaceFiles:
        url = conn.execute(sa.select(t.workspace.c.storage_url)
                           .where(t.workspace.c.id == workspace_id)).scalar()
        if url is None:
            raise NotFoundError(f"Workspace {workspace_id} not found")
        return self.files_for_url(url)

    def files_of_run(self, conn: Connection, run_id: str) -> WorkspaceFiles:
        url = conn.execute(
            sa.select(t.workspace.c.storage_url)
            .join(t.run, t.run.c.workspace_id == t.workspace.c.id)
            .where(t.run.c.id == run_id)).scalar()
        if url is None:
            raise NotFoundError(f"Run {run_id} not found")
        return self.files_for_url(url)

    # ---- records
    @staticmethod
    def workspace_record(row: Any) -> WorkspaceRecord:
        return WorkspaceRecord(
            id=row.id, name=row.name, subscription_id=row.subscription_id,
            resource_group=row.resource_group, location=row.location,
            storage_url=row.storage_url, friendly_name=row.friendly_name,
            description=row.description, tags=loads(row.tags, {}),
            created_time=row.created_time)

    def require_workspace(self, conn: Connection, workspace_id: str) -> None:
        found = conn.execute(sa.select(t.workspace.c.id)
                             .where(t.workspace.c.id == workspace_id)).scalar()
        if found is None:
            raise NotFoundError(f"Workspace {workspace_id} not found")

    def close(self) -> None:
        self.db.close()
