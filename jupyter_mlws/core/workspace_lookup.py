"""Finding a workspace: the process's store, the lookup by name or id with v1's errors
(``Workspace(...)``, ``Workspace.get``, ``Workspace.from_config``), and the errors themselves
(re-exported by :mod:`.workspace`)."""

from __future__ import annotations

from ..exceptions import UserErrorException, WorkspaceException
from ..store.base import ConflictError, NotFoundError, Store, WorkspaceRecord

DEFAULT_NAMESPACE = "local"


class WorkspaceNotFoundException(WorkspaceException, UserErrorException):
    """The workspace looked for does not exist."""


class WorkspaceDeletedException(WorkspaceException, UserErrorException):
    """The workspace this object refers to has been deleted."""


def default_store() -> Store:
    # Imported here: resolving the store may load SQLAlchemy, which `import jupyter_mlws.core`
    # must not pay for.
    from ..store import get_store

    return get_store()


def _not_found_message(name: str | None, subscription_id: str | None,
                       resource_group: str | None, workspace_id: str | None = None) -> str:
    if workspace_id:
        return f"Workspace with id '{workspace_id}' was not found."
    where = []
    if resource_group:
        where.append(f"resource group '{resource_group}'")
    if subscription_id:
        where.append(f"subscription '{subscription_id}'")
    scope = " in " + ", ".join(where) if where else ""
    return (f"Workspace '{name}'{scope} was not found. Use Workspace.create(name=...) to create "
            "it or Workspace.list(...) to see the existing ones.")


def _ambiguous(name: str, exc: Exception) -> UserErrorException:
    return UserErrorException(
        f"More than one workspace is named '{name}'; pass subscription_id and resource_group "
        f"to choose one. ({exc})")


def find_workspace(store: Store, name: str | None, subscription_id: str | None,
                   resource_group: str | None, workspace_id: str | None = None,
                   ) -> WorkspaceRecord:
    """The workspace by id, else by name (unique across the namespaces not given);
    WorkspaceNotFoundException, or UserErrorException when the name is ambiguous."""
    try:
        if workspace_id:
            return store.get_workspace_by_id(workspace_id)
        return store.get_workspace(name or "", subscription_id, resource_group)
    except NotFoundError as exc:
        raise WorkspaceNotFoundException(_not_found_message(
            name, subscription_id, resource_group, workspace_id)) from exc
    except ConflictError as exc:
        raise _ambiguous(name or "", exc) from exc


__all__ = ["DEFAULT_NAMESPACE", "WorkspaceDeletedException", "WorkspaceNotFoundException",
           "default_store", "find_workspace"]
