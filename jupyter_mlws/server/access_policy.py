"""Role-based access as the policy of the one authorization point (``authz.authorize``).

Each request is an Azure-shaped action: the operation's own (``resource.action``), or derived
from the resource kind and verb of the handlers that predate the operation table
(:func:`azure_action`). :class:`RolePolicy` asks the store's compiled
:class:`~jupyter_mlws.store.decide.AccessDecider` and writes every denial to the audit log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..store.decide import AccessDecider
from ..store.roles import ML
from .authz import MlwsResource
from .identity import principal_of

if TYPE_CHECKING:
    from .app import MlwsApp

log = logging.getLogger("jupyter_mlws.server")

_NOUNS = {"workspace": "", "experiment": "experiments", "run": "experiments/runs",
          "metric": "experiments/runs", "artifact": "experiments/runs",
          "snapshot": "snapshots", "environment": "environments", "compute": "computes",
          "secret": "secrets"}
_EXECUTE = {"run": "experiments/runs/submit/action", "compute": "computes/stop/action"}
# Asset kinds stored as "<kind>/<name>"; their plural is the Azure resource type.
_PLURAL = {"compute": "computes", "environment": "environments", "model": "models",
           "datastore": "datastores", "dataset": "datasets", "service": "services"}


def azure_action(resource: MlwsResource, verb: str) -> str | None:
    """The Azure action of a request; None for what every authenticated user may do (the
    API document, the live socket itself: its subscriptions are checked one by one)."""
    if resource.action:
        return resource.action
    if resource.kind in ("api", "live"):
        return None
    if verb == "execute" and resource.kind in _EXECUTE:
        return ML + "workspaces/" + _EXECUTE[resource.kind]
    if resource.kind == "asset":
        kind = (resource.name or "").split("/", 1)[0]
        noun = _PLURAL.get(kind, kind + "s" if kind else "assets")
        return f"{ML}workspaces/{noun}/{verb}"
    noun = _NOUNS.get(resource.kind, resource.kind + "s")
    return f"{ML}workspaces/{noun + '/' if noun else ''}{verb}"


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
        return self.decider.decide(principal_of(user), action, workspace_id)

    def __call__(self, user: Any, verb: str, resource: MlwsResource) -> bool:
        action = azure_action(resource, verb)
        if action is None:
            return user is not None
        if resource.kind == "workspace" and resource.workspace_id is None and verb in (
                "read", "write") and principal_of(user) is not None:
            # Anyone may list workspaces (the listing names only those they may read) and,
            # unless the admin turned it off, create one: its creator becomes its Owner.
            return verb == "read" or bool(self.app.allow_workspace_creation) or self.allows(
                user, action, None)
        if self.allows(user, action, resource.workspace_id):
            return True
        principal = principal_of(user)
        try:
            self.app.store.record_audit(principal.actor if principal else "", action, "denied",
                                        workspace_id=resource.workspace_id,
                                        target=resource.name or "")
        except Exception:  # an audit write must not turn a 403 into a 500
            log.warning("jupyter_mlws: could not audit a denied request", exc_info=True)
        return False
