"""Assets of a workspace (environments, compute targets, models, datastores...): register a
version, get one, list, update the mutable state of a version, delete. Thin over the store."""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id, check_str, check_tags

# Asset kinds are ours (environment, compute, model, ...); names are the user's: anything
# printable but '/' (a path segment) and control characters.
KIND_RE = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
NAME_MAX = 255
_REGISTER_FIELDS = {"name", "spec", "new_version", "tags", "description", "state"}


def check_kind(value: str) -> str:
    if not KIND_RE.match(value):
        raise bad_request("Invalid asset kind: use 1-64 lowercase letters, digits, '_', '-'.")
    return value


def check_asset_name(value: Any) -> str:
    if (not isinstance(value, str) or not value or len(value) > NAME_MAX or "/" in value
            or any(ord(c) < 32 for c in value) or value in (".", "..")):
        raise bad_request(f"Invalid asset name: 1-{NAME_MAX} characters, no '/'.")
    return value


def check_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31:
        raise bad_request("An asset version is a positive integer.")
    return value


def check_json_object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{name!r} must be a JSON object.")
    return value


class AssetsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, kind: str) -> None:
        check_id(workspace_id, "workspace id")
        check_kind(kind)
        name = self.query_str("name", max_length=NAME_MAX)
        latest_only = self.query_bool("latest_only", True)
        self.authorize("read", MlwsResource("asset", workspace_id, kind))
        await self.load_workspace(workspace_id)
        records = await self.call(self.store.list_assets, workspace_id, kind,
                                  check_asset_name(name) if name else None, latest_only)
        self.send_json({"assets": records})

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, kind: str) -> None:
        check_id(workspace_id, "workspace id")
        check_kind(kind)
        body = self.json_body()
        check_fields(body, _REGISTER_FIELDS)
        name = check_asset_name(body.get("name"))
        new_version = body.get("new_version", True)
        if not isinstance(new_version, bool):
            raise bad_request("'new_version' must be true or false.")
        if "spec" not in body:
            raise bad_request("'spec' is required.")
        spec = check_json_object(body, "spec")
        self.authorize("write", MlwsResource("asset", workspace_id, f"{kind}/{name}"))
        await self.load_workspace(workspace_id)
        record = await self.call(
            self.store.register_asset, workspace_id, kind, name, spec,
            new_version=new_version, tags=check_tags(body.get("tags") or {}),
            description=check_str(body, "description") or "",
            state=check_json_object(body, "state"))
        self.send_json(record, status=201)


class AssetHandler(MlwsHandler):
    def _checked_version(self, action: str, workspace_id: str, kind: str, name: str) -> int | None:
        """Check the path and ``?version=`` and authorize ``action``; the version asked for."""
        check_id(workspace_id, "workspace id")
        check_kind(kind)
        check_asset_name(name)
        version = self.query_int("version", None, minimum=1, maximum=2**31)
        self.authorize(action, MlwsResource("asset", workspace_id, f"{kind}/{name}"))
        return version

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, kind: str, name: str) -> None:
        version = self._checked_version("read", workspace_id, kind, name)
        self.send_json(await self.call(self.store.get_asset, workspace_id, kind, name,
                                       version))

    @web.authenticated
    @authorized
    async def patch(self, workspace_id: str, kind: str, name: str) -> None:
        """Tags and description of one version (``?version=`` is required)."""
        version = self._checked_version("write", workspace_id, kind, name)
        if version is None:
            raise bad_request("?version= is required to update an asset.")
        body = self.json_body()
        check_fields(body, {"tags", "remove_tags", "description"})
        remove = body.get("remove_tags") or []
        if not isinstance(remove, list) or not all(isinstance(k, str) for k in remove):
            raise bad_request("'remove_tags' must be a list of strings.")
        tags = body.get("tags")
        self.send_json(await self.call(
            self.store.update_asset, workspace_id, kind, name, version,
            tags=None if tags is None else check_tags(tags), remove_tags=remove,
            description=check_str(body, "description")))

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str, kind: str, name: str) -> None:
        version = self._checked_version("delete", workspace_id, kind, name)
        await self.call(self.store.delete_asset, workspace_id, kind, name, version)
        self.set_status(204)
        self.finish()


class AssetStateHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def put(self, workspace_id: str, kind: str, name: str, version: str) -> None:
        check_id(workspace_id, "workspace id")
        check_kind(kind)
        check_asset_name(name)
        if not version.isdigit():
            raise bad_request("An asset version is a positive integer.")
        number = check_version(int(version))
        body = self.json_body()
        check_fields(body, {"state", "merge"})
        if not isinstance(body.get("state"), dict):
            raise bad_request("'state' must be a JSON object.")
        merge = body.get("merge", True)
        if not isinstance(merge, bool):
            raise bad_request("'merge' must be true or false.")
        self.authorize("write", MlwsResource("asset", workspace_id, f"{kind}/{name}"))
        self.send_json(await self.call(self.store.update_asset_state, workspace_id, kind, name,
                                       number, body["state"], merge=merge))
