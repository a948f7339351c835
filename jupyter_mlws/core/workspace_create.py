"""``Workspace.create``: a new workspace in the process's store, v1's arguments and messages
(cloud-only arguments are accepted by the method and ignored)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import ConflictError, NotFoundError
from .names import validate_workspace_name
from .workspace_lookup import DEFAULT_NAMESPACE, default_store

if TYPE_CHECKING:
    from .workspace import Workspace


def stringify_tags(tags: dict[str, Any] | None) -> dict[str, str | None]:
    """v1's tags as strings (None kept: a tag without a value)."""
    if not tags:
        return {}
    if not isinstance(tags, dict):
        raise UserErrorException(f"tags must be a dict of str to str, got {type(tags).__name__}.")
    return {str(k): (None if v is None else str(v)) for k, v in tags.items()}


def storage_url_of(storage_account: str | None) -> str | None:
    """A user-given folder or fsspec URL; ARM ids of Azure storage accounts (what v1 code
    passes) mean nothing locally, so they fall back to the default location."""
    if not storage_account:
        return None
    if "://" in storage_account:
        return storage_account
    if storage_account.startswith("/subscriptions/") and "/providers/" in storage_account:
        return None
    return os.path.abspath(os.path.expanduser(storage_account))


def create_workspace(name: str, auth: Any, subscription_id: str | None,
                     resource_group: str | None, location: str | None,
                     create_resource_group: bool, sku: str, tags: dict[str, str] | None,
                     friendly_name: str | None, storage_account: str | None, exist_ok: bool,
                     show_output: bool) -> Workspace:
    """What ``Workspace.create`` does with the arguments that mean something here."""
    from .workspace import Workspace  # cycle: workspace imports this module

    validate_workspace_name(name)
    sub = subscription_id or DEFAULT_NAMESPACE
    rg = resource_group or DEFAULT_NAMESPACE
    store = default_store()
    try:
        existing = store.get_workspace(name, sub, rg)
    except NotFoundError:
        existing = None
    if existing is not None:
        if exist_ok:
            return Workspace._from_record(store, existing)._with(auth, sku)
        raise UserErrorException(
            f"Workspace with name '{name}' already exists under resource group '{rg}' in "
            f"subscription '{sub}'. Pass exist_ok=True to get the existing workspace, or "
            "choose another name.")
    if not create_resource_group and not store.list_workspaces(sub, rg):
        raise UserErrorException(
            f"Resource group '{rg}' in subscription '{sub}' does not exist yet (no workspace "
            "has been created in it) and create_resource_group=False. Pass "
            "create_resource_group=True to create it with this workspace.")
    storage_url = storage_url_of(storage_account)
    started = time.monotonic()
    if show_output:
        print(f"Deploying Workspace with name {name}.")
    try:
        record = store.create_workspace(
            name, sub, rg, location=location or DEFAULT_NAMESPACE, storage_url=storage_url,
            friendly_name=friendly_name or name, tags=stringify_tags(tags))
    except ConflictError:
        # Lost a race with another process creating the same name.
        if not exist_ok:
            raise UserErrorException(
                f"Workspace with name '{name}' already exists under resource group '{rg}' "
                f"in subscription '{sub}'. Pass exist_ok=True to get it.") from None
        record = store.get_workspace(name, sub, rg)
    if show_output:
        print(f"Deployed Workspace with name {name}. "
              f"Took {time.monotonic() - started:.2f} seconds.")
    return Workspace._from_record(store, record)._with(auth, sku)


__all__ = ["create_workspace", "storage_url_of", "stringify_tags"]
