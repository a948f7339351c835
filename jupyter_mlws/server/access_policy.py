"""Role-based access as the policy of the one authorization point (``authz.py``).

Each request arrives with the Azure action its row of the operation table declares
(``resource.action``, e.g. ``Microsoft.MachineLearningServices/workspaces/secrets/read``);
:class:`RolePolicy` asks the store's compiled :class:`~jupyter_mlws.store.decide.AccessDecider`
(wildcards, NotActions) and writes every denial to the audit log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..store.decide import AccessDecider
from .authz import MlwsResource
from .identity import principal_of

if TYPE_CHECKING:
    from .app import MlwsApp

log = logging.getLogger("jupyter_mlws.server")

# What every authenticated user may reach: the API document, and the live socket itself (each
# of its subscriptions is checked with the action of the REST operation reading that data).
OPEN_KINDS = frozenset({"api", "live"})


class RolePolicy:
    """``policy(user, verb, resource) -> bool`` from role assignments."""

    def __init__(self, app: MlwsApp) -> None:
        self.app = app
        self._decider: AccessDecider | None = None

    @property
    def decider(self) -> AccessDecider:
        if self._decider is None:
            self._decider = AccessDecider(self.app.store, frozenset(self.app.admin_users))
        return self._decider

    def allows(self, user: Any, action: str, workspace_id: str | None) -> bool:
        """The decision alone (no audit): for asking "may I?" (the studio's permissions)."""
        return self.decider.decide(principal_of(user), action, workspace_id)

    def __call__(self, user: Any, verb: str, resource: MlwsResource) -> bool:
        if user is None:
            return False
        if resource.kind in OPEN_KINDS or not resource.action:
            return True
        action = resource.action
        if resource.kind == "workspace" and resource.workspace_id is None and verb in (
                "read", "write") and principal_of(user) is not None:
            # Anyone may list workspaces (the listing names only those they may read) and,
            # unless the admin turned it off, create one: its creator becomes its Owner.
            return verb == "read" or bool(self.app.allow_workspace_creation) or self.allows(
                user, action, None)
        if self.allows(user, action, resource.workspace_id):
            return True
        if not resource.audit:
            return False
        principal = principal_of(user)
        try:
            self.app.store.record_audit(principal.actor if principal else "", action, "denied",
                                        workspace_id=resource.workspace_id,
                                        target=resource.name or "")
        except Exception:  # an audit write must not turn a 403 into a 500
            log.warning("jupyter_mlws: could not audit a denied request", exc_info=True)
        return False
