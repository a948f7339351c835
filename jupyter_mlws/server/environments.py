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


def built_environments(home: str) -> list[dict[str, Any]]:
    """The uv-built environments under ``home``: one small marker file read per environment,
    never a walk of the environment's files (sizes are ``mlws env inspect``'s business)."""
    from ..execution.environments import list_built

    return [{"hash": b.get("hash"), "path": b.get("path"), "interpreter": b.get("interpreter"),
             "spec": b.get("spec") or {}, "created_time": b.get("created_time"),
             "last_used_time": b.get("last_used_time")} for b in list_built(home)]


class BuiltEnvironmentsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.authorize("read", MlwsResource("environment"))
        # The home alone, not ``self.store``: opening the store (migrations) on the event loop
        # made this route, often a client's first request, slow enough to time out.
        from ..store.settings import mlws_home

        home = self.mlws.home or str(mlws_home())
        built = await self.call(built_environments, home)
        self.send_json({"environments": built})


__all__ = ["BuiltEnvironmentsHandler", "EnvironmentsHandler"]
