"""The one authorization point of the REST API.

Every handler resolves the asset a request touches into an :class:`MlwsResource` and calls
:func:`authorize` before reaching the store, so role-based access is enforced in one place.
Coarse checks by jupyter-server's own ``Authorizer`` (resource name ``mlws``) happen first,
through the ``@authorized`` decorator on each handler method (and, for the live WebSocket,
``read`` on ``mlws``); this function adds the per-workspace decision on top.

Actions: ``read`` (GET and the live channel), ``write`` (create, update, upload, append),
``delete``, ``execute`` (run control: cancel a run, submit a script run to a compute target).

Resource kinds a policy sees (``workspace_id`` None means "not yet known" or "no workspace"):

=============  ==============================  ==============================================
kind           actions                         ``name``
=============  ==============================  ==============================================
api            read                            None (the OpenAPI document)
workspace      read, write, delete             None, or the new name when creating one;
                                               ``workspace_id`` None lists/creates workspaces
experiment     read, write, delete             experiment name (None: the collection, or
                                               before an id was resolved to its name)
run            read, write, delete, execute    run id (None: the workspace's run listing,
                                               a script submission, or before a run id given
                                               alone was resolved to its workspace)
metric         read, write                     run id (None: several runs at once, or the
                                               SDK's batched metric append)
artifact       read, write                     artifact path for one file or log (upload,
                                               download, tail, append); run id for a run's
                                               listing, zip archive and live file updates
snapshot       read, write                     snapshot id for the manifest,
                                               ``<snapshot id>/<path>`` for one file, None
                                               when uploading blobs or creating one (and
                                               before a snapshot id was resolved)
asset          read, write, delete             asset kind for a listing,
                                               ``<kind>/<name>`` for one asset (environment,
                                               model, datastore, ... registrations)
environment    read                            None (a workspace's registered environments;
                                               ``workspace_id`` None: environments built in
                                               this server's home)
compute        read, execute                   None (a workspace's compute targets); the
                                               target name to stop one
=============  ==============================  ==============================================

Resources given without ``workspace_id`` first and then again with it (run, snapshot) are
checked twice: coarse before the store is asked which workspace holds the id, fine after.
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
    """An asset a request touches; the kinds, actions and names are listed in this module's
    docstring."""

    kind: str
    workspace_id: str | None = None
    name: str | None = None  # see the table in the module docstring


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
