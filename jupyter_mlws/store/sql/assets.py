"""The asset registry of the SQL store: named, versioned specs (environments, compute targets,
models, datastores, ...) of a workspace, with a mutable ``state`` beside each version."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import AssetRecord, ConflictError, InvalidInputError, NotFoundError
from . import schema as t
from .common import SqlBase, dumps, loads, now

# Concurrent registrations of the same name on PostgreSQL can both read the same highest
# version; the loser hits the unique key and recomputes. SQLite serializes writers up front.
_MAX_RETRIES = 20
_a = t.asset.c


def _asset_record(row: Any) -> AssetRecord:
    return AssetRecord(workspace_id=row.workspace_id, kind=row.kind, name=row.name,
                       version=row.version, spec=loads(row.spec, {}),
                       state=loads(row.state, {}), tags=loads(row.tags, {}),
                       description=row.description, created_time=row.created_time,
                       updated_time=row.updated_time)


def _label(kind: str, name: str, version: int | None = None) -> str:
    text = f"{kind.capitalize()} {name!r}"
    return text if version is None else f"{text} version {version}"


def _check_names(kind: str, name: str | None) -> None:
    if not isinstance(kind, str) or not kind or len(kind) > 64:
        raise InvalidInputError(f"Asset kind must be a non-empty string of at most 64 "
                                f"characters, got {kind!r}")
    if name is not None and (not isinstance(name, str) or not name or len(name) > 255):
        raise InvalidInputError(f"{kind.capitalize()} name must be a non-empty string of at "
                                f"most 255 characters, got {name!r}")


def _check_dict(what: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise InvalidInputError(f"Asset {what} must be a JSON object, got {type(value).__name__}")


def _check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInputError(f"Asset version must be a positive integer, got {version!r}")
    return version


def _where(workspace_id: str, kind: str, name: str) -> tuple:  # type: ignore[type-arg]
    return (_a.workspace_id == workspace_id, _a.kind == kind, _a.name == name)


class AssetMixin(SqlBase):
    def register_asset(self, workspace_id: str, kind: str, name: str, spec: dict[str, Any], *,
                       new_version: bool = True, tags: dict[str, str | None] | None = None,
                       description: str = "",
                       state: dict[str, Any] | None = None) -> AssetRecord:
        _check_names(kind, name)
        _check_dict("spec", spec)
        _check_dict("tags", tags or {})
        _check_dict("state", state or {})
        # Serialize once, outside the retried transaction; this also rejects unencodable specs.
        payload = {"spec": dumps(spec), "state": dumps(dict(state or {})),
                   "tags": dumps(dict(tags or {})), "description": description or ""}

        def insert(conn: Connection) -> AssetRecord:
            self.require_workspace(conn, workspace_id)
            highest = conn.execute(sa.select(sa.func.max(_a.version))
                                   .where(*_where(workspace_id, kind, name))).scalar()
            if highest is not None and not new_version:
                raise ConflictError(f"{_label(kind, name)} already exists in workspace "
                                    f"{workspace_id}")
            stamp = now()
            values = {"workspace_id": workspace_id, "kind": kind, "name": name,
                      "version": (highest or 0) + 1, "created_time": stamp,
                      "updated_time": stamp, **payload}
            conn.execute(t.asset.insert().values(**values))
            # Read back through JSON so the record equals what get_asset returns later.
            return AssetRecord(
                workspace_id=workspace_id, kind=kind, name=name, version=values["version"],
                spec=loads(payload["spec"], {}), state=loads(payload["state"], {}),
                tags=loads(payload["tags"], {}), description=payload["description"],
                created_time=stamp, updated_time=stamp)

        for attempt in range(_MAX_RETRIES):
            try:
                return self.db.write(insert)
            except sa.exc.IntegrityError as exc:
                if not new_version:
                    raise ConflictError(f"{_label(kind, name)} already exists in workspace "
                                        f"{workspace_id}") from exc
                if attempt == _MAX_RETRIES - 1:
                    raise ConflictError(f"Could not register {_label(kind, name)}: too many "
                                        "concurrent registrations") from exc
        raise AssertionError("unreachable")

    def get_asset(self, workspace_id: str, kind: str, name: str,
                  version: int | None = None) -> AssetRecord:
        _check_names(kind, name)
        q = sa.select(t.asset).where(*_where(workspace_id, kind, name))
        if version is None:
            q = q.order_by(_a.version.desc()).limit(1)
        else:
            q = q.where(_a.version == _check_version(version))
        row = self.db.read(lambda c: c.execute(q).first())
        if row is None:
            raise NotFoundError(f"{_label(kind, name, version)} not found in workspace "
                                f"{workspace_id}")
        return _asset_record(row)

    def list_assets(self, workspace_id: str, kind: str, name: str | None = None,
                    latest_only: bool = True) -> list[AssetRecord]:
        _check_names(kind, name)
        q = (sa.select(t.asset).where(_a.workspace_id == workspace_id, _a.kind == kind)
             .order_by(_a.name, _a.version.desc()))
        if name is not None:
            q = q.where(_a.name == name)
        if latest_only:
            other = t.asset.alias("newer")
            q = q.where(~sa.exists().where(
                other.c.workspace_id == _a.workspace_id, other.c.kind == _a.kind,
                other.c.name == _a.name, other.c.version > _a.version))

        def read(conn: Connection) -> list[AssetRecord]:
            self.require_workspace(conn, workspace_id)
            return [_asset_record(r) for r in conn.execute(q)]

        return self.db.read(read)

    def update_asset_state(self, workspace_id: str, kind: str, name: str, version: int,
                           state: dict[str, Any], *, merge: bool = True) -> AssetRecord:
        _check_names(kind, name)
        _check_version(version)
        _check_dict("state", state)
        key = (*_where(workspace_id, kind, name), _a.version == version)

        def update(conn: Connection) -> AssetRecord:
            # FOR UPDATE keeps two concurrent merges on PostgreSQL from losing one another's
            # keys; SQLite's IMMEDIATE transaction already serializes them.
            row = conn.execute(sa.select(t.asset).where(*key).with_for_update()).first()
            if row is None:
                raise NotFoundError(f"{_label(kind, name, version)} not found in workspace "
                                    f"{workspace_id}")
            new_state = {**loads(row.state, {}), **state} if merge else dict(state)
            conn.execute(t.asset.update().where(*key)
                         .values(state=dumps(new_state), updated_time=now()))
            return _asset_record(conn.execute(sa.select(t.asset).where(*key)).one())

        return self.db.write(update)

    def update_asset(self, workspace_id: str, kind: str, name: str, version: int, *,
                     tags: dict[str, str | None] | None = None,
                     remove_tags: Any = None,
                     description: str | None = None) -> AssetRecord:
        _check_names(kind, name)
        _check_version(version)
        _check_dict("tags", tags or {})
        if description is not None and not isinstance(description, str):
            raise InvalidInputError("Asset description must be a string")
        removed = [str(k) for k in (remove_tags or [])]
        key = (*_where(workspace_id, kind, name), _a.version == version)

        def update(conn: Connection) -> AssetRecord:
            row = conn.execute(sa.select(t.asset).where(*key).with_for_update()).first()
            if row is None:
                raise NotFoundError(f"{_label(kind, name, version)} not found in workspace "
                                    f"{workspace_id}")
            new_tags = {**loads(row.tags, {}), **(tags or {})}
            for k in removed:
                new_tags.pop(k, None)
            values: dict[str, Any] = {"tags": dumps(new_tags), "updated_time": now()}
            if description is not None:
                values["description"] = description
            conn.execute(t.asset.update().where(*key).values(**values))
            return _asset_record(conn.execute(sa.select(t.asset).where(*key)).one())

        return self.db.write(update)

    def delete_asset(self, workspace_id: str, kind: str, name: str,
                     version: int | None = None) -> None:
        _check_names(kind, name)
        key = _where(workspace_id, kind, name)
        if version is not None:
            key = (*key, _a.version == _check_version(version))

        def delete(conn: Connection) -> None:
            if conn.execute(t.asset.delete().where(*key)).rowcount == 0:
                raise NotFoundError(f"{_label(kind, name, version)} not found in workspace "
                                    f"{workspace_id}")

        self.db.write(delete)
