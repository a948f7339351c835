"""The one authorization point of the API.

Every REST operation, file route, zip download and live subscription is checked here, after
jupyter-server's own coarse check (its ``Authorizer`` on resource ``mlws``): the operation's
row in the table (``jupyter_mlws.api``) declares its action, in the shape of Azure's
(``Microsoft.MachineLearningServices/workspaces/experiments/runs/read``), and its scope, i.e.
how the workspace a request touches is found (a path parameter, or the workspace of the run,
experiment or snapshot it names, looked up in the store). Listings only return what the caller
may read.

A policy (``MlwsApp.authorization_policy``) is ``policy(user, verb, resource) -> bool``:

- ``verb``: ``read``, ``write``, ``delete`` or ``execute`` (Azure's ``.../action``);
- ``resource``: an :class:`MlwsResource`: ``kind`` (api, live, workspace, experiment, run,
  metric, artifact, snapshot, asset, environment, compute, datastore, dataset, secret, access),
  ``workspace_id``
  (None for the server itself: listing or creating workspaces, the document, the live socket;
  ``"*"``, i.e. ``EVERY_WORKSPACE``, for what applies to every workspace at once: custom role
  definitions, assignments on all workspaces, the whole audit log), ``name``
  (the run id, experiment name, artifact path, ``<kind>/<name>`` of an asset, a datastore's
  name for its secret and files, a dataset's name, ... when the
  request names one), ``action`` (the full Azure action) and ``operation`` (its id).

For an operation on an id (a run, experiment, snapshot), the policy is first asked with
``workspace_id`` None ("may this caller do this anywhere?"), so a caller with no rights at all
learns nothing about which ids exist, then with the workspace the store says holds the asset.
Role-based access (``MlwsApp.access_control``) is such a policy reading ``resource.action``
(``server/access_policy.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jupyter_server.utils import import_item
from tornado.web import HTTPError

from ..api.operation import Operation, Request
from ..store.base import NotFoundError, Store
from ..store.decide import EVERY_WORKSPACE
from ..store.registry import ConfigurationError

# Verbs, coarsest first; an operation's verb is the last segment of its action.
ACTIONS = ("read", "write", "delete", "execute")
# The jupyter-server Authorizer resource name of the whole API.
AUTH_RESOURCE = "mlws"
# jupyter-server's Authorizer knows read, write and execute.
JUPYTER_VERBS = {"read": "read", "write": "write", "delete": "write", "execute": "execute"}
_KINDS = {"workspaces": "workspace", "experiments": "experiment", "runs": "run",
          "snapshots": "snapshot", "computes": "compute", "environments": "environment"}


@dataclass(frozen=True)
class MlwsResource:
    """An asset a request touches (see the module docstring)."""

    kind: str
    workspace_id: str | None = None
    name: str | None = None
    action: str = ""
    operation: str = ""
    # False when the question filters a listing: hiding an item is no denied request (a role
    # policy audits denials).
    audit: bool = True


Policy = Callable[[Any, str, MlwsResource], bool]


def allow_authenticated(user: Any, action: str, resource: MlwsResource) -> bool:
    """The default policy: the server's authenticated user may do everything."""
    return user is not None


def deny_all(user: Any, action: str, resource: MlwsResource) -> bool:
    """What a server whose policy could not be loaded answers: no."""
    return False



def load_policy(value: Any) -> Policy | None:
    """The policy a setting names: a callable, or an import string (``pkg.module.attr`` or
    ``pkg.module:attr``, as given on the command line); None for the default."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = import_item(value.replace(":", "."))
        except Exception as exc:
            raise ConfigurationError(
                f"MlwsApp.authorization_policy {value!r} cannot be imported: "
                f"{type(exc).__name__}: {exc}") from exc
    if not callable(value):
        raise ConfigurationError(
            f"MlwsApp.authorization_policy must be callable(user, action, resource), "
            f"got {type(value).__name__}")
    return value  # type: ignore[no-any-return]


class AuthorizationError(HTTPError):
    """401 without a user, 403 when the policy says no; carries a machine-readable reason."""

    def __init__(self, status_code: int, message: str, reason: str) -> None:
        super().__init__(status_code, log_message=message.replace("%", "%%"))
        self.message = message
        self.error_reason = reason


def require_user(user: Any) -> None:
    """401 for a request nobody authenticated: the first check of every route, before its
    parameters are validated or its body read (an anonymous caller learns nothing of them)."""
    if user is None:
        raise AuthorizationError(401, "Authentication required.", "Unauthorized")


def authorize(user: Any, action: str, resource: MlwsResource,
              policy: Policy | None = None) -> None:
    """Raise :class:`AuthorizationError` unless ``user`` may do ``action`` (a verb) on
    ``resource``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    require_user(user)
    if not (policy or allow_authenticated)(user, action, resource):
        target = resource.kind if resource.workspace_id is None else (
            f"{resource.kind} in workspace {resource.workspace_id}")
        raise AuthorizationError(403, f"Not allowed to {action} {target}.", "Forbidden")


def resource_kind(op: Operation) -> str:
    if op.resource:
        return op.resource
    nouns = op.action.split("/")
    return _KINDS.get(nouns[-2] if len(nouns) > 1 else nouns[0], "api")


def _run_ids(request: Request) -> list[str]:
    """The runs a request body names: ``run_ids``, or those of a metric batch (its run
    column and its metrics recorded without points)."""
    body = request.body
    ids = getattr(body, "run_ids", None)
    if ids is not None:
        return list(dict.fromkeys(ids))
    named = getattr(body, "named_runs", None)
    return [] if named is None else named()


def _expected_workspace(request: Request) -> str | None:
    return getattr(request.query, "workspace_id", None)


def _check_expected(request: Request, what: str, key: str, workspace_id: str) -> None:
    expected = _expected_workspace(request)
    if expected is not None and expected != workspace_id:
        raise NotFoundError(f"{what} {key} not found in workspace {expected}")


def scope_of(store: Store, op: Operation, request: Request) -> list[tuple[str | None, str | None]]:
    """(workspace id, name) of each asset the request touches; blocking (store lookups).
    A run, experiment or snapshot that does not exist is NotFoundError."""
    params = request.params
    name = op.resource_name(request) if op.resource_name else (
        str(params[op.path_names[-1]]) if op.path_names else None)
    if op.scope == "server":
        return [(None, name)]
    if op.scope == "workspace":
        return [(params["workspace_id"], name)]
    if op.scope == "global":
        return [(EVERY_WORKSPACE, name)]
    if op.scope == "assignment":
        found = [a for a in store.list_role_assignments() if a.id == params["assignment_id"]]
        if not found:
            raise NotFoundError(f"Role assignment {params['assignment_id']} not found")
        return [(found[0].workspace_id or EVERY_WORKSPACE, name)]
    if op.scope == "run":
        run = store.get_run(params["run_id"])
        _check_expected(request, "Run", run.id, run.workspace_id)
        return [(run.workspace_id, name)]
    if op.scope == "experiment":
        experiment = store.get_experiment_by_id(params["experiment_id"])
        _check_expected(request, "Experiment", experiment.id, experiment.workspace_id)
        return [(experiment.workspace_id, experiment.name)]
    if op.scope == "snapshot":
        snapshot = store.get_snapshot(params["snapshot_id"])
        _check_expected(request, "Snapshot", snapshot.id, snapshot.workspace_id)
        return [(snapshot.workspace_id, name)]
    # "runs": each run of the body, in its own workspace
    return [(store.get_run(run_id).workspace_id, run_id) for run_id in _run_ids(request)]


class AuthorizationPoint:
    """Checks operations for one server: its policy, and its store for finding workspaces."""

    def __init__(self, policy: Policy | None, store: Callable[[], Store],
                 error: str | None = None) -> None:
        self.policy = policy
        self._store = store
        # A configuration error (the policy could not be loaded): every request is refused
        # with it, instead of the extension vanishing or allowing everything.
        self.error = error

    def _check(self, user: Any, verb: str, resource: MlwsResource) -> None:
        if self.error is not None:
            require_user(user)
            raise AuthorizationError(403, self.error, "Forbidden")
        authorize(user, verb, resource, self.policy)

    def resources(self, op: Operation, request: Request,
                  scope: list[tuple[str | None, str | None]]) -> list[MlwsResource]:
        action = op.action_for(request.params)
        kind = resource_kind(op)
        return [MlwsResource(kind, workspace_id, name, action, op.id)
                for workspace_id, name in scope]

    async def check(self, user: Any, op: Operation, request: Request) -> list[MlwsResource]:
        """Authorize ``request`` of ``op`` (raises 401/403, or 404 for an unknown asset)."""
        require_user(user)
        if op.scope in ("server", "workspace", "global"):
            scope = scope_of(None, op, request)  # type: ignore[arg-type] - no lookups
        else:
            if self.error is None:
                # Not even the existence of an asset for a caller with no rights at all.
                try:
                    self._check(user, op.verb, MlwsResource(
                        resource_kind(op), None, None, op.action_for(request.params), op.id,
                        audit=False))
                except AuthorizationError:
                    await self._audit_where(user, op, request)
                    raise
            scope = await asyncio.to_thread(lambda: scope_of(self._store(), op, request))
        resources = self.resources(op, request, scope)
        for resource in resources:
            self._check(user, op.verb, resource)
        return resources

    async def _audit_where(self, user: Any, op: Operation, request: Request) -> None:
        """A caller refused before the asset was looked up: ask again where it is, so the
        denial is recorded (by an auditing policy) in the workspace it was aimed at. The
        caller is refused either way and learns nothing."""
        try:
            scope = await asyncio.to_thread(lambda: scope_of(self._store(), op, request))
        except Exception:  # no such asset, or no store: nothing more to say
            scope = [(None, None)]
        for resource in self.resources(op, request, scope):
            with contextlib.suppress(AuthorizationError):
                self._check(user, op.verb, resource)

    def check_resource(self, user: Any, verb: str, resource: MlwsResource) -> None:
        """One resource, for callers that found it themselves (live subscriptions)."""
        self._check(user, verb, resource)

    def visible(self, user: Any, op: Operation, items: Iterable[Any]) -> list[Any]:
        """The items of a listing the caller may read (``op.item_workspace`` of each)."""
        assert op.item_workspace is not None
        kind = resource_kind(op)
        allowed = []
        for item in items:
            resource = MlwsResource(kind, op.item_workspace(item), None, op.full_action, op.id,
                                    audit=False)
            try:
                self._check(user, "read", resource)
            except AuthorizationError:
                continue
            allowed.append(item)
        return allowed


__all__ = [
    "ACTIONS",
    "AUTH_RESOURCE",
    "AuthorizationError",
    "AuthorizationPoint",
    "ConfigurationError",
    "MlwsResource",
    "Policy",
    "allow_authenticated",
    "authorize",
    "deny_all",
    "load_policy",
    "resource_kind",
    "scope_of",
]
