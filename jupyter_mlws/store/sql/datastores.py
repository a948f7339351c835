"""Datastore file systems and credentials of the SQL store.

Credentials live in the ``datastore_secret`` table, one JSON object per (workspace, datastore),
apart from the datastore's asset row, so listing or serving records can never carry them. The
key vault replaces these three methods.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import InvalidInputError
from ..data.locations import DatastoreFS, open_datastore_fs
from ..data.registry import check_datastore_name, datastore_spec
from . import schema as t
from .common import SqlBase, now

_s = t.datastore_secret.c


def _check_secret(secret: Any) -> dict[str, str]:
    if not isinstance(secret, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in secret.items()):
        raise InvalidInputError("A datastore secret is a JSON object of non-empty string keys "
                                "to string values")
    return dict(secret)


class DatastoreMixin(SqlBase):
    def put_datastore_secret(self, workspace_id: str, datastore_name: str,
                             secret: dict[str, str]) -> None:
        key = check_datastore_name(datastore_name).casefold()
        text = json.dumps(_check_secret(secret))

        def write(conn: Connection) -> None:
            self.require_workspace(conn, workspace_id)
            where = (_s.workspace_id == workspace_id, _s.name == key)
            if conn.execute(sa.select(_s.name).where(*where)).first() is None:
                conn.execute(t.datastore_secret.insert().values(
                    workspace_id=workspace_id, name=key, secret=text, updated_time=now()))
            else:
                conn.execute(t.datastore_secret.update().where(*where)
                             .values(secret=text, updated_time=now()))

        self.db.write(write)

    def get_datastore_secret(self, workspace_id: str, datastore_name: str) -> dict[str, str]:
        key = check_datastore_name(datastore_name).casefold()
        text = self.db.read(lambda c: c.execute(sa.select(_s.secret).where(
            _s.workspace_id == workspace_id, _s.name == key)).scalar())
        return json.loads(text) if text else {}

    def delete_datastore_secret(self, workspace_id: str, datastore_name: str) -> None:
        key = check_datastore_name(datastore_name).casefold()
        self.db.write(lambda c: c.execute(t.datastore_secret.delete().where(
            _s.workspace_id == workspace_id, _s.name == key)))

    def datastore_filesystem(self, workspace_id: str, datastore_name: str) -> DatastoreFS:
        spec = datastore_spec(self, workspace_id, datastore_name)  # type: ignore[arg-type]
        secret = self.get_datastore_secret(workspace_id, datastore_name) \
            if spec.get("has_secret") \
            else {}
        storage_url = ""
        if spec.get("type") == "workspace":
            storage_url = self.get_workspace_by_id(workspace_id).storage_url  # type: ignore[attr-defined]
        return open_datastore_fs(spec, secret, storage_url)
