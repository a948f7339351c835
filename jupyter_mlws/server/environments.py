"""Server services of the environment rows of the table: registered environments (listed, one
with how this server builds it), the environments built in this server's home and their build
logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.operation import Request
from ..core.environment import Environment
from ..exceptions import AzureMLException
from ..execution.environments import build_log, env_hash, list_built
from ..store.base import AssetRecord, NotFoundError, Store
from ..store.settings import mlws_home

if TYPE_CHECKING:
    from .routes import OperationHandler

ENVIRONMENT_KIND = "environment"  # the asset kind core.environment registers under
_BUILT_FIELDS = ("hash", "path", "interpreter", "created_time", "last_used_time",
                 "build_seconds", "has_build_log")


def environment_summary(record: AssetRecord) -> dict[str, Any]:
    spec = record.spec or {}
    python = spec.get("python") or {}
    return {"name": record.name, "version": record.version,
            "description": record.description, "tags": dict(record.tags),
            "labels": list((record.state or {}).get("labels", [])),
            "created_time": record.created_time,
            "user_managed_dependencies": bool(python.get("userManagedDependencies", False)),
            "definition": spec}


def list_environments(store: Store, workspace_id: str, all_versions: bool) -> dict[str, Any]:
    store.get_workspace_by_id(workspace_id)  # 404 for an unknown workspace, not []
    records = store.list_assets(workspace_id, ENVIRONMENT_KIND, latest_only=not all_versions)
    return {"environments": [environment_summary(r) for r in records]}


def built_environments(home: str) -> dict[str, Any]:
    """The uv-built environments under ``home``: one small marker file read per environment,
    never a walk of the environment's files (sizes are ``mlws env inspect``'s business)."""
    return {"environments": [
        {"hash": b.get("hash"), "path": b.get("path"), "interpreter": b.get("interpreter"),
         "spec": b.get("spec") or {}, "created_time": b.get("created_time"),
         "last_used_time": b.get("last_used_time"),
         "has_build_log": bool(b.get("has_build_log"))} for b in list_built(home)]}


def environment_details(store: Store, workspace_id: str, name: str, version: int | None,
                        home: str) -> dict[str, Any]:
    """The summary plus ``build``: the spec this server runs it with, its cache hash and the
    built entry (None until a run built it), or why it cannot be built here."""
    store.get_workspace_by_id(workspace_id)
    record = store.get_asset(workspace_id, ENVIRONMENT_KIND, name, version)
    details = environment_summary(record)
    try:
        spec = Environment._from_record(record)._build_spec()
    except AzureMLException as exc:
        details["build"] = {"spec": None, "hash": None, "built": None, "error": str(exc)}
        return details
    digest = env_hash(spec) if spec.get("type") == "uv" else None
    built = next((b for b in list_built(home) if digest and b.get("hash") == digest), None)
    details["build"] = {"spec": spec, "hash": digest, "error": None,
                        "built": None if built is None else {
                            k: built.get(k) for k in _BUILT_FIELDS}}
    return details


def environment_build_log(env: str, home: str) -> dict[str, Any]:
    text = build_log(env, home)
    if text is None:
        raise NotFoundError(f"No build log for environment {env}.")
    return {"hash": env, "log": text}


def _home(handler: OperationHandler) -> str:
    return handler.mlws.home or str(mlws_home())


# ---- the services, as routes.py calls them


async def environments_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(list_environments, request.params["workspace_id"],
                                    request.query.all_versions)  # type: ignore[union-attr]


async def environment_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call_store(environment_details, request.params["workspace_id"],
                                    request.params["name"],
                                    request.query.version,  # type: ignore[union-attr]
                                    _home(handler))


async def built_environments_service(handler: OperationHandler, request: Request) -> Any:
    # The home alone, not the store: opening the store (migrations) made this route, often a
    # client's first request, slow enough to time out.
    return await handler.call(built_environments, _home(handler))


async def build_log_service(handler: OperationHandler, request: Request) -> Any:
    return await handler.call(environment_build_log, request.params["env_hash"], _home(handler))


__all__ = ["built_environments", "environment_details", "environment_summary",
           "list_environments"]
