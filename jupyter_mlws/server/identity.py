"""Who acts on the server: the jupyter-server identity of a request, as a
:class:`~jupyter_mlws.store.decide.Principal`.

- Users come from jupyter-server's ``IdentityProvider``: ``user.username``, and groups from a
  ``groups`` attribute (``TeamIdentityProvider``, ``server/team.py``) or, behind JupyterHub,
  the hub's user model (``user.hub_user["groups"]``).
- A submitted run presents its run token (``Authorization: token mlwsrun_...``); the request
  then acts as :class:`RunUser` (``run:<run id>``), limited to its own workspace while the run
  is active. The submitter's own token never reaches a run.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import User

from ..store.access_api import RunCredential
from ..store.decide import Principal


class RunUser(User):  # type: ignore[misc]
    """A request made with a run token."""

    credential: RunCredential

    @classmethod
    def of(cls, credential: RunCredential) -> RunUser:
        user = cls(username=f"run:{credential.run_id}")
        user.credential = credential
        return user


def groups_of(user: Any) -> frozenset[str]:
    groups = getattr(user, "groups", None)
    if groups is None:
        hub = getattr(user, "hub_user", None)
        if isinstance(hub, dict):
            groups = hub.get("groups")
    if not groups:
        return frozenset()
    return frozenset(str(g) for g in groups)


def principal_of(user: Any) -> Principal | None:
    if user is None:
        return None
    if isinstance(user, RunUser):
        return Principal(user.username, run_id=user.credential.run_id,
                         workspace_id=user.credential.workspace_id)
    name = getattr(user, "username", None) or str(user)
    return Principal(str(name), groups_of(user))


def identity_name(user: Any) -> str:
    """The name recorded as who did something (``submittedBy``, ``created_by``, audit)."""
    if isinstance(user, RunUser):
        return user.credential.submitted_by or user.username
    principal = principal_of(user)
    return principal.name if principal is not None else ""
