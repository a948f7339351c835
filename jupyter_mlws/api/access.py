"""Role definitions, role assignments, the audit log and "what may I do here": models and
operations.

Assignments on a workspace need ``Microsoft.Authorization/roleAssignments/write|delete`` there
(Owners); assignments on every workspace and custom role definitions, which apply
server-wide, need them on every workspace (scope ``global``: a global Owner or a server
admin). Reading the audit log is ``Microsoft.Authorization/auditLogs/list/action`` (Owners).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from ..store import roles as r
from ..store.access_api import AuditRecord, RoleAssignmentRecord, RoleDefinitionRecord
from ..store.decide import EVERY_WORKSPACE
from .operation import KiB, Operation
from .types import MAX_JSON_DEPTH, Id, Model, QueryModel, ResponseModel, Timestamp, json_depth


class RoleDefinition(ResponseModel):
    record: ClassVar[type] = RoleDefinitionRecord
    name: str
    description: str
    actions: list[str]
    not_actions: list[str]
    data_actions: list[str]
    not_data_actions: list[str]
    assignable_scopes: list[str]
    built_in: bool
    id: str


class RoleDefinitionList(ResponseModel):
    roles: list[RoleDefinition]
    generation: int = Field(description="Changes whenever a role or an assignment changes")


class RoleDefinitionBody(Model):
    """Azure's role-definition JSON as is (CLI or ARM form, keys in any case: ``Name``,
    ``Actions``, ``NotActions``, ``AssignableScopes``, ...); a v1 custom-role file is
    accepted unchanged. The store checks it and names what is wrong."""

    model_config = ConfigDict(strict=True, extra="allow")

    @model_validator(mode="after")
    def _shallow(self) -> RoleDefinitionBody:
        if json_depth(self.model_extra) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON objects may nest at most {MAX_JSON_DEPTH} levels")
        return self


class RoleAssignment(ResponseModel):
    record: ClassVar[type] = RoleAssignmentRecord
    id: Id
    role: str
    principal: str
    principal_type: Literal["user", "group"]
    workspace_id: Id | None = Field(description="None: every workspace")
    created_time: Timestamp
    created_by: str


class RoleAssignmentList(ResponseModel):
    assignments: list[RoleAssignment]


class AssignmentQuery(QueryModel):
    include_global: bool = Field(True, description="Also the assignments on every workspace")


class RoleAssign(Model):
    role: str = Field(max_length=r.MAX_ROLE_NAME)
    principal: str = Field(min_length=1, max_length=255, description="A user or group name")
    principal_type: Literal["user", "group"] = "user"


class AuditEvent(ResponseModel):
    record: ClassVar[type] = AuditRecord
    id: int
    time: Timestamp
    actor: str
    action: str
    outcome: Literal["denied", "read"]
    workspace_id: str | None
    target: str


class AuditList(ResponseModel):
    events: list[AuditEvent]


class AuditQuery(QueryModel):
    limit: int = Field(200, ge=1, le=10000)
    before_id: int | None = Field(None, ge=0, le=2**53, description="Page: events older "
                                                                    "than this id")


class Permissions(ResponseModel):
    user: str
    groups: list[str]
    access_control: bool = Field(description="Whether roles are enforced on this server")
    actions: dict[str, bool] = Field(description="Which of the studio's actions the caller "
                                                 "may take here")


def _put_definition(store: Any, request: Any) -> Any:
    return store.put_role_definition(dict(request.body.model_extra or {}), actor=request.actor)


def _assign(store: Any, request: Any) -> Any:
    """On the path's workspace, or (no workspace in the path) on every workspace."""
    body = request.body
    return store.assign_role(body.role, body.principal, principal_type=body.principal_type,
                             workspace_id=request.params.get("workspace_id"),
                             actor=request.actor)


def _audit(store: Any, request: Any) -> Any:
    return store.list_audit(request.params.get("workspace_id"), limit=request.query.limit,
                            before_id=request.query.before_id)


OPERATIONS = [
    Operation("listRoleDefinitions", "GET", "/roledefinitions", r.ROLE_DEFINITIONS_READ,
              "Built-in and custom roles", "server", store="list_role_definitions",
              response=RoleDefinitionList, resource="access",
              call=lambda s, _: (s.list_role_definitions(), s.access_generation()),
              shape=lambda result, _: {"roles": result[0], "generation": result[1]}),
    Operation("putRoleDefinition", "POST", "/roledefinitions", r.ROLE_DEFINITIONS_WRITE,
              "Create or replace a custom role (Azure's role-definition JSON)", "global",
              store="put_role_definition", body=RoleDefinitionBody, body_kind="json",
              response=RoleDefinition, status=201, max_body=64 * KiB, resource="access",
              call=_put_definition),
    Operation("deleteRoleDefinition", "DELETE", "/roledefinitions/{role_name}",
              r.ROLE_DEFINITIONS_DELETE, "Delete a custom role (409 while assigned)", "global",
              store="delete_role_definition", response_kind="empty", status=204, errors=(409,),
              resource="access",
              call=lambda s, req: s.delete_role_definition(req.params["role_name"],
                                                           actor=req.actor)),
    Operation("listRoleAssignments", "GET", "/workspaces/{workspace_id}/roleassignments",
              r.ROLE_ASSIGNMENTS_READ, "Role assignments on a workspace", "workspace",
              store="list_role_assignments", query=AssignmentQuery,
              response=RoleAssignmentList, resource="access",
              shape=lambda result, _: {"assignments": result}),
    Operation("assignRole", "POST", "/workspaces/{workspace_id}/roleassignments",
              r.ROLE_ASSIGNMENTS_WRITE, "Assign a role to a user or group on a workspace",
              "workspace", store="assign_role", body=RoleAssign, body_kind="json",
              response=RoleAssignment, status=201, max_body=4 * KiB, resource="access",
              call=_assign),
    Operation("listAllRoleAssignments", "GET", "/roleassignments", r.ROLE_ASSIGNMENTS_READ,
              "Every role assignment the caller may read", "server",
              store="list_role_assignments", response=RoleAssignmentList, resource="access",
              call=lambda s, _: s.list_role_assignments(),
              item_workspace=lambda a: a.workspace_id or EVERY_WORKSPACE,
              shape=lambda result, _: {"assignments": result}),
    Operation("assignRoleEverywhere", "POST", "/roleassignments", r.ROLE_ASSIGNMENTS_WRITE,
              "Assign a role on every workspace", "global", store="assign_role",
              body=RoleAssign, body_kind="json", response=RoleAssignment, status=201,
              max_body=4 * KiB, resource="access", call=_assign),
    Operation("removeRoleAssignment", "DELETE", "/roleassignments/{assignment_id}",
              r.ROLE_ASSIGNMENTS_DELETE, "Remove a role assignment", "assignment",
              store="remove_role_assignment", response_kind="empty", status=204,
              resource="access",
              call=lambda s, req: s.remove_role_assignment(req.params["assignment_id"],
                                                           actor=req.actor)),
    Operation("listAudit", "GET", "/workspaces/{workspace_id}/audit", r.AUDIT_READ,
              "Denied requests and secret reads in a workspace, newest first", "workspace",
              store="list_audit", query=AuditQuery, response=AuditList, resource="access",
              call=_audit, shape=lambda result, _: {"events": result}),
    Operation("listAllAudit", "GET", "/audit", r.AUDIT_READ,
              "Every audited event, newest first", "global", store="list_audit",
              query=AuditQuery, response=AuditList, resource="access", call=_audit,
              shape=lambda result, _: {"events": result}),
    Operation("getPermissions", "GET", "/workspaces/{workspace_id}/permissions",
              "workspaces/read", "Who the caller is and which of the studio's actions they "
              "may take in the workspace", "workspace", response=Permissions,
              resource="workspace"),
]
