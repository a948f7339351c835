"""The workspace key vault of the SQL store: versions of secrets under envelope encryption,
soft deletes with a retention period, reads audited and remembered per run for masking.

Cryptography and Key Vault's rules are in ``store/keyvault/``; this module keeps rows. A data
key is made (and wrapped by the master key) with a workspace's first secret. A missing master
key file is created only while no data key exists anywhere in the database, so a lost key file
is an error that names it, never a new key that would leave secrets unreadable.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..access_api import SecretProperties
from ..base import ConflictError, InvalidInputError, NotFoundError
from ..keyvault import envelope, rules
from ..keyvault.keys import KeyProvider, MasterKeyError, resolve_provider, unwrap_data_key
from ..keyvault.masking import NO_MASK, Masker
from . import access_schema as t
from .common import SqlBase, insert_if_absent, now

_s = t.secret.c
_MAX_NAMES = 1000


def _properties(row: Any, retention: float) -> SecretProperties:
    return SecretProperties(
        name=row.name, version=row.version, content_type=row.content_type,
        created_time=row.created_time, created_by=row.created_by,
        deleted_time=row.deleted_time,
        purge_time=None if row.deleted_time is None else row.deleted_time + retention)


def _names(names: Sequence[str]) -> list[str]:
    if isinstance(names, str) or not isinstance(names, list | tuple):
        raise InvalidInputError("Secret names must be given as a list of strings")
    if len(names) > _MAX_NAMES:
        raise InvalidInputError(f"At most {_MAX_NAMES} secrets at once")
    return [rules.check_name(n) for n in names]


class KeyVaultMixin(SqlBase):
    _unwrapped: dict[tuple[str, bytes], bytes]
    _maskers: dict[str, tuple[int, Masker]]

    def _vault_state(self) -> None:
        if not hasattr(self, "_vault_lock"):
            self._vault_lock = threading.Lock()
            self._unwrapped = {}
            self._maskers = {}

    # ---- keys
    def master_key(self, conn: Connection) -> KeyProvider:
        """The configured master key; a missing key file may be made only while no data key
        exists in this database."""
        empty = conn.execute(sa.select(t.secret_key.c.workspace_id).limit(1)).first() is None
        return resolve_provider(self.settings.home, may_create=empty)

    def _data_key(self, conn: Connection, workspace_id: str, *, create: bool) -> bytes | None:
        """The workspace's data key (None without one), the one get-or-create of it for key
        vault secrets and datastore credentials alike: with ``create`` a missing key is made
        and wrapped. Concurrent first writers (PostgreSQL) do not fail: the insert of a
        writer that lost waits for the winner's commit and does nothing, and the row read
        after it (READ COMMITTED: a new snapshot per statement) is the winner's key."""
        self._vault_state()
        select = sa.select(t.secret_key).where(t.secret_key.c.workspace_id == workspace_id)
        row = conn.execute(select).first()
        if row is None:
            if not create:
                return None
            provider = self.master_key(conn)
            data_key = envelope.new_data_key()
            if insert_if_absent(conn, t.secret_key, dict(
                    workspace_id=workspace_id,
                    wrapped=provider.wrap(data_key, workspace_id.encode()),
                    key_id=provider.key_id, created_time=now()), ["workspace_id"]):
                return data_key
            row = conn.execute(select).one()
        wrapped = bytes(row.wrapped)
        cached = self._unwrapped.get((workspace_id, wrapped))
        if cached is not None:
            return cached
        data_key = unwrap_data_key(self.settings.home, workspace_id, wrapped, row.key_id)
        with self._vault_lock:
            self._unwrapped[(workspace_id, wrapped)] = data_key
        return data_key

    # ---- secrets
    def _purge_expired(self, conn: Connection, workspace_id: str) -> None:
        cutoff = now() - rules.retention_seconds()
        conn.execute(t.secret.delete().where(_s.workspace_id == workspace_id,
                                             _s.deleted_time.is_not(None),
                                             _s.deleted_time < cutoff))

    def set_secrets(self, workspace_id: str, secrets: dict[str, str], *,
                    content_types: dict[str, str] | None = None,
                    actor: str = "") -> list[SecretProperties]:
        if not isinstance(secrets, dict) or not secrets:
            raise InvalidInputError("Secrets must be a non-empty object of name -> value")
        if len(secrets) > _MAX_NAMES:
            raise InvalidInputError(f"At most {_MAX_NAMES} secrets at once")
        types = content_types or {}
        prepared = []
        for name, value in secrets.items():
            rules.check_name(name)
            prepared.append((name, rules.name_key(name), rules.check_value(name, value),
                             rules.check_content_type(name, types.get(name))))
        if len({key for _, key, _, _ in prepared}) != len(prepared):
            raise InvalidInputError("Secret names differ only in case (Key Vault names are "
                                    "case-insensitive)")
        def write(conn: Connection) -> list[SecretProperties]:
            self.require_workspace(conn, workspace_id)
            self._purge_expired(conn, workspace_id)
            data_key = self._data_key(conn, workspace_id, create=True)
            assert data_key is not None
            out = []
            for name, key, value, content_type in prepared:
                latest = conn.execute(
                    sa.select(_s.version, _s.deleted_time).where(
                        _s.workspace_id == workspace_id, _s.name_key == key)
                    .order_by(_s.version.desc()).limit(1)).first()
                if latest is not None and latest.deleted_time is not None:
                    raise ConflictError(
                        f"Secret {name!r} is deleted and can be recovered until it is purged: "
                        "recover_deleted_secret() or purge_deleted_secret() it first")
                version = 1 if latest is None else latest.version + 1
                values = dict(workspace_id=workspace_id, name_key=key, version=version,
                              name=name, content_type=content_type, created_time=now(),
                              created_by=actor[:255],
                              value=envelope.encrypt(data_key, value, workspace_id, key,
                                                     version))
                conn.execute(t.secret.insert().values(**values))
                out.append(SecretProperties(name=name, version=version,
                                            content_type=content_type,
                                            created_time=values["created_time"],
                                            created_by=values["created_by"]))
            return out

        return self.db.write(write)

    def _latest_rows(self, conn: Connection, workspace_id: str, keys: list[str] | None,
                     deleted: bool) -> list[Any]:
        newest = (sa.select(_s.name_key, sa.func.max(_s.version).label("version"))
                  .where(_s.workspace_id == workspace_id).group_by(_s.name_key))
        if keys is not None:
            newest = newest.where(_s.name_key.in_(keys))
        sub = newest.subquery()
        q = (sa.select(t.secret).join(sub, sa.and_(_s.name_key == sub.c.name_key,
                                                    _s.version == sub.c.version))
             .where(_s.workspace_id == workspace_id)
             .where(_s.deleted_time.is_not(None) if deleted else _s.deleted_time.is_(None))
             .order_by(_s.name_key))
        return list(conn.execute(q))

    def get_secrets(self, workspace_id: str, names: Sequence[str], *, actor: str = "",
                    run_id: str | None = None) -> dict[str, str]:
        wanted = _names(names)
        keys = sorted({rules.name_key(n) for n in wanted})

        def read(conn: Connection) -> tuple[bytes | None, list[Any]]:
            self.require_workspace(conn, workspace_id)
            rows = self._latest_rows(conn, workspace_id, keys, deleted=False)
            return (self._data_key(conn, workspace_id, create=False) if rows else None), rows

        data_key, rows = self.db.read(read)
        found = {}
        for row in rows:
            assert data_key is not None
            found[row.name_key] = (row, envelope.decrypt(data_key, bytes(row.value),
                                                         workspace_id, row.name_key,
                                                         row.version).decode("utf-8"))

        def record(conn: Connection) -> None:
            stamp = now()
            for row, _value in found.values():
                conn.execute(t.audit.insert().values(
                    time=stamp, actor=actor[:255], outcome="read",
                    action="Microsoft.MachineLearningServices/workspaces/secrets/getsecret/action",
                    workspace_id=workspace_id, target=f"{row.name} (version {row.version})"))
                if run_id is not None:
                    exists = conn.execute(sa.select(t.secret_read.c.run_id).where(
                        t.secret_read.c.run_id == run_id,
                        t.secret_read.c.name_key == row.name_key,
                        t.secret_read.c.version == row.version)).first()
                    if exists is None:
                        conn.execute(t.secret_read.insert().values(
                            run_id=run_id, workspace_id=workspace_id, name_key=row.name_key,
                            version=row.version))

        if found:
            # Recorded before any value is handed out: a run cannot print a value that its
            # logs would not yet mask.
            self.db.write(record)
        return {name: found[rules.name_key(name)][1] for name in wanted
                if rules.name_key(name) in found}

    def list_secrets(self, workspace_id: str, *,
                     deleted: bool = False) -> list[SecretProperties]:
        retention = rules.retention_seconds()

        def read(conn: Connection) -> list[Any]:
            self.require_workspace(conn, workspace_id)
            return self._latest_rows(conn, workspace_id, None, deleted)

        return [_properties(r, retention) for r in self.db.read(read)]

    def list_secret_versions(self, workspace_id: str, name: str) -> list[SecretProperties]:
        key = rules.name_key(rules.check_name(name))
        retention = rules.retention_seconds()

        def read(conn: Connection) -> list[Any]:
            self.require_workspace(conn, workspace_id)
            return list(conn.execute(sa.select(t.secret).where(
                _s.workspace_id == workspace_id, _s.name_key == key)
                .order_by(_s.version.desc())))

        rows = self.db.read(read)
        if not rows:
            raise NotFoundError(f"Secret {name!r} not found in workspace {workspace_id}")
        return [_properties(r, retention) for r in rows]

    def _set_deleted(self, workspace_id: str, names: list[str], deleted: bool,
                     actor: str) -> None:
        keys = [rules.name_key(n) for n in names]
        stamp = now()

        def write(conn: Connection) -> None:
            self.require_workspace(conn, workspace_id)
            self._purge_expired(conn, workspace_id)
            live = {r.name_key for r in self._latest_rows(conn, workspace_id, keys,
                                                          deleted=not deleted)}
            missing = [n for n, k in zip(names, keys, strict=True) if k not in live]
            if missing:
                state = "deleted secret" if not deleted else "secret"
                raise NotFoundError(f"No {state} named {', '.join(map(repr, missing))} in "
                                    f"workspace {workspace_id}")
            conn.execute(t.secret.update().where(
                _s.workspace_id == workspace_id, _s.name_key.in_(keys))
                .values(deleted_time=stamp if deleted else None))

        self.db.write(write)

    def delete_secrets(self, workspace_id: str, names: Sequence[str], *,
                       actor: str = "") -> None:
        self._set_deleted(workspace_id, _names(names), True, actor)

    def recover_deleted_secret(self, workspace_id: str, name: str, *,
                               actor: str = "") -> SecretProperties:
        self._set_deleted(workspace_id, [rules.check_name(name)], False, actor)
        return self.list_secret_versions(workspace_id, name)[0]

    def purge_deleted_secret(self, workspace_id: str, name: str, *, actor: str = "") -> None:
        key = rules.name_key(rules.check_name(name))

        def write(conn: Connection) -> None:
            self.require_workspace(conn, workspace_id)
            gone = conn.execute(t.secret.delete().where(
                _s.workspace_id == workspace_id, _s.name_key == key,
                _s.deleted_time.is_not(None))).rowcount
            if not gone:
                raise NotFoundError(f"No deleted secret named {name!r} in workspace "
                                    f"{workspace_id}")

        self.db.write(write)

    # ---- masking
    def run_masker(self, run_id: str) -> Masker:
        """Masks the values of the secrets ``run_id`` read (nothing when it read none)."""
        self._vault_state()
        r = t.secret_read.c

        def read(conn: Connection) -> list[Any]:
            return list(conn.execute(
                sa.select(t.secret.c.workspace_id, t.secret.c.name_key, t.secret.c.version,
                          t.secret.c.value)
                .join(t.secret_read, sa.and_(r.workspace_id == _s.workspace_id,
                                             r.name_key == _s.name_key,
                                             r.version == _s.version))
                .where(r.run_id == run_id)))

        rows = self.db.read(read)
        if not rows:
            return NO_MASK
        cached = self._maskers.get(run_id)
        if cached is not None and cached[0] == len(rows):
            return cached[1]
        values = []
        data_key = self.db.read(lambda c: self._data_key(c, rows[0].workspace_id,
                                                         create=False))
        for row in rows:
            if data_key is not None:
                values.append(envelope.decrypt(data_key, bytes(row.value), row.workspace_id,
                                               row.name_key, row.version).decode("utf-8"))
        masker = Masker(values)
        with self._vault_lock:
            if len(self._maskers) > 1024:
                self._maskers.clear()
            self._maskers[run_id] = (len(rows), masker)
        return masker

    def refuse_secret_content(self, run_id: str, path: str, source: Any) -> Any:
        """``source`` unchanged (a stream: an equivalent spooled copy) unless it holds the value
        of a secret ``run_id`` read, which is refused: a file cannot be masked without
        damaging it."""
        masker = self.run_masker(run_id)
        if not masker.active:
            return source
        overlap = max(masker.longest() - 1, 0)
        spool = (None if isinstance(source, str)
                 else tempfile.SpooledTemporaryFile(8 << 20))  # noqa: SIM115
        stream = open(source, "rb") if isinstance(source, str) else source  # noqa: SIM115
        try:
            tail = b""
            while chunk := stream.read(1 << 20):
                if spool is not None:
                    spool.write(chunk)
                window = tail + chunk
                if masker.found_in(window):
                    raise InvalidInputError(
                        f"Not storing {path!r}: it holds the value of a secret this run "
                        "read (secret values never leave the key vault in run files)")
                tail = window[-overlap:] if overlap else b""
        finally:
            if isinstance(source, str):
                stream.close()
        if spool is None:
            return source
        spool.seek(0)
        return spool

    # ---- rotation
    def rotate_master_key(self, new: KeyProvider) -> int:
        """Re-wrap every workspace's data key under ``new`` (the current master key, as
        configured, must open them); the secrets themselves are not re-encrypted. Returns
        the number of data keys re-wrapped. One transaction: all or none."""
        def write(conn: Connection) -> int:
            old = resolve_provider(self.settings.home, may_create=False)
            rows = list(conn.execute(sa.select(t.secret_key)))
            stamp = now()
            for row in rows:
                if row.key_id == new.key_id:
                    continue
                if row.key_id != old.key_id:
                    raise MasterKeyError(
                        f"Workspace {row.workspace_id}'s data key is wrapped by master key "
                        f"{row.key_id}, not by the key from {old.source} ({old.key_id}); "
                        "nothing was rotated")
                data_key = old.unwrap(bytes(row.wrapped), row.workspace_id.encode())
                conn.execute(t.secret_key.update().where(
                    t.secret_key.c.workspace_id == row.workspace_id).values(
                    wrapped=new.wrap(data_key, row.workspace_id.encode()), key_id=new.key_id,
                    rotated_time=stamp))
            return len(rows)

        count = self.db.write(write)
        self._vault_state()
        with self._vault_lock:
            self._unwrapped.clear()
        return count


__all__ = ["KeyVaultMixin"]
