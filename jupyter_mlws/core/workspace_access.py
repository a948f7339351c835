"""The key vault, role assignments and role definitions of a workspace (``ws.assign_role`` and
friends), mixed into :class:`~jupyter_mlws.core.workspace.Workspace`.

Roles are Azure's (Owner, Contributor, Reader, AzureML Data Scientist) or custom ones in
Azure's role-definition JSON; the server enforces them (see README, "Access control").
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from ..exceptions import UserErrorException
from .identity import current_identity
from .keyvault import Keyvault


class WorkspaceAccessMixin:
    """Secrets and access of one workspace (``Workspace`` provides the attributes named here)."""

    _store: Any
    _record: Any
    _call_store: Callable[..., Any]

    def get_default_keyvault(self) -> Keyvault:
        """The workspace's key vault (``core/keyvault.py``)."""
        return Keyvault(self)  # type: ignore[arg-type]

    def assign_role(self, role: str, user: str | None = None, group: str | None = None,
                    all_workspaces: bool = False) -> dict[str, Any]:
        """Grant ``role`` (Owner, Contributor, Reader, AzureML Data Scientist or a custom
        role) to a user or a group on this workspace (or on every workspace)."""
        if (user is None) == (group is None):
            raise UserErrorException("assign_role needs exactly one of user= or group=")
        record = self._call_store(
            self._store.assign_role, role, user if user is not None else group,
            principal_type="user" if user is not None else "group",
            workspace_id=None if all_workspaces else self._record.id,
            actor=current_identity())
        return record.to_dict()  # type: ignore[no-any-return]

    def list_role_assignments(self) -> list[dict[str, Any]]:
        records = self._call_store(self._store.list_role_assignments, self._record.id)
        return [r.to_dict() for r in records]

    def remove_role_assignment(self, assignment: str | dict[str, Any]) -> None:
        assignment_id = assignment.get("id") if isinstance(assignment, dict) else assignment
        if not isinstance(assignment_id, str):
            raise UserErrorException("remove_role_assignment takes an assignment or its id")
        self._call_store(self._store.remove_role_assignment, assignment_id,
                         actor=current_identity())

    def list_role_definitions(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self._call_store(self._store.list_role_definitions)]

    def create_role_definition(self, definition: dict[str, Any] | str | os.PathLike[str],
                               ) -> dict[str, Any]:
        """A custom role from Azure's role-definition JSON: a dict, a JSON string, or the path
        of a file (a v1 ``az role definition create --role-definition`` file as is)."""
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
        record = self._call_store(self._store.put_role_definition, definition,
                                  actor=current_identity())
        return record.to_dict()  # type: ignore[no-any-return]

    def delete_role_definition(self, name: str) -> None:
        self._call_store(self._store.delete_role_definition, name, actor=current_identity())

    def get_audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        """Denied requests and secret reads in this workspace, newest first (owners)."""
        return [r.to_dict() for r in self._call_store(self._store.list_audit, self._record.id,
                                                      limit=limit)]


__all__ = ["WorkspaceAccessMixin"]
