"""Workspaces: list, create, get, update, delete."""

from __future__ import annotations

import os
import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id, check_str, check_tags

# v1 workspace names: ^[a-zA-Z0-9][\w\-]{2,32}$
WORKSPACE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{2,32}$")
_CREATE_FIELDS = {"name", "subscription_id", "resource_group", "location", "storage_url",
                  "tags", "friendly_name", "description"}
_UPDATE_FIELDS = {"tags", "friendly_name", "description"}


class WorkspacesHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.authorize("read", MlwsResource("workspace"))
        subscription_id = self.query_str("subscription_id")
        resource_group = self.query_str("resource_group")
        records = await self.call(self.store.list_workspaces, subscription_id, resource_group)
        self.send_json({"workspaces": records})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        check_fields(body, _CREATE_FIELDS)
        name = check_str(body, "name", required=True, max_length=33) or ""
        if not WORKSPACE_NAME_RE.match(name):
            raise bad_request("Invalid workspace name: use 3-33 letters, digits, '_' or '-', "
                              "starting with a letter or digit.")
        subscription_id = check_str(body, "subscription_id", max_length=255) or "local"
        resource_group = check_str(body, "resource_group", max_length=255) or "local"
        self.authorize("write", MlwsResource("workspace", name=name))
        record = await self.call(
            self.store.create_workspace, name, subscription_id, resource_group,
            location=check_str(body, "location", max_length=255) or "local",
            storage_url=check_str(body, "storage_url"),
            friendly_name=check_str(body, "friendly_name", max_length=255) or "",
            description=check_str(body, "description") or "",
            tags=check_tags(body.get("tags") or {}))
        self.send_json(record, status=201)


class WorkspaceHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("workspace", workspace_id))
        self.send_json(await self.call(self.store.get_workspace_by_id, workspace_id))

    @web.authenticated
    @authorized
    async def patch(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, _UPDATE_FIELDS)
        self.authorize("write", MlwsResource("workspace", workspace_id))
        tags = check_tags(body["tags"]) if body.get("tags") is not None else None
        record = await self.call(
            self.store.update_workspace, workspace_id, tags=tags,
            description=check_str(body, "description"),
            friendly_name=check_str(body, "friendly_name", max_length=255))
        self.send_json(record)

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("delete", MlwsResource("workspace", workspace_id))
        await self.call(self.store.delete_workspace, workspace_id)
        self.set_status(204)
        self.finish()


class WorkspaceConfigHandler(MlwsHandler):
    """The workspace a folder's ``config.json`` names (v1's search: ``.azureml/``,
    ``aml_config/``, the folder, walking up), so the studio opens on the notebook's workspace.
    The search starts in ``path`` under the server's root and stays inside the root; hidden
    ``.azureml`` folders are read here because the contents API does not serve them."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.authorize("read", MlwsResource("workspace"))
        path = self.query_str("path", "") or ""
        if "\x00" in path:
            raise bad_request("'path' must not contain NUL characters.")
        root = os.path.realpath(self.settings.get("server_root_dir") or os.getcwd())
        folder = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if os.path.commonpath([root, folder]) != root or not os.path.isdir(folder):
            raise bad_request("'path' must be a folder inside the server's root directory.")
        found = await self.call(_configured_workspace, self.store, root, folder)
        self.send_json(found or {"workspace": None, "config_path": None})


def _configured_workspace(store: Any, root: str, folder: str) -> dict[str, Any] | None:
    from ..core.config_file import find_config_file, read_config_file
    from ..exceptions import UserErrorException
    from ..store.base import StoreError

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
