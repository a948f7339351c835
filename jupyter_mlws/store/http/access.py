"""The key vault, roles, audit log and run credentials over REST (routes of
``server/keyvault.py`` and ``server/access.py``). ``actor`` arguments are not sent: the
server records the identity it authenticated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..access_api import (
    AuditRecord,
    RoleAssignmentRecord,
    RoleDefinitionRecord,
    RunCredential,
    SecretProperties,
)
from .codec import record
from .transport import Transport, seg


class AccessMixin:
    http: Transport

    def _secrets(self, workspace_id: str) -> str:
        return f"{self._ws_path(workspace_id)}/secrets"  # type: ignore[attr-defined]

    # ---- key vault
    def set_secrets(self, workspace_id: str, secrets: dict[str, str], *,
                    content_types: dict[str, str] | None = None,
                    actor: str = "") -> list[SecretProperties]:
        data = self.http.json("POST", self._secrets(workspace_id),
                              {"secrets": secrets, "content_types": content_types or {}})
        return [record(SecretProperties, s) for s in data["secrets"]]

    def get_secrets(self, workspace_id: str, names: Sequence[str], *, actor: str = "",
                    run_id: str | None = None) -> dict[str, str]:
        body: dict[str, Any] = {"names": list(names)}
        if run_id is not None:
            body["run_id"] = run_id
        return self.http.json("POST", self._secrets(workspace_id) + "/values",  # type: ignore[no-any-return]
                              body)["secrets"]

    def list_secrets(self, workspace_id: str, *,
                     deleted: bool = False) -> list[SecretProperties]:
        data = self.http.json("GET", self._secrets(workspace_id),
                              params={"deleted": "true" if deleted else "false"})
        return [record(SecretProperties, s) for s in data["secrets"]]

    def list_secret_versions(self, workspace_id: str, name: str) -> list[SecretProperties]:
        data = self.http.json("GET", f"{self._secrets(workspace_id)}/{seg(name)}/versions")
        return [record(SecretProperties, s) for s in data["versions"]]

    def delete_secrets(self, workspace_id: str, names: Sequence[str], *,
                       actor: str = "") -> None:
        self.http.json("POST", self._secrets(workspace_id) + "/delete", {"names": list(names)})

    def recover_deleted_secret(self, workspace_id: str, name: str, *,
                               actor: str = "") -> SecretProperties:
        data = self.http.json("POST", f"{self._secrets(workspace_id)}/{seg(name)}/recover", {})
        return record(SecretProperties, data)

    def purge_deleted_secret(self, workspace_id: str, name: str, *, actor: str = "") -> None:
        self.http.json("POST", f"{self._secrets(workspace_id)}/{seg(name)}/purge", {})

    # ---- run credentials
    def mint_run_token(self, run_id: str, submitted_by: str = "") -> str:
        path = self._run_path(run_id) + "/token"  # type: ignore[attr-defined]
        return self.http.json("POST", path, {})["token"]  # type: ignore[no-any-return]

    def check_run_token(self, token: str) -> RunCredential | None:
        if token != self.settings.token:  # type: ignore[attr-defined]
            return None  # the server can only vouch for the token this store sends
        data = self.http.json("GET", "/credential")
        return None if not data or not data.get("run_id") else record(RunCredential, data)

    # ---- roles
    def list_role_definitions(self) -> list[RoleDefinitionRecord]:
        data = self.http.json("GET", "/roledefinitions")
        return [record(RoleDefinitionRecord, r) for r in data["roles"]]

    def put_role_definition(self, definition: dict[str, Any], *,
                            actor: str = "") -> RoleDefinitionRecord:
        return record(RoleDefinitionRecord, self.http.json("POST", "/roledefinitions",
                                                           definition))

    def delete_role_definition(self, name: str, *, actor: str = "") -> None:
        self.http.json("DELETE", f"/roledefinitions/{seg(name)}")

    def assign_role(self, role: str, principal: str, *, principal_type: str = "user",
                    workspace_id: str | None = None,
                    actor: str = "") -> RoleAssignmentRecord:
        body = {"role": role, "principal": principal, "principal_type": principal_type}
        path = ("/roleassignments" if workspace_id is None
                else f"{self._ws_path(workspace_id)}/roleassignments")  # type: ignore[attr-defined]
        return record(RoleAssignmentRecord, self.http.json("POST", path, body))

    def list_role_assignments(self, workspace_id: str | None = None, *,
                              include_global: bool = True) -> list[RoleAssignmentRecord]:
        path = ("/roleassignments" if workspace_id is None
                else f"{self._ws_path(workspace_id)}/roleassignments")  # type: ignore[attr-defined]
        data = self.http.json("GET", path,
                              params={"include_global": str(include_global).lower()})
        return [record(RoleAssignmentRecord, a) for a in data["assignments"]]

    def remove_role_assignment(self, assignment_id: str, *, actor: str = "") -> None:
        self.http.json("DELETE", f"/roleassignments/{seg(assignment_id)}")

    def access_generation(self) -> int:
        return int(self.http.json("GET", "/roledefinitions")["generation"])

    # ---- audit
    def record_audit(self, actor: str, action: str, outcome: str, *,
                     workspace_id: str | None = None, target: str = "") -> None:
        pass  # the server audits what it decides itself; a client cannot add events

    def list_audit(self, workspace_id: str | None = None, *, limit: int = 200,
                   before_id: int | None = None) -> list[AuditRecord]:
        path = "/audit" if workspace_id is None else f"{self._ws_path(workspace_id)}/audit"
        params: dict[str, Any] = {"limit": limit}
        if before_id is not None:
            params["before_id"] = before_id
        data = self.http.json("GET", path, params=params)
        return [record(AuditRecord, e) for e in data["events"]]
