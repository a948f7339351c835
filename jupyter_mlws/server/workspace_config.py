"""The service of getWorkspaceConfig: the workspace a folder's ``config.json`` names (v1's
search: ``.azureml/``, ``aml_config/``, the folder, walking up), so the studio opens on the
notebook's workspace. The search starts in ``path`` under the server's root and stays inside
it; hidden ``.azureml`` folders are read here because the contents API does not serve them."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..api.operation import Request, RequestInvalid
from ..core.config_file import find_config_file, read_config_file
from ..exceptions import UserErrorException
from ..store.base import Store, StoreError
from .authz import AuthorizationError, MlwsResource

if TYPE_CHECKING:
    from .routes import OperationHandler

NOTHING = {"workspace": None, "config_path": None}


def configured_workspace(store: Store, root: str, folder: str) -> dict[str, Any] | None:
    try:
        config = os.path.realpath(find_config_file(folder))
        if os.path.commonpath([root, config]) != root:
            return None  # found above the root: not this server's business
        coordinates = read_config_file(config)
        record = store.get_workspace(coordinates.workspace_name, coordinates.subscription_id,
                                     coordinates.resource_group)
    except (UserErrorException, StoreError):
        return None  # no file, an unreadable one, or a workspace this store does not have
    return {"workspace": record, "config_path": os.path.relpath(config, root)}


async def workspace_config_service(handler: OperationHandler, request: Request) -> Any:
    path: str = request.query.path  # type: ignore[union-attr]
    if "\x00" in path:
        raise RequestInvalid("'path' must not contain NUL characters.")
    root = os.path.realpath(handler.settings.get("server_root_dir") or os.getcwd())
    folder = os.path.realpath(os.path.join(root, path.lstrip("/")))
    if os.path.commonpath([root, folder]) != root or not os.path.isdir(folder):
        raise RequestInvalid("'path' must be a folder inside the server's root directory.")
    found = await handler.call_store(configured_workspace, root, folder)
    if found is None:
        return NOTHING
    try:  # the caller learns of a workspace only if it may read it
        op = handler._op
        handler.mlws.authz.check_resource(handler.current_user, "read", MlwsResource(
            "workspace", found["workspace"].id, None, op.full_action if op else "",
            op.id if op else ""))
    except AuthorizationError:
        return NOTHING
    return found


__all__ = ["configured_workspace", "workspace_config_service"]
