"""Datastore file systems and credentials of the SQL store.

Credentials live in the key vault: table ``datastore_credential``, one JSON object per
(workspace, datastore), sealed under the workspace's data key by the key vault's envelope
(``keyvault/envelope.py``, name key ``datastore:<name>``), apart from the datastore's asset row
so listing or serving records can never carry them. They are not key vault secrets: no
secret name reaches them, so ``list_secrets`` / ``get_secrets`` (and their REST rows) never
show them; only the datastores' own rows write them, and nothing but the server's own file
system opening reads them. A delete is immediate (no soft delete: nothing to recover).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import InvalidInputError
from ..data.locations import DatastoreFS, open_datastore_fs
from ..data.registry import check_datastore_name, datastore_spec
from ..keyvault import envelope
from . import access_schema as t
from .common import now
from .keyvault import KeyVaultMixin

_c = t.datastore_credential.c
_MAX_RETRIES = 5


def _check_secret(secret: Any) -> dict[str, str]:
    if not isinstance(secret, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in secret.items()):
        raise InvalidInputError("A datastore secret is a JSON object of non-empty string keys "
                                "to string values")
    return dict(secret)


class DatastoreMixin(KeyVaultMixin):
    def put_datastore_secret(self, workspace_id: str, datastore_name: str,
                             secret: dict[str, str]) -> None:
        key = check_datastore_name(datastore_name).casefold()
        # ensure_ascii: a lone surrogate travels as its escape and comes back as it was.
        plain = json.dumps(_check_secret(secret)).encode("ascii")

        def write(conn: Connection) -> None:
            self.require_workspace(conn, workspace_id)
            data_key = self._data_key(conn, workspace_id, create=True)
            assert data_key is not None
            where = (_c.workspace_id == workspace_id, _c.name == key)
            # FOR UPDATE (PostgreSQL): a concurrent put waits and then sees this version.
            current = conn.execute(sa.select(_c.version).where(*where)
                                   .with_for_update()).scalar()
            version = 1 if current is None else current + 1
            values = dict(version=version, updated_time=now(), value=envelope.encrypt(
                data_key, plain, workspace_id, envelope.datastore_key(key), version))
            if current is None:
                conn.execute(t.datastore_credential.insert().values(
                    workspace_id=workspace_id, name=key, **values))
            else:
                conn.execute(t.datastore_credential.update().where(*where).values(**values))

        for attempt in range(_MAX_RETRIES):
            try:
                return self.db.write(write)
            except sa.exc.IntegrityError:
                # PostgreSQL: a concurrent first put made the row first; again, now
                # updating it (the workspace's data key is made safely by _data_key).
                if attempt == _MAX_RETRIES - 1:
                    raise

    def get_datastore_secret(self, workspace_id: str, datastore_name: str) -> dict[str, str]:
        key = check_datastore_name(datastore_name).casefold()

        def read(conn: Connection) -> tuple[Any, bytes | None]:
            row = conn.execute(sa.select(_c.version, _c.value).where(
                _c.workspace_id == workspace_id, _c.name == key)).first()
            return row, (None if row is None
                         else self._data_key(conn, workspace_id, create=False))

        row, data_key = self.db.read(read)
        if row is None:
            return {}
        if data_key is None:  # a credential row without its workspace's data key: damaged
            raise envelope.SecretDecryptionError(
                f"The credentials of datastore {key!r} of workspace {workspace_id} have no "
                "data key to open them")
        return json.loads(envelope.decrypt(data_key, bytes(row.value), workspace_id,
                                           envelope.datastore_key(key), row.version))

    def delete_datastore_secret(self, workspace_id: str, datastore_name: str) -> None:
        key = check_datastore_name(datastore_name).casefold()
        self.db.write(lambda c: c.execute(t.datastore_credential.delete().where(
            _c.workspace_id == workspace_id, _c.name == key)))

    def datastore_filesystem(self, workspace_id: str, datastore_name: str) -> DatastoreFS:
        spec = datastore_spec(self, workspace_id, datastore_name)  # type: ignore[arg-type]
        secret = self.get_datastore_secret(workspace_id, datastore_name) \
            if spec.get("has_secret") \
            else {}
        storage_url = ""
        if spec.get("type") == "workspace":
            storage_url = self.get_workspace_by_id(workspace_id).storage_url  # type: ignore[attr-defined]
        return open_datastore_fs(spec, secret, storage_url)
