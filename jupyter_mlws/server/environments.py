"""Environments: the registered ones of a workspace, and the built ones of this server's home."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .authz import MlwsResource
from .base import MlwsHandler, check_id

ENVIRONMENT_KIND = "environment"  # the asset kind core.environment registers under


def environment_summary(record: Any) -> dict[str, Any]:
    spec = record.spec or {}
    python = spec.get("python") or {}
    return {"name": record.name, "version": record.version,
            "description": record.description, "tags": dict(record.tags),
            "labels": list((record.state or {}).get("labels", [])),
            "created_time": record.created_time,
            "user_managed_dependencies": bool(python.get("userManagedDependencies", False)),
            "definition": spec}


class EnvironmentsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("environment", workspace_id))
        await self.load_workspace(workspace_id)
        all_versions = self.query_bool("all_versions", False)
        records = await self.call(self.store.list_assets, workspace_id, ENVIRONMENT_KIND,
                                  latest_only=not all_versions)
        self.send_json({"environments": [environment_summary(r) for r in records]})


class BuiltEnvironmentsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.authorize("read", MlwsResource("environment"))
        from ..execution.environments import list_built

        home = getattr(self.store, "settings", None)
        built = await self.call(list_built, str(home.home) if home else None)
        self.send_json({"environments": [
            {"hash": b.get("hash"), "path": b.get("path"), "interpreter": b.get("interpreter"),
             "spec": b.get("spec") or {}, "created_time": b.get("created_time"),
             "last_used_time": b.get("last_used_time")} for b in built]})


__all__ = ["BuiltEnvironmentsHandler", "EnvironmentsHandler"]
