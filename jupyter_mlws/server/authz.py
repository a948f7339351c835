"""The one authorization point of the REST API.

Every handler resolves the asset a request touches into an :class:`MlwsResource` and calls
:func:`authorize` before reaching the store, so role-based access is enforced in one place.
Coarse checks by jupyter-server's own ``Authorizer`` (resource name ``mlws``) happen first,
through the ``@authorized`` decorator on each handler method; this function adds the
per-workspace decision on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tornado.web import HTTPError

# Actions, coarsest first. HTTP methods map onto them the way jupyter-server does
# (GET -> read, POST/PUT/PATCH -> write, DELETE -> delete); "execute" is kept for run control.
ACTIONS = ("read", "write", "delete", "execute")

# The jupyter-server Authorizer resource name of the whole API.
AUTH_RESOURCE = "mlws"


@dataclass(frozen=True)
class MlwsResource:
    """An asset a request touches: ``kind`` is api | workspace | experiment | run | metric |
    artifact; ``workspace_id`` is None only for the workspace collection and the spec."""

    kind: str
    workspace_id: str | None = None
    name: str | None = None  # experiment name, run id, metric name or artifact path


# A policy answers "may this user do this action on this resource?".
Policy = Callable[[Any, str, MlwsResource], bool]


def allow_authenticated(user: Any, action: str, resource: MlwsResource) -> bool:
    """The default policy: the server's authenticated user may do everything."""
    return user is not None


class AuthorizationError(HTTPError):
    """401 without a user, 403 when the policy says no; carries a machine-readable reason."""

    def __init__(self, status_code: int, message: str, reason: str) -> None:
        super().__init__(status_code, log_message=message)
        self.error_reason = reason


def authorize(user: Any, action: str, resource: MlwsResource,
              policy: Policy | None = None) -> None:
    """Raise :class:`AuthorizationError` unless ``user`` may do ``action`` on ``resource``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None:
        raise AuthorizationError(401, "Authentication required.", "Unauthorized")
    allowed = (policy or allow_authenticated)(user, action, resource)
    if not allowed:
        target = resource.kind if resource.workspace_id is None else (
            f"{resource.kind} in workspace {resource.workspace_id}")
        raise AuthorizationError(403, f"Not allowed to {action} {target}.", "Forbidden")
