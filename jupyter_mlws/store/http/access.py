"""The key vault, roles, audit log and run credentials of the HTTP store: each method the
operation of the same name in the table (``api/keyvault.py``, ``api/access.py``). ``actor``
arguments are not sent: the server records the identity it authenticated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...api.table import operation
from ..access_api import (
    AuditRecord,
    RoleAssignmentRecord,
    RoleDefinitionRecord,
    RunCredential,
    SecretProperties,
)
from ..codec import dumps, record
from .endpoint import Endpoint, records


class AccessMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    # ---- key vault
    def set_secrets(self, workspace_id: str, secrets: dict[str, str], *,
                    content_types: dict[str, str] | None = None,
                    actor: str = "") -> list[SecretProperties]:
        return records(SecretProperties, self._call_endpoint(
            "setSecrets", {"workspace_id": workspace_id},
            {"secrets": secrets, "content_types": content_types or {}})["secrets"])

    def get_secrets(self, workspace_id: str, names: Sequence[str], *, actor: str = "",
                    run_id: str | None = None) -> dict[str, str]:
        return self._call_endpoint("getSecretValues", {"workspace_id": workspace_id},  # type: ignore[no-any-return]
                                   {"names": list(names), "run_id": run_id})["secrets"]

    def list_secrets(self, workspace_id: str, *,
                     deleted: bool = False) -> list[SecretProperties]:
        return records(SecretProperties, self._call_endpoint(
            "listSecrets", {"workspace_id": workspace_id}, query={"deleted": deleted})["secrets"])

    def list_secret_versions(self, workspace_id: str, name: str) -> list[SecretProperties]:
        return records(SecretProperties, self._call_endpoint("listSecretVersions", {
            "workspace_id": workspace_id, "secret_name": name})["versions"])

    def delete_secrets(self, workspace_id: str, names: Sequence[str], *,
                       actor: str = "") -> None:
        self._call_endpoint("deleteSecrets", {"workspace_id": workspace_id},
                            {"names": list(names)})

    def recover_deleted_secret(self, workspace_id: str, name: str, *,
                               actor: str = "") -> SecretProperties:
        return record(SecretProperties, self._call_endpoint("recoverSecret", {
            "workspace_id": workspace_id, "secret_name": name}))

    def purge_deleted_secret(self, workspace_id: str, name: str, *, actor: str = "") -> None:
        self._call_endpoint("purgeSecret", {"workspace_id": workspace_id, "secret_name": name})

    # ---- run credentials
    def mint_run_token(self, run_id: str, submitted_by: str = "") -> str:
        return self._call_endpoint("mintRunToken", {"run_id": run_id})["token"]  # type: ignore[no-any-return]

    def check_run_token(self, token: str) -> RunCredential | None:
        if token != self.settings.token:
            return None  # the server can only vouch for the token this store sends
        data = self._call_endpoint("getCredential")
        return record(RunCredential, data) if data and data.get("run_id") else None

    # ---- roles
    def list_role_definitions(self) -> list[RoleDefinitionRecord]:
        return records(RoleDefinitionRecord, self._call_endpoint("listRoleDefinitions")["roles"])

    def put_role_definition(self, definition: dict[str, Any], *,
                            actor: str = "") -> RoleDefinitionRecord:
        # Azure's JSON as is (its keys are the role's, not the body model's fields).
        op = operation("putRoleDefinition")
        return record(RoleDefinitionRecord, self.http.json(op.method, op.path,
                                                           content=dumps(definition).encode()))

    def delete_role_definition(self, name: str, *, actor: str = "") -> None:
        self._call_endpoint("deleteRoleDefinition", {"role_name": name})

    def assign_role(self, role: str, principal: str, *, principal_type: str = "user",
                    workspace_id: str | None = None,
                    actor: str = "") -> RoleAssignmentRecord:
        body = {"role": role, "principal": principal, "principal_type": principal_type}
        if workspace_id is None:
            return record(RoleAssignmentRecord, self._call_endpoint("assignRoleEverywhere",
                                                                    body=body))
        return record(RoleAssignmentRecord, self._call_endpoint(
            "assignRole", {"workspace_id": workspace_id}, body))

    def list_role_assignments(self, workspace_id: str | None = None, *,
                              include_global: bool = True) -> list[RoleAssignmentRecord]:
        if workspace_id is None:
            body = self._call_endpoint("listAllRoleAssignments")
        else:
            body = self._call_endpoint("listRoleAssignments", {"workspace_id": workspace_id},
                                       query={"include_global": include_global})
        return records(RoleAssignmentRecord, body["assignments"])

    def remove_role_assignment(self, assignment_id: str, *, actor: str = "") -> None:
        self._call_endpoint("removeRoleAssignment", {"assignment_id": assignment_id})

    def access_generation(self) -> int:
        return int(self._call_endpoint("listRoleDefinitions")["generation"])

    # ---- audit
    def record_audit(self, actor: str, action: str, outcome: str, *,
                     workspace_id: str | None = None, target: str = "") -> None:
        """Nothing: the server audits what it decides itself; a client cannot add events."""

    def list_audit(self, workspace_id: str | None = None, *, limit: int = 200,
                   before_id: int | None = None) -> list[AuditRecord]:
        query = {"limit": limit, "before_id": before_id}
        body = (self._call_endpoint("listAllAudit", query=query) if workspace_id is None
                else self._call_endpoint("listAudit", {"workspace_id": workspace_id},
                                         query=query))
        return records(AuditRecord, body["events"])


__all__ = ["AccessMixin"]
