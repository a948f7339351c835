"""Workspaces: list, create, get, update, delete."""

from __future__ import annotations

import re

from jupyter_server.auth.decorator import authorized
from tornado import web

from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id, check_str, check_tags
from .identity import RunUser

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
        # Only what the caller may read: other teams' workspaces are not even named.
        policy = self.mlws.authorization_policy
        if policy is not None:
            records = [w for w in records
                       if policy(self.current_user, "read", MlwsResource("workspace", w.id))]
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
        if (self.mlws.access_control and not isinstance(self.current_user, RunUser)
                and self.identity):
            # The creator owns the new workspace (a server admin can always recover it).
            await self.call(self.store.assign_role, "Owner", self.identity,
                            workspace_id=record.id, actor=self.identity)
            decider = getattr(self.mlws.authorization_policy, "decider", None)
            if decider is not None:
                decider.invalidate()
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
