"""Role assignments and role definitions of a workspace (``ws.assign_role`` and friends).

Roles are Azure's (Owner, Contributor, Reader, AzureML Data Scientist) or custom ones in
Azure's role-definition JSON; the server enforces them (see README, "Access control").
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from .identity import current_identity

if TYPE_CHECKING:
    from .workspace import Workspace


def assign_role(workspace: Workspace, role: str, user: str | None = None,
                group: str | None = None, all_workspaces: bool = False) -> dict[str, Any]:
    if (user is None) == (group is None):
        raise UserErrorException("assign_role needs exactly one of user= or group=")
    record = workspace._call_store(
        workspace._store.assign_role, role, user if user is not None else group,
        principal_type="user" if user is not None else "group",
        workspace_id=None if all_workspaces else workspace._record.id,
        actor=current_identity())
    return record.to_dict()  # type: ignore[no-any-return]


def list_role_assignments(workspace: Workspace) -> list[dict[str, Any]]:
    records = workspace._call_store(workspace._store.list_role_assignments,
                                    workspace._record.id)
    return [r.to_dict() for r in records]


def remove_role_assignment(workspace: Workspace, assignment: str | dict[str, Any]) -> None:
    assignment_id = assignment.get("id") if isinstance(assignment, dict) else assignment
    if not isinstance(assignment_id, str):
        raise UserErrorException("remove_role_assignment takes an assignment or its id")
    workspace._call_store(workspace._store.remove_role_assignment, assignment_id,
                          actor=current_identity())


def list_role_definitions(workspace: Workspace) -> list[dict[str, Any]]:
    return [r.to_dict() for r in workspace._call_store(workspace._store.list_role_definitions)]


def create_role_definition(workspace: Workspace,
                           definition: dict[str, Any] | str | os.PathLike[str]
                           ) -> dict[str, Any]:
    """A custom role from Azure's role-definition JSON: a dict, a JSON string, or the path of
    a file (a v1 ``az role definition create --role-definition`` file as is)."""
    if isinstance(definition, os.PathLike) or (isinstance(definition, str)
                                               and not definition.lstrip().startswith("{")):
        try:
            with open(definition, encoding="utf-8") as handle:
                definition = handle.read()
        except OSError as exc:
            raise UserErrorException(f"Cannot read the role definition file: {exc}") from exc
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError as exc:
            raise UserErrorException(f"The role definition is not valid JSON: {exc}") from exc
    record = workspace._call_store(workspace._store.put_role_definition, definition,
                                   actor=current_identity())
    return record.to_dict()  # type: ignore[no-any-return]


def delete_role_definition(workspace: Workspace, name: str) -> None:
    workspace._call_store(workspace._store.delete_role_definition, name,
                          actor=current_identity())


def audit_log(workspace: Workspace, limit: int = 200) -> list[dict[str, Any]]:
    return [r.to_dict() for r in workspace._call_store(workspace._store.list_audit,
                                                       workspace._record.id, limit=limit)]
