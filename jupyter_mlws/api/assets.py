"""Versioned assets of a workspace, by kind (environment, compute, model, datastore, ...):
models and operations. The action is the kind's: ``workspaces/environments/read``, ..."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ..store.base import AssetRecord
from .operation import MiB, Operation
from .types import (
    AssetName,
    AssetVersion,
    Id,
    JsonObject,
    Key,
    Model,
    QueryModel,
    ResponseModel,
    Tags,
    Text,
    Timestamp,
)


class Asset(ResponseModel):
    record: ClassVar[type] = AssetRecord
    workspace_id: Id
    kind: str
    name: str
    version: int
    spec: dict[str, Any]
    state: dict[str, Any]
    tags: Tags
    description: str
    created_time: Timestamp
    updated_time: Timestamp


class AssetList(ResponseModel):
    assets: list[Asset]


class AssetQuery(QueryModel):
    name: AssetName | None = None
    latest_only: bool = True


class VersionQuery(QueryModel):
    version: AssetVersion | None = Field(None, description="Default: the latest")


class AssetRegister(Model):
    name: AssetName
    spec: JsonObject
    new_version: bool = Field(True, description="False: create version 1 or 409 (assets that "
                                                "are not versioned, like compute targets)")
    tags: Tags = {}
    description: Text = ""
    state: JsonObject = {}


class AssetUpdate(Model):
    tags: Tags | None = Field(None, description="Merged into the version's tags")
    remove_tags: list[Key] = Field([], max_length=1000)
    description: Text | None = Field(None, description="Replaces it (absent: unchanged)")


class AssetState(Model):
    state: JsonObject
    merge: bool = True


def _kind_name(request: Any) -> str:
    return f"{request.params['kind']}/{request.params['name']}"


OPERATIONS = [
    Operation("listAssets", "GET", "/workspaces/{workspace_id}/assets/{kind}",
              "workspaces/{kind}s/read", "Assets of a kind (latest versions, or all)",
              "workspace", store="list_assets", query=AssetQuery, response=AssetList,
              shape=lambda r, _: {"assets": r}, resource="asset",
              resource_name=lambda r: r.params["kind"]),
    Operation("registerAsset", "POST", "/workspaces/{workspace_id}/assets/{kind}",
              "workspaces/{kind}s/write", "Register an asset (a new version, or version 1)",
              "workspace", store="register_asset", body=AssetRegister, body_kind="json",
              response=Asset, status=201, errors=(409,), max_body=4 * MiB, resource="asset",
              resource_name=lambda r: None if r.body is None
              else f"{r.params['kind']}/{r.body.name}"),
    Operation("getAsset", "GET", "/workspaces/{workspace_id}/assets/{kind}/{name}",
              "workspaces/{kind}s/read", "One version of an asset (default: the latest)",
              "workspace", store="get_asset", query=VersionQuery, response=Asset,
              resource="asset", resource_name=_kind_name),
    Operation("deleteAsset", "DELETE", "/workspaces/{workspace_id}/assets/{kind}/{name}",
              "workspaces/{kind}s/delete", "Delete one version, or every version", "workspace",
              store="delete_asset", query=VersionQuery, response_kind="empty", status=204,
              resource="asset", resource_name=_kind_name),
    Operation("updateAsset", "PATCH",
              "/workspaces/{workspace_id}/assets/{kind}/{name}/versions/{version}",
              "workspaces/{kind}s/write", "Tags and description of one version (the spec "
              "never changes)", "workspace", store="update_asset", body=AssetUpdate,
              body_kind="json", response=Asset, resource="asset", resource_name=_kind_name),
    Operation("updateAssetState", "PUT",
              "/workspaces/{workspace_id}/assets/{kind}/{name}/versions/{version}/state",
              "workspaces/{kind}s/write", "Replace or merge the mutable state of a version",
              "workspace", store="update_asset_state", body=AssetState, body_kind="json",
              response=Asset, max_body=4 * MiB, resource="asset", resource_name=_kind_name),
]
