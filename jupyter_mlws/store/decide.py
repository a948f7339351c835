"""``decide(principal, action, workspace_id) -> bool``: role-based access compiled for checks.

The server's one authorization point asks an :class:`AccessDecider`; it reads role
definitions and assignments from the store when their generation changed (looked at most
every ``refresh_seconds``, and at once after a change made through this process), indexes them
by principal and caches answers, so a check is a dictionary lookup (microseconds; see
``benchmarks/bench_access.py``).

- A server admin (``admins``) may do everything, always (recovers access when no Owner is left).
- A submitted run's credential (``Principal.run_id``) may do what the built-in run role allows
  (read the workspace, write runs, metrics, files and snapshots, read secret values) on its
  own workspace only.
- Anyone else gets the union of the roles assigned to their user name and to each of their
  groups, on the workspace or on all workspaces. With ``workspace_id`` None (asked before a
  request's workspace is known, or for server-wide operations) the question is "anywhere?";
  with :data:`EVERY_WORKSPACE` it is "on every workspace?" (only assignments made on all
  workspaces count: custom role definitions and such assignments apply server-wide).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .base import Store
from .roles import (
    ML,
    SECRET_VALUE_ACTION,
    CompiledRole,
    compiled_built_ins,
    parse_role_definition,
)


@dataclass(frozen=True)
class Principal:
    """Who acts: a user with groups, or a run's credential (``run_id`` set)."""

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)
    run_id: str | None = None
    workspace_id: str | None = None  # a run's workspace

    @property
    def actor(self) -> str:
        return f"run:{self.run_id}" if self.run_id else self.name


RUN_ROLE = CompiledRole(parse_role_definition({
    "Name": "jupyter_mlws run", "Actions": [
        "*/read", ML + "workspaces/experiments/*", ML + "workspaces/snapshots/*",
        SECRET_VALUE_ACTION],
    "NotActions": [ML + "workspaces/experiments/delete",
                   ML + "workspaces/experiments/runs/delete", "Microsoft.Authorization/*"]},
    built_in=True))

EVERY_WORKSPACE = "*"
_Index = dict[tuple[str, str], dict[str | None, list[CompiledRole]]]


class AccessDecider:
    def __init__(self, store: Store, admins: frozenset[str] = frozenset(),
                 refresh_seconds: float = 1.0) -> None:
        self.store = store
        self.admins = admins
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._generation = -1
        self._checked = 0.0
        self._index: _Index = {}
        self._answers: dict[tuple[Principal, str, str | None], bool] = {}

    def invalidate(self) -> None:
        """Read the assignments again on the next check (after a change made here)."""
        self._checked = 0.0

    def _refresh(self) -> None:
        clock = time.monotonic()
        if clock - self._checked < self.refresh_seconds:
            return
        generation = self.store.access_generation()
        self._checked = clock
        if generation == self._generation:
            return
        roles = dict(compiled_built_ins())
        for definition in self.store.list_role_definitions():
            if not definition.built_in:
                roles[definition.name] = CompiledRole(definition)
        lowered = {name.lower(): role for name, role in roles.items()}
        index: _Index = {}
        for a in self.store.list_role_assignments():
            role = lowered.get(a.role.lower())
            if role is not None:
                index.setdefault((a.principal_type, a.principal), {}).setdefault(
                    a.workspace_id, []).append(role)
        with self._lock:
            self._index, self._generation, self._answers = index, generation, {}

    def roles_of(self, principal: Principal, workspace_id: str | None) -> list[CompiledRole]:
        """The roles that apply (``workspace_id`` None: on any workspace)."""
        self._refresh()
        found: list[CompiledRole] = []
        keys = [("user", principal.name)] + [("group", g) for g in principal.groups]
        for key in keys:
            scopes = self._index.get(key)
            if not scopes:
                continue
            if workspace_id is None:
                for roles in scopes.values():
                    found += roles
            elif workspace_id == EVERY_WORKSPACE:
                found += scopes.get(None, [])
            else:
                found += scopes.get(workspace_id, []) + scopes.get(None, [])
        return found

    def decide(self, principal: Principal | None, action: str,
               workspace_id: str | None) -> bool:
        if principal is None:
            return False
        if principal.run_id is not None:
            return (workspace_id in (None, principal.workspace_id)
                    and RUN_ROLE.grants(action))
        if principal.name in self.admins:
            return True
        self._refresh()
        key = (principal, action, workspace_id)
        answer = self._answers.get(key)
        if answer is None:
            answer = any(r.grants(action) for r in self.roles_of(principal, workspace_id))
            with self._lock:
                if len(self._answers) > 100_000:
                    self._answers = {}
                self._answers[key] = answer
        return answer


__all__ = ["EVERY_WORKSPACE", "RUN_ROLE", "AccessDecider", "Principal"]
