"""Environments: the registered ones of a workspace, and the built ones of this server's home."""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .authz import MlwsResource
from .base import ApiError, MlwsHandler, bad_request, check_id

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


class EnvironmentHandler(MlwsHandler):
    """One registered environment version: its specification, and what this server built
    for it (the cache entry of its uv spec, whose build log the studio shows)."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        check_id(name, "environment name")
        version = self.query_int("version", None, minimum=1)
        self.authorize("read", MlwsResource("environment", workspace_id, name))
        await self.load_workspace(workspace_id)
        record = await self.call(self.store.get_asset, workspace_id, ENVIRONMENT_KIND, name,
                                 version)
        home = self.mlws.home or None
        self.send_json(await self.call(environment_details, record, home))


def environment_details(record: Any, home: str | None) -> dict[str, Any]:
    """The summary plus ``build``: the spec this server runs it with, its cache hash and the
    built entry (None until a run built it), or why it cannot be built here."""
    from ..core.environment import Environment
    from ..exceptions import AzureMLException
    from ..execution.environments import env_hash, list_built
    from ..store.settings import mlws_home

    details = environment_summary(record)
    try:
        spec = Environment._from_record(record)._build_spec()
    except AzureMLException as exc:
        details["build"] = {"spec": None, "hash": None, "built": None, "error": str(exc)}
        return details
    digest = env_hash(spec) if spec.get("type") == "uv" else None
    built = next((b for b in list_built(home or str(mlws_home()))
                  if digest and b.get("hash") == digest), None)
    details["build"] = {"spec": spec, "hash": digest, "error": None,
                        "built": None if built is None else {
                            k: built.get(k) for k in ("hash", "path", "interpreter",
                                                      "created_time", "last_used_time",
                                                      "build_seconds", "has_build_log")}}
    return details


class BuiltEnvironmentLogHandler(MlwsHandler):
    """The build log of one built environment (its last MiB)."""

    @web.authenticated
    @authorized
    async def get(self, env_hash: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{8,64}", env_hash):
            raise bad_request("An environment hash is 8-64 lowercase hex digits.")
        self.authorize("read", MlwsResource("environment"))
        from ..execution.environments import build_log
        from ..store.settings import mlws_home

        text = await self.call(build_log, env_hash, self.mlws.home or str(mlws_home()))
        if text is None:
            raise ApiError(404, f"No build log for environment {env_hash}.", "NotFound")
        self.send_json({"hash": env_hash, "log": text})


def built_environments(home: str) -> list[dict[str, Any]]:
    """The uv-built environments under ``home``: one small marker file read per environment,
    never a walk of the environment's files (sizes are ``mlws env inspect``'s business)."""
    from ..execution.environments import list_built

    return [{"hash": b.get("hash"), "path": b.get("path"), "interpreter": b.get("interpreter"),
             "spec": b.get("spec") or {}, "created_time": b.get("created_time"),
             "last_used_time": b.get("last_used_time"),
             "has_build_log": bool(b.get("has_build_log"))} for b in list_built(home)]


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


__all__ = ["BuiltEnvironmentLogHandler", "BuiltEnvironmentsHandler", "EnvironmentHandler",
           "EnvironmentsHandler", "environment_details"]
