"""Role definitions and assignments, the audit log and run credentials of the SQL store."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..access_api import AuditRecord, RoleAssignmentRecord, RoleDefinitionRecord, RunCredential
from ..base import ACTIVE_STATUSES, ConflictError, InvalidInputError, NotFoundError
from ..roles import BUILT_IN_DEFINITIONS, assignable_to, parse_role_definition
from . import access_schema as t
from . import schema
from .common import SqlBase, now

RUN_TOKEN_PREFIX = "mlwsrun_"
PRINCIPAL_TYPES = ("user", "group")
_BUILT_IN = {r.name.lower(): r for r in BUILT_IN_DEFINITIONS}
_ra = t.role_assignment.c


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _assignment(row: Any) -> RoleAssignmentRecord:
    return RoleAssignmentRecord(id=row.id, role=row.role, principal=row.principal,
                                principal_type=row.principal_type,
                                workspace_id=row.workspace_id, created_time=row.created_time,
                                created_by=row.created_by)


def _definition(row: Any) -> RoleDefinitionRecord:
    return RoleDefinitionRecord(**json.loads(row.body))


def _bump(conn: Connection) -> None:
    updated = conn.execute(t.access_generation.update().where(t.access_generation.c.id == 1)
                           .values(generation=t.access_generation.c.generation + 1)).rowcount
    if not updated:
        conn.execute(t.access_generation.insert().values(id=1, generation=1))


class AccessMixin(SqlBase):
    # ---- run credentials
    def mint_run_token(self, run_id: str, submitted_by: str = "") -> str:
        token = RUN_TOKEN_PREFIX + secrets.token_urlsafe(32)

        def write(conn: Connection) -> None:
            workspace_id = conn.execute(sa.select(schema.run.c.workspace_id).where(
                schema.run.c.id == run_id)).scalar()
            if workspace_id is None:
                raise NotFoundError(f"Run {run_id} not found")
            conn.execute(t.run_token.insert().values(
                token_hash=token_hash(token), run_id=run_id, workspace_id=workspace_id,
                submitted_by=(submitted_by or "")[:255], created_time=now()))

        self.db.write(write)
        return token

    def check_run_token(self, token: str) -> RunCredential | None:
        if not isinstance(token, str) or not token.startswith(RUN_TOKEN_PREFIX):
            return None
        row = self.db.read(lambda c: c.execute(
            sa.select(t.run_token.c.run_id, t.run_token.c.workspace_id,
                      t.run_token.c.submitted_by, schema.run.c.status)
            .join(schema.run, schema.run.c.id == t.run_token.c.run_id)
            .where(t.run_token.c.token_hash == token_hash(token))).first())
        if row is None or row.status not in ACTIVE_STATUSES:
            return None
        # A run whose owner died is reconciled to Failed by get_run; its token ends with it.
        if self.get_run(row.run_id).status not in ACTIVE_STATUSES:  # type: ignore[attr-defined]
            return None
        return RunCredential(run_id=row.run_id, workspace_id=row.workspace_id,
                             submitted_by=row.submitted_by)

    # ---- role definitions
    def _custom_roles(self, conn: Connection) -> dict[str, RoleDefinitionRecord]:
        return {r.name_key: _definition(r) for r in conn.execute(
            sa.select(t.role_definition).order_by(t.role_definition.c.name_key))}

    def list_role_definitions(self) -> list[RoleDefinitionRecord]:
        return list(BUILT_IN_DEFINITIONS) + list(self.db.read(self._custom_roles).values())

    def put_role_definition(self, definition: dict[str, Any], *,
                            actor: str = "") -> RoleDefinitionRecord:
        role = parse_role_definition(definition)
        role.id = role.id or str(uuid.uuid5(uuid.NAMESPACE_URL, "mlws-role:" + role.name.lower()))
        body = json.dumps(role.to_dict())

        def write(conn: Connection) -> None:
            key = role.name.lower()
            conn.execute(t.role_definition.delete().where(t.role_definition.c.name_key == key))
            conn.execute(t.role_definition.insert().values(
                name_key=key, body=body, created_time=now(), created_by=actor[:255]))
            _bump(conn)

        self.db.write(write)
        return role

    def delete_role_definition(self, name: str, *, actor: str = "") -> None:
        if not isinstance(name, str) or not name:
            raise InvalidInputError("A role name is required")
        key = name.lower()
        if key in _BUILT_IN:
            raise InvalidInputError(f"{name!r} is a built-in role and cannot be deleted")

        def write(conn: Connection) -> None:
            used = conn.execute(sa.select(sa.func.count()).select_from(t.role_assignment)
                                .where(sa.func.lower(_ra.role) == key)).scalar()
            if used:
                raise ConflictError(f"Role {name!r} is used by {used} role assignment(s); "
                                    "remove them first")
            if not conn.execute(t.role_definition.delete().where(
                    t.role_definition.c.name_key == key)).rowcount:
                raise NotFoundError(f"Role {name!r} not found")
            _bump(conn)

        self.db.write(write)

    # ---- assignments
    def assign_role(self, role: str, principal: str, *, principal_type: str = "user",
                    workspace_id: str | None = None,
                    actor: str = "") -> RoleAssignmentRecord:
        if principal_type not in PRINCIPAL_TYPES:
            raise InvalidInputError(f"principal_type must be 'user' or 'group', got "
                                    f"{str(principal_type)[:40]!r}")
        if not isinstance(principal, str) or not principal.strip() or len(principal) > 255:
            raise InvalidInputError("A principal (user or group name) of 1-255 characters "
                                    "is required")
        if not isinstance(role, str) or not role:
            raise InvalidInputError("A role name is required")

        def write(conn: Connection) -> RoleAssignmentRecord:
            definition = _BUILT_IN.get(role.lower()) or self._custom_roles(conn).get(
                role.lower())
            if definition is None:
                known = [r.name for r in BUILT_IN_DEFINITIONS] + [
                    r.name for r in self._custom_roles(conn).values()]
                raise NotFoundError(f"Unknown role {role[:128]!r}; known roles: "
                                    f"{', '.join(known)}")
            workspace_name = None
            if workspace_id is not None:
                workspace_name = conn.execute(sa.select(schema.workspace.c.name).where(
                    schema.workspace.c.id == workspace_id)).scalar()
                if workspace_name is None:
                    raise NotFoundError(f"Workspace {workspace_id} not found")
            if not assignable_to(definition, workspace_name):
                where = f"workspace {workspace_name!r}" if workspace_name else "every workspace"
                raise InvalidInputError(f"Role {definition.name!r} cannot be assigned on "
                                        f"{where}: outside its AssignableScopes")
            same = sa.select(t.role_assignment).where(
                _ra.role == definition.name, _ra.principal == principal,
                _ra.principal_type == principal_type,
                _ra.workspace_id.is_(None) if workspace_id is None
                else _ra.workspace_id == workspace_id)
            row = conn.execute(same).first()
            if row is not None:
                return _assignment(row)
            values = dict(id=uuid.uuid4().hex, role=definition.name, principal=principal,
                          principal_type=principal_type, workspace_id=workspace_id,
                          created_time=now(), created_by=actor[:255])
            conn.execute(t.role_assignment.insert().values(**values))
            _bump(conn)
            return RoleAssignmentRecord(**values)

        return self.db.write(write)

    def list_role_assignments(self, workspace_id: str | None = None, *,
                              include_global: bool = True) -> list[RoleAssignmentRecord]:
        q = sa.select(t.role_assignment).order_by(_ra.created_time, _ra.id)
        if workspace_id is not None:
            q = q.where(sa.or_(_ra.workspace_id == workspace_id,
                               _ra.workspace_id.is_(None)) if include_global
                        else _ra.workspace_id == workspace_id)
        return [_assignment(r) for r in self.db.read(lambda c: list(c.execute(q)))]

    def remove_role_assignment(self, assignment_id: str, *, actor: str = "") -> None:
        def write(conn: Connection) -> None:
            if not conn.execute(t.role_assignment.delete().where(
                    _ra.id == assignment_id)).rowcount:
                raise NotFoundError(f"Role assignment {str(assignment_id)[:64]!r} not found")
            _bump(conn)

        self.db.write(write)

    def access_generation(self) -> int:
        value = self.db.read(lambda c: c.execute(sa.select(
            t.access_generation.c.generation).where(t.access_generation.c.id == 1)).scalar())
        return int(value or 0)

    # ---- audit
    def record_audit(self, actor: str, action: str, outcome: str, *,
                     workspace_id: str | None = None, target: str = "") -> None:
        self.db.write(lambda c: c.execute(t.audit.insert().values(
            time=now(), actor=str(actor)[:255], action=str(action)[:255],
            outcome=str(outcome)[:16], workspace_id=workspace_id, target=str(target)[:2048])))

    def list_audit(self, workspace_id: str | None = None, *, limit: int = 200,
                   before_id: int | None = None) -> list[AuditRecord]:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10000:
            raise InvalidInputError("limit must be an integer in [1, 10000]")
        a = t.audit.c
        q = sa.select(t.audit).order_by(a.id.desc()).limit(limit)
        if workspace_id is not None:
            q = q.where(a.workspace_id == workspace_id)
        if before_id is not None:
            q = q.where(a.id < before_id)
        return [AuditRecord(id=r.id, time=r.time, actor=r.actor, action=r.action,
                            outcome=r.outcome, workspace_id=r.workspace_id, target=r.target)
                for r in self.db.read(lambda c: list(c.execute(q)))]


__all__ = ["RUN_TOKEN_PREFIX", "AccessMixin", "token_hash"]
