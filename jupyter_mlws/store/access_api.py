"""The key vault, role-based access, audit and run-token part of the store interface.

:class:`~jupyter_mlws.store.base.Store` inherits :class:`AccessApi`; both implementations (SQL,
HTTP) provide every method. ``actor`` is who acts, as the server's identity layer names them
(a user name, or ``run:<run id>`` for a submitted run's credential); the server passes the
authenticated identity and never one a client claims.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any


class _Shaped:
    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


@dataclass
class SecretProperties(_Shaped):
    """A secret's metadata (never its value). ``deleted_time`` is set while it is soft-deleted
    (until ``purge_time``)."""

    name: str
    version: int
    content_type: str = ""
    created_time: float = 0.0
    created_by: str = ""
    deleted_time: float | None = None
    purge_time: float | None = None


@dataclass
class RoleDefinitionRecord(_Shaped):
    """A role in Azure's role-definition shape; built-in roles have ``built_in`` True."""

    name: str
    description: str = ""
    actions: list[str] = field(default_factory=list)
    not_actions: list[str] = field(default_factory=list)
    data_actions: list[str] = field(default_factory=list)
    not_data_actions: list[str] = field(default_factory=list)
    assignable_scopes: list[str] = field(default_factory=list)
    built_in: bool = False
    id: str = ""


@dataclass
class RoleAssignmentRecord(_Shaped):
    """``role`` granted to a user or group on one workspace (``workspace_id``) or on every
    workspace (``workspace_id`` None)."""

    id: str
    role: str
    principal: str
    principal_type: str  # "user" | "group"
    workspace_id: str | None = None
    created_time: float = 0.0
    created_by: str = ""


@dataclass
class AuditRecord(_Shaped):
    """One audited event: a denied request or a secret read."""

    id: int
    time: float
    actor: str
    action: str
    outcome: str  # "denied" | "read"
    workspace_id: str | None = None
    target: str = ""


@dataclass
class RunCredential(_Shaped):
    """What a run token stands for: the run, its workspace, its submitter."""

    run_id: str
    workspace_id: str
    submitted_by: str = ""


class AccessApi(abc.ABC):
    # ---- key vault (names: Key Vault's rules; values: at most 25 KB of UTF-8)
    @abc.abstractmethod
    def set_secrets(self, workspace_id: str, secrets: dict[str, str], *,
                    content_types: dict[str, str] | None = None,
                    actor: str = "") -> list[SecretProperties]:
        """Add a new version of each secret, all in one transaction. ConflictError for a name
        that is soft-deleted (recover or purge it first)."""

    @abc.abstractmethod
    def get_secrets(self, workspace_id: str, names: Sequence[str], *, actor: str = "",
                    run_id: str | None = None) -> dict[str, str]:
        """The latest value of each named secret that exists (missing names are left out).
        Every read is audited; with ``run_id`` the values are masked in that run's logs."""

    @abc.abstractmethod
    def list_secrets(self, workspace_id: str, *,
                     deleted: bool = False) -> list[SecretProperties]:
        """Latest version of each live secret (or, ``deleted``, each soft-deleted one)."""

    @abc.abstractmethod
    def list_secret_versions(self, workspace_id: str, name: str) -> list[SecretProperties]:
        """Every kept version of a secret, newest first; NotFoundError if none."""

    @abc.abstractmethod
    def delete_secrets(self, workspace_id: str, names: Sequence[str], *,
                       actor: str = "") -> None:
        """Soft-delete; NotFoundError (and nothing deleted) if one name has no live secret."""

    @abc.abstractmethod
    def recover_deleted_secret(self, workspace_id: str, name: str, *,
                               actor: str = "") -> SecretProperties: ...

    @abc.abstractmethod
    def purge_deleted_secret(self, workspace_id: str, name: str, *, actor: str = "") -> None:
        """Remove a soft-deleted secret's versions for good."""

    # ---- run credentials
    @abc.abstractmethod
    def mint_run_token(self, run_id: str, submitted_by: str = "") -> str:
        """A new token standing for ``run_id`` (only its hash is stored)."""

    @abc.abstractmethod
    def check_run_token(self, token: str) -> RunCredential | None:
        """The run a token stands for while that run is active; None otherwise."""

    # ---- roles
    @abc.abstractmethod
    def list_role_definitions(self) -> list[RoleDefinitionRecord]:
        """Built-in roles first, then custom ones by name."""

    @abc.abstractmethod
    def put_role_definition(self, definition: dict[str, Any], *,
                            actor: str = "") -> RoleDefinitionRecord:
        """Create or replace a custom role from Azure's role-definition JSON."""

    @abc.abstractmethod
    def delete_role_definition(self, name: str, *, actor: str = "") -> None:
        """ConflictError while assignments use it; built-in roles cannot be deleted."""

    @abc.abstractmethod
    def assign_role(self, role: str, principal: str, *, principal_type: str = "user",
                    workspace_id: str | None = None,
                    actor: str = "") -> RoleAssignmentRecord:
        """Idempotent: the same (role, principal, type, workspace) returns the existing one."""

    @abc.abstractmethod
    def list_role_assignments(self, workspace_id: str | None = None, *,
                              include_global: bool = True) -> list[RoleAssignmentRecord]:
        """``workspace_id`` None: every assignment."""

    @abc.abstractmethod
    def remove_role_assignment(self, assignment_id: str, *, actor: str = "") -> None: ...

    @abc.abstractmethod
    def access_generation(self) -> int:
        """A number that changes whenever a role definition or assignment changes."""

    # ---- audit
    @abc.abstractmethod
    def record_audit(self, actor: str, action: str, outcome: str, *,
                     workspace_id: str | None = None, target: str = "") -> None: ...

    @abc.abstractmethod
    def list_audit(self, workspace_id: str | None = None, *, limit: int = 200,
                   before_id: int | None = None) -> list[AuditRecord]:
        """Newest first; ``workspace_id`` None: every event."""


__all__ = ["AccessApi", "AuditRecord", "RoleAssignmentRecord", "RoleDefinitionRecord",
           "RunCredential", "SecretProperties"]
