"""Datastore credentials move into the key vault: plaintext ``datastore_secret`` rows become
``datastore_credential`` rows sealed under their workspace's data key, and the plaintext
table is dropped (on SQLite with ``secure_delete`` on, so its pages are zeroed; the store
then VACUUMs, see ``engine.Database.migrate``). The downgrade decrypts them back.

Encrypting needs the master key: the store passes its home (where the key file is) in
``config.attributes["mlws_home"]``. Everything happens in the migration's one transaction, so
a crash or a wrong master key leaves the store at 0003_access with its rows untouched. A
workspace without a data key gets one, as its first secret would (and the key file is
created only while the database holds no data key at all).

Revision ID: 0004_datastore_secrets
Revises: 0003_access
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from jupyter_mlws.store.keyvault import envelope
from jupyter_mlws.store.keyvault.keys import resolve_provider, unwrap_data_key

revision = "0004_datastore_secrets"
down_revision = "0003_access"
branch_labels = None
depends_on = None

# The tables as this revision knows them (not the application's, which may move on).
_plain = sa.table("datastore_secret", sa.column("workspace_id", sa.String),
                  sa.column("name", sa.String), sa.column("secret", sa.Text),
                  sa.column("updated_time", sa.Float))
_sealed = sa.table("datastore_credential", sa.column("workspace_id", sa.String),
                   sa.column("name", sa.String), sa.column("version", sa.Integer),
                   sa.column("value", sa.LargeBinary), sa.column("updated_time", sa.Float))
_keys = sa.table("secret_key", sa.column("workspace_id", sa.String),
                 sa.column("wrapped", sa.LargeBinary), sa.column("key_id", sa.String),
                 sa.column("created_time", sa.Float))


def _home() -> Path:
    config = op.get_context().config
    home = None if config is None else config.attributes.get("mlws_home")
    if home is None:
        raise RuntimeError("Migration 0004_datastore_secrets encrypts datastore credentials "
                           "with the store's master key: open the store (SqlStore) to "
                           "migrate it, or pass config.attributes['mlws_home']")
    return Path(home)


def _data_key(conn: sa.Connection, home: Path, workspace_id: str, *, create: bool) -> bytes:
    row = conn.execute(sa.select(_keys.c.wrapped, _keys.c.key_id)
                       .where(_keys.c.workspace_id == workspace_id)).first()
    if row is not None:
        return unwrap_data_key(home, workspace_id, bytes(row.wrapped), row.key_id)
    if not create:
        raise RuntimeError(f"Workspace {workspace_id} has datastore credentials but no data "
                           "key: they cannot be decrypted")
    empty = conn.execute(sa.select(_keys.c.workspace_id).limit(1)).first() is None
    provider = resolve_provider(home, may_create=empty)
    data_key = envelope.new_data_key()
    conn.execute(_keys.insert().values(
        workspace_id=workspace_id, wrapped=provider.wrap(data_key, workspace_id.encode()),
        key_id=provider.key_id, created_time=time.time()))
    return data_key


def _plain_table() -> None:
    op.create_table(
        "datastore_secret",
        sa.Column("workspace_id", sa.String(36),
                  sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("updated_time", sa.Float, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "datastore_credential",
        sa.Column("workspace_id", sa.String(36),
                  sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("updated_time", sa.Float, nullable=False),
    )
    conn = op.get_bind()
    rows = list(conn.execute(sa.select(_plain).order_by(_plain.c.workspace_id,
                                                        _plain.c.name)))
    keys: dict[str, bytes] = {}
    if rows:
        home = _home()
        for row in rows:
            if row.workspace_id not in keys:
                keys[row.workspace_id] = _data_key(conn, home, row.workspace_id, create=True)
            # Re-serialized as the store writes it (ASCII JSON): the value is unchanged.
            plain = json.dumps(json.loads(row.secret)).encode("ascii")
            conn.execute(_sealed.insert().values(
                workspace_id=row.workspace_id, name=row.name, version=1,
                updated_time=row.updated_time,
                value=envelope.encrypt(keys[row.workspace_id], plain, row.workspace_id,
                                       envelope.datastore_key(row.name), 1)))
        op.get_context().config.attributes["mlws_vacuum"] = True
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # Freed pages of the plaintext table are overwritten with zeros, not left behind.
        previous = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    op.drop_table("datastore_secret")
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA secure_delete = {int(previous or 0)}")


def downgrade() -> None:
    _plain_table()
    conn = op.get_bind()
    rows = list(conn.execute(sa.select(_sealed)))
    keys: dict[str, bytes] = {}
    if rows:
        home = _home()
        for row in rows:
            if row.workspace_id not in keys:
                keys[row.workspace_id] = _data_key(conn, home, row.workspace_id,
                                                   create=False)
            text = envelope.decrypt(keys[row.workspace_id], bytes(row.value), row.workspace_id,
                                    envelope.datastore_key(row.name), row.version)
            conn.execute(_plain.insert().values(workspace_id=row.workspace_id, name=row.name,
                                                secret=text.decode("ascii"),
                                                updated_time=row.updated_time))
    op.drop_table("datastore_credential")
