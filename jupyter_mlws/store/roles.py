"""Roles in Azure's role-definition shape, compiled for checks.

A role grants an action (``Microsoft.MachineLearningServices/workspaces/experiments/runs/read``)
when one of its ``Actions`` or ``DataActions`` matches it and none of its ``NotActions`` /
``NotDataActions`` does; ``*`` matches any run of characters and matching ignores case, as in
Azure. Built in: Owner, Contributor (everything but managing access: ``Microsoft.Authorization``
writes, deletes and actions, which include reading the audit log), Reader (``*/read``: secret
values and datastore credentials are ``.../action``s, so a Reader never gets them), and Azure ML's
"AzureML Data Scientist" (experiments, runs, models, environments, data; no compute or workspace
changes, no access management). Custom roles are the JSON ``az role definition create`` takes
(``Name``, ``Actions``, ``NotActions``, ``DataActions``, ``NotDataActions``,
``AssignableScopes``, ...) or the ARM REST form (``properties.roleName``,
``properties.permissions``); a v1 custom-role file is accepted as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from .access_api import RoleDefinitionRecord
from .base import InvalidInputError

ML = "Microsoft.MachineLearningServices/"
AUTH = "Microsoft.Authorization/"

# Actions the project declares that are not plain read/write/delete of an asset.
SECRET_VALUE_ACTION = ML + "workspaces/secrets/getsecret/action"
DATASTORE_SECRETS_ACTION = ML + "workspaces/datastores/listsecrets/action"
ROLE_ASSIGNMENTS_READ = AUTH + "roleAssignments/read"
ROLE_ASSIGNMENTS_WRITE = AUTH + "roleAssignments/write"
ROLE_ASSIGNMENTS_DELETE = AUTH + "roleAssignments/delete"
ROLE_DEFINITIONS_READ = AUTH + "roleDefinitions/read"
ROLE_DEFINITIONS_WRITE = AUTH + "roleDefinitions/write"
ROLE_DEFINITIONS_DELETE = AUTH + "roleDefinitions/delete"
AUDIT_READ = AUTH + "auditLogs/list/action"

_ACTION_RE = re.compile(r"^[A-Za-z0-9*][A-Za-z0-9.*/_\-]{0,255}$")
MAX_PATTERNS = 200
MAX_ROLE_NAME = 128

BUILT_IN: dict[str, dict[str, Any]] = {
    "Owner": {
        "Description": "Full access, including managing who has access.",
        "Actions": ["*"]},
    "Contributor": {
        "Description": "Full access to the workspace's assets; cannot manage access.",
        "Actions": ["*"],
        "NotActions": [AUTH + "*/write", AUTH + "*/delete", AUTH + "*/action"]},
    "Reader": {
        "Description": "Reads everything but secret values and datastore credentials.",
        "Actions": ["*/read"]},
    "AzureML Data Scientist": {
        "Description": "Experiments, runs, models, environments and data; no workspace or "
                       "compute changes, no access management.",
        "Actions": [ML + "workspaces/*/read", ML + "workspaces/*/action",
                    ML + "workspaces/*/delete", ML + "workspaces/*/write", AUTH + "*/read"],
        "NotActions": [ML + "workspaces/delete", ML + "workspaces/write",
                       ML + "workspaces/computes/*/write", ML + "workspaces/computes/*/delete",
                       ML + "workspaces/computes/write", ML + "workspaces/computes/delete",
                       AUTH + "*/write", AUTH + "*/delete", AUTH + "*/action"]},
}


def _get(obj: dict[str, Any], *names: str) -> Any:
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _patterns(value: Any, what: str, role: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_PATTERNS:
        raise InvalidInputError(f"Role {role!r}: {what} must be a list of at most "
                                f"{MAX_PATTERNS} action strings")
    for item in value:
        if not isinstance(item, str) or not _ACTION_RE.match(item):
            shown = item[:80] if isinstance(item, str) else type(item).__name__
            raise InvalidInputError(
                f"Role {role!r}: {what} entry {shown!r} is not an action pattern (letters, "
                "digits, '.', '/', '_', '-' and '*' wildcards, e.g. "
                "'Microsoft.MachineLearningServices/workspaces/experiments/*')")
    return list(value)


def parse_role_definition(definition: Any, *, built_in: bool = False) -> RoleDefinitionRecord:
    """A role from Azure's role-definition JSON (CLI or ARM REST form)."""
    if not isinstance(definition, dict):
        raise InvalidInputError("A role definition must be a JSON object")
    props = _get(definition, "properties")
    source = props if isinstance(props, dict) else definition
    name = _get(source, "Name", "roleName") or _get(definition, "Name", "roleName")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_ROLE_NAME:
        raise InvalidInputError(f"A role definition needs a Name of 1-{MAX_ROLE_NAME} "
                                "characters")
    name = name.strip()
    if not built_in and name.lower() in (n.lower() for n in BUILT_IN):
        raise InvalidInputError(f"{name!r} is a built-in role and cannot be redefined")
    permissions = _get(source, "permissions")
    if permissions is not None:
        if not isinstance(permissions, list) or not all(isinstance(p, dict)
                                                        for p in permissions):
            raise InvalidInputError(f"Role {name!r}: permissions must be a list of objects")
        merged: dict[str, list[str]] = {"Actions": [], "NotActions": [], "DataActions": [],
                                        "NotDataActions": []}
        for part in permissions:
            for key in merged:
                merged[key] += _patterns(_get(part, key), key, name)
        source = {**source, **merged}
    actions = _patterns(_get(source, "Actions"), "Actions", name)
    data_actions = _patterns(_get(source, "DataActions"), "DataActions", name)
    if not actions and not data_actions:
        raise InvalidInputError(f"Role {name!r} grants nothing: give Actions or DataActions")
    scopes = _get(source, "AssignableScopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) and len(s) < 1024
                                               for s in scopes):
        raise InvalidInputError(f"Role {name!r}: AssignableScopes must be a list of strings")
    description = _get(source, "Description") or ""
    if not isinstance(description, str):
        raise InvalidInputError(f"Role {name!r}: Description must be a string")
    return RoleDefinitionRecord(
        name=name, description=description[:4096], actions=actions,
        not_actions=_patterns(_get(source, "NotActions"), "NotActions", name),
        data_actions=data_actions,
        not_data_actions=_patterns(_get(source, "NotDataActions"), "NotDataActions", name),
        assignable_scopes=list(scopes), built_in=built_in,
        id=str(_get(definition, "Id", "id") or "") if not built_in else name)


BUILT_IN_DEFINITIONS = [parse_role_definition({"Name": n, **d}, built_in=True)
                        for n, d in BUILT_IN.items()]


def _regex(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = ["[^\x00]*".join(map(re.escape, p.split("*"))) for p in patterns]
    return re.compile("(?:" + "|".join(parts) + r")\Z", re.IGNORECASE) if parts else None


class CompiledRole:
    """One role's grant test: two regular expressions, and a cache of answers."""

    def __init__(self, role: RoleDefinitionRecord) -> None:
        self.name = role.name
        self._allow = _regex(role.actions + role.data_actions)
        self._deny = _regex(role.not_actions + role.not_data_actions)
        self._cache: dict[str, bool] = {}

    def grants(self, action: str) -> bool:
        found = self._cache.get(action)
        if found is None:
            found = bool(self._allow and self._allow.match(action)
                         and not (self._deny and self._deny.match(action)))
            if len(self._cache) < 4096:
                self._cache[action] = found
        return found


def assignable_to(role: RoleDefinitionRecord, workspace_name: str | None) -> bool:
    """Whether a role's AssignableScopes allow it on a workspace (None: every workspace)."""
    scopes = [s for s in role.assignable_scopes if s]
    if not scopes or any("/workspaces/" not in s.lower() for s in scopes):
        return True  # subscription / resource-group / root scopes: anywhere
    if workspace_name is None:
        return False
    names = {s.rstrip("/").rsplit("/", 1)[-1].lower() for s in scopes}
    return workspace_name.lower() in names


@lru_cache(maxsize=1)
def compiled_built_ins() -> dict[str, CompiledRole]:
    return {r.name: CompiledRole(r) for r in BUILT_IN_DEFINITIONS}


def role_grants(roles: Sequence[CompiledRole], action: str) -> bool:
    return any(role.grants(action) for role in roles)


__all__ = [
    "AUDIT_READ",
    "BUILT_IN",
    "BUILT_IN_DEFINITIONS",
    "DATASTORE_SECRETS_ACTION",
    "ROLE_ASSIGNMENTS_DELETE",
    "ROLE_ASSIGNMENTS_READ",
    "ROLE_ASSIGNMENTS_WRITE",
    "ROLE_DEFINITIONS_DELETE",
    "ROLE_DEFINITIONS_READ",
    "ROLE_DEFINITIONS_WRITE",
    "SECRET_VALUE_ACTION",
    "CompiledRole",
    "assignable_to",
    "compiled_built_ins",
    "parse_role_definition",
    "role_grants",
]
