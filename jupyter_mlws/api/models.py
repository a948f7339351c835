"""The model registry: versions with their aliases, lineage and files, the append-only
history, alias moves, edits and deletion. Server services (``server/models.py``) over the
SDK's ``Model``, which keeps the registry's rules (aliases, history events, a model in use is
not deleted) in one place; the SDK itself reaches the store through the asset rows."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .operation import Operation, Request
from .types import (
    AssetName,
    AssetVersion,
    Id,
    Key,
    Model,
    Pairs,
    QueryModel,
    ResponseModel,
    ShortText,
    Tags,
    Text,
    Timestamp,
)


class ModelVersion(ResponseModel):
    id: str = Field(description="'<name>:<version>'")
    name: str
    version: int
    workspace_id: str
    created_time: Timestamp
    updated_time: Timestamp
    created_by: str
    description: str
    tags: dict[str, str]
    properties: dict[str, str]
    framework: str
    framework_version: str | None
    experiment_name: str | None
    run_id: str | None = Field(description="The run it was registered from (lineage)")
    datasets: list[dict[str, Any]] = Field(description="Dataset lineage: {scenario, id, ...}")
    sample_input_dataset: dict[str, Any] | None
    sample_output_dataset: dict[str, Any] | None
    aliases: list[str] = Field(description="The aliases pointing at this version")
    root: str = Field(description="The registered file's or folder's name")
    snapshot_id: str = Field(description="The files, as a snapshot (getSnapshotFile)")
    files: dict[str, int | None] = Field(description="{path: size}; paths start with root")
    used_by: list[str] = Field(description="Services deploying this version")


class ModelList(ResponseModel):
    models: list[ModelVersion]


class ModelEvent(ResponseModel):
    action: str = Field(description="register | alias | alias_removed | update | delete")
    model: str
    sequence: int
    actor: str
    time: Timestamp
    version: int | None = None
    alias: str | None = None
    previous_version: int | None = None
    run_id: str | None = None
    changed: list[str] | None = None


class ModelHistory(ResponseModel):
    events: list[ModelEvent]


class ModelQuery(QueryModel):
    name: AssetName | None = None
    run_id: Id | None = Field(None, description="Versions registered from this run")
    latest: bool = Field(False, description="Only the latest version of each name")
    framework: ShortText | None = None
    tags: Pairs = Field(None, alias="tag")
    properties: Pairs = Field(None, alias="property")


class ModelVersionQuery(QueryModel):
    version: AssetVersion | None = Field(None, description="Default: the latest")
    alias: Key | None = Field(None, description="The version this alias points at")


class ModelEdit(Model):
    tags: Tags | None = Field(None, description="Tags to set (a null value removes the tag)")
    remove_tags: list[Key] | None = None
    description: Text | None = None
    properties: dict[Key, str] | None = Field(None, description="Properties to add (add-only)")


class AliasTarget(Model):
    version: AssetVersion


def _model(request: Request) -> str:
    return str(request.params["model_name"])


OPERATIONS = [
    Operation("listModels", "GET", "/workspaces/{workspace_id}/models",
              "workspaces/models/read", "Registered model versions, newest first per name, "
              "with their aliases (v1's Model.list filters)", "workspace", query=ModelQuery,
              response=ModelList, resource="model", resource_name=lambda r: None),
    Operation("getModel", "GET", "/workspaces/{workspace_id}/models/{model_name}",
              "workspaces/models/read", "One version of a model (default: the latest; or "
              "the one an alias points at)", "workspace", query=ModelVersionQuery,
              response=ModelVersion, resource="model", resource_name=_model),
    Operation("updateModel", "PATCH",
              "/workspaces/{workspace_id}/models/{model_name}/versions/{version}",
              "workspaces/models/write", "Edit a version's tags and description, add "
              "properties (recorded in the history)", "workspace", body=ModelEdit,
              body_kind="json", response=ModelVersion, resource="model",
              resource_name=_model),
    Operation("deleteModel", "DELETE",
              "/workspaces/{workspace_id}/models/{model_name}/versions/{version}",
              "workspaces/models/delete", "Delete a version (409 while a service uses it; "
              "its aliases are removed)", "workspace", response_kind="empty", status=204,
              errors=(409,), resource="model", resource_name=_model),
    Operation("setModelAlias", "PUT",
              "/workspaces/{workspace_id}/models/{model_name}/aliases/{alias}",
              "workspaces/models/write", "Point an alias at a version (moving it)",
              "workspace", body=AliasTarget, body_kind="json", response=ModelVersion,
              resource="model", resource_name=_model),
    Operation("removeModelAlias", "DELETE",
              "/workspaces/{workspace_id}/models/{model_name}/aliases/{alias}",
              "workspaces/models/write", "Remove an alias", "workspace",
              response_kind="empty", status=204, resource="model", resource_name=_model),
    Operation("getModelHistory", "GET",
              "/workspaces/{workspace_id}/models/{model_name}/history",
              "workspaces/models/read", "Who registered, edited, moved an alias of or "
              "deleted a version of the model, and when (oldest first)", "workspace",
              response=ModelHistory, resource="model", resource_name=_model),
]
