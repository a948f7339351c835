"""Role definitions, role assignments, the audit log and "what may I do here" over REST.

Assignments on a workspace need ``Microsoft.Authorization/roleAssignments/write|delete`` there
(Owners); assignments on every workspace and custom role definitions, which apply
server-wide, need them on every workspace (a global Owner or a server admin). Reading the audit
log is ``Microsoft.Authorization/auditLogs/list/action`` (Owners).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store import roles as r
from ..store.decide import EVERY_WORKSPACE
from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id
from .identity import groups_of, principal_of

# What the studio asks about to show or hide controls (GET .../permissions).
UI_ACTIONS = {
    "runs_read": r.ML + "workspaces/experiments/runs/read",
    "runs_write": r.ML + "workspaces/experiments/runs/write",
    "runs_delete": r.ML + "workspaces/experiments/runs/delete",
    "runs_submit": r.ML + "workspaces/experiments/runs/submit/action",
    "experiments_delete": r.ML + "workspaces/experiments/delete",
    "secrets_read": r.ML + "workspaces/secrets/read",
    "secrets_values": r.SECRET_VALUE_ACTION,
    "secrets_write": r.ML + "workspaces/secrets/write",
    "secrets_delete": r.ML + "workspaces/secrets/delete",
    "role_assignments_read": r.ROLE_ASSIGNMENTS_READ,
    "role_assignments_write": r.ROLE_ASSIGNMENTS_WRITE,
    "audit_read": r.AUDIT_READ,
}


class _AccessHandler(MlwsHandler):
    def allowed(self, action: str, workspace_id: str | None) -> bool:
        policy = self.mlws.authorization_policy
        if policy is None:
            return self.current_user is not None
        verb = action.rsplit("/", 1)[-1].lower()
        verb = verb if verb in ("read", "write", "delete") else "execute"
        decide = getattr(policy, "allows", None)
        if decide is not None:  # the role policy: ask without auditing a "no"
            return bool(decide(self.current_user, action, workspace_id))
        return bool(policy(self.current_user, verb, MlwsResource("access", workspace_id,
                                                                 action=action)))

    def assignment_body(self) -> dict[str, Any]:
        body = self.json_body()
        check_fields(body, {"role", "principal", "principal_type"})
        for name in ("role", "principal"):
            if not isinstance(body.get(name), str):
                raise bad_request(f"{name!r} is required (a string).")
        return body


class RoleDefinitionsHandler(_AccessHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.authorize_action(r.ROLE_DEFINITIONS_READ, None, "access")
        records = await self.call(self.store.list_role_definitions)
        generation = await self.call(self.store.access_generation)
        self.send_json({"roles": [x.to_dict() for x in records], "generation": generation})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.authorize_action(r.ROLE_DEFINITIONS_WRITE, EVERY_WORKSPACE, "access")
        body = self.json_body()
        record = await self.call(self.store.put_role_definition, body, actor=self.identity)
        self.send_json(record.to_dict(), status=201)


class RoleDefinitionHandler(_AccessHandler):
    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        self.authorize_action(r.ROLE_DEFINITIONS_DELETE, EVERY_WORKSPACE, "access", name)
        await self.call(self.store.delete_role_definition, name, actor=self.identity)
        self.set_status(204)


class WorkspaceAssignmentsHandler(_AccessHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(r.ROLE_ASSIGNMENTS_READ, workspace_id, "access")
        include = self.query_bool("include_global", True)
        records = await self.call(self.store.list_role_assignments, workspace_id,
                                  include_global=include)
        self.send_json({"assignments": [x.to_dict() for x in records]})

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(r.ROLE_ASSIGNMENTS_WRITE, workspace_id, "access")
        body = self.assignment_body()
        record = await self.call(self.store.assign_role, body["role"], body["principal"],
                                 principal_type=body.get("principal_type") or "user",
                                 workspace_id=workspace_id, actor=self.identity)
        self._invalidate()
        self.send_json(record.to_dict(), status=201)

    def _invalidate(self) -> None:
        decider = getattr(self.mlws.authorization_policy, "decider", None)
        if decider is not None:
            decider.invalidate()


class GlobalAssignmentsHandler(WorkspaceAssignmentsHandler):
    """Assignments on every workspace: only who may assign roles on every workspace."""

    @web.authenticated
    @authorized
    async def get(self) -> None:  # type: ignore[override]
        self.authorize_action(r.ROLE_ASSIGNMENTS_READ, None, "access")
        records = await self.call(self.store.list_role_assignments)
        visible = [x for x in records if x.workspace_id is None
                   or self.allowed(r.ROLE_ASSIGNMENTS_READ, x.workspace_id)]
        self.send_json({"assignments": [x.to_dict() for x in visible]})

    @web.authenticated
    @authorized
    async def post(self) -> None:  # type: ignore[override]
        self.authorize_action(r.ROLE_ASSIGNMENTS_WRITE, EVERY_WORKSPACE, "access")
        body = self.assignment_body()
        record = await self.call(self.store.assign_role, body["role"], body["principal"],
                                 principal_type=body.get("principal_type") or "user",
                                 workspace_id=None, actor=self.identity)
        self._invalidate()
        self.send_json(record.to_dict(), status=201)


class AssignmentHandler(WorkspaceAssignmentsHandler):
    @web.authenticated
    @authorized
    async def delete(self, assignment_id: str) -> None:
        check_id(assignment_id, "assignment id")
        self.authorize_action(r.ROLE_ASSIGNMENTS_DELETE, None, "access")
        found = [a for a in await self.call(self.store.list_role_assignments)
                 if a.id == assignment_id]
        scope = found[0].workspace_id if found else None
        self.authorize_action(r.ROLE_ASSIGNMENTS_DELETE, scope or EVERY_WORKSPACE, "access",
                              assignment_id)
        await self.call(self.store.remove_role_assignment, assignment_id, actor=self.identity)
        self._invalidate()
        self.set_status(204)


class AuditHandler(_AccessHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str | None = None) -> None:
        if workspace_id is not None:
            check_id(workspace_id, "workspace id")
        self.authorize_action(r.AUDIT_READ, workspace_id or EVERY_WORKSPACE, "access")
        limit = self.query_int("limit", 200, minimum=1, maximum=10000) or 200
        before = self.query_int("before_id")
        events = await self.call(self.store.list_audit, workspace_id, limit=limit,
                                 before_id=before)
        self.send_json({"events": [e.to_dict() for e in events]})


class PermissionsHandler(_AccessHandler):
    """Who the caller is and which of the studio's actions they may take here."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("workspace", workspace_id))
        principal = principal_of(self.current_user)
        self.send_json({
            "user": principal.actor if principal else "",
            "groups": sorted(groups_of(self.current_user)),
            "access_control": self.mlws.access_control,
            "actions": {key: self.allowed(action, workspace_id)
                        for key, action in UI_ACTIONS.items()}})
