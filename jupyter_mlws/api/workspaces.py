"""Workspaces: models and operations."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from ..store.base import WorkspaceRecord
from .operation import Operation, body_field
from .types import (
    Id,
    Model,
    QueryModel,
    ResponseModel,
    ShortText,
    Tags,
    Text,
    Timestamp,
    WorkspaceName,
)


class Workspace(ResponseModel):
    record: ClassVar[type] = WorkspaceRecord
    id: Id
    name: str
    subscription_id: str
    resource_group: str
    location: str
    storage_url: str
    friendly_name: str
    description: str
    tags: Tags
    created_time: Timestamp


class WorkspaceList(ResponseModel):
    workspaces: list[Workspace]


class ConfigQuery(QueryModel):
    path: Annotated[str, StringConstraints(max_length=4096)] = Field(
        "", description="A folder relative to the server's root directory (the search walks "
                        "up from it, staying inside the root)")


class ConfiguredWorkspace(ResponseModel):
    workspace: Workspace | None = Field(description="null: no config.json, or a workspace "
                                                    "this server does not have")
    config_path: str | None = Field(description="The config.json found, relative to the root")


class WorkspaceQuery(QueryModel):
    subscription_id: ShortText | None = None
    resource_group: ShortText | None = None


class WorkspaceCreate(Model):
    name: WorkspaceName
    subscription_id: ShortText | None = None  # default "local"
    resource_group: ShortText | None = None  # default "local"
    location: ShortText | None = None  # default "local"
    storage_url: Text | None = None  # default: a folder under the server's storage root
    friendly_name: ShortText = ""
    description: Text = ""
    tags: Tags = {}


class WorkspaceUpdate(Model):
    tags: Tags | None = None
    friendly_name: ShortText | None = None
    description: Text | None = None


def _create(store, request):  # type: ignore[no-untyped-def]
    body = request.body
    return store.create_workspace(
        body.name, body.subscription_id or "local", body.resource_group or "local",
        location=body.location or "local", storage_url=body.storage_url,
        friendly_name=body.friendly_name, description=body.description, tags=body.tags)


OPERATIONS = [
    Operation("listWorkspaces", "GET", "/workspaces", "workspaces/read",
              "Workspaces (those the caller may read)", "server", store="list_workspaces",
              query=WorkspaceQuery, response=WorkspaceList,
              shape=lambda r, _: {"workspaces": r}, item_workspace=lambda w: w.id),
    Operation("createWorkspace", "POST", "/workspaces", "workspaces/write",
              "Create a workspace", "server", store="create_workspace", body=WorkspaceCreate,
              body_kind="json", response=Workspace, status=201, call=_create, errors=(409,),
              resource_name=body_field("name")),
    Operation("getWorkspaceConfig", "GET", "/workspace-config", "workspaces/read",
              "The workspace a folder's config.json names (v1's search: .azureml/, "
              "aml_config/, the folder, walking up)", "server", query=ConfigQuery,
              response=ConfiguredWorkspace, resource="workspace"),
    Operation("getWorkspace", "GET", "/workspaces/{workspace_id}", "workspaces/read",
              "A workspace", "workspace", store="get_workspace_by_id", response=Workspace),
    Operation("updateWorkspace", "PATCH", "/workspaces/{workspace_id}", "workspaces/write",
              "Change a workspace's tags, friendly name or description", "workspace",
              store="update_workspace", body=WorkspaceUpdate, body_kind="json",
              response=Workspace),
    Operation("deleteWorkspace", "DELETE", "/workspaces/{workspace_id}", "workspaces/delete",
              "Delete a workspace with everything in it", "workspace",
              store="delete_workspace", response_kind="empty", status=204),
]
