"""Compute targets, environments and script-run submission: models and operations. These are
server services (``server/services.py``) over the SDK, not single store calls."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from .operation import Operation, body_field
from .runs import Run
from .types import ExperimentName, Model, QueryModel, ResponseModel, ShortText, Tags, Timestamp

MAX_ARGUMENTS = 256
MAX_NODES = 64
COMPUTE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{1,23}$"


class ComputeTarget(ResponseModel):
    name: str
    type: str
    provisioning_state: str
    status: dict[str, Any] = Field(description="Type-specific: node counts, state, errors")
    spec: dict[str, Any]
    created_time: Timestamp
    description: str
    tags: Tags


class ComputeTargetList(ResponseModel):
    computes: list[ComputeTarget]


class ComputeNode(ResponseModel):
    """A cluster's node as v1's ``AmlCompute.list_nodes()`` names its fields."""

    model_config = {"extra": "allow"}
    nodeId: str
    port: int | None = None
    privateIpAddress: str | None = None
    publicIpAddress: str | None = None
    nodeState: str | None = None
    runIds: list[str] = []


class ComputeTargetDetails(ComputeTarget):
    nodes: list[ComputeNode] = Field(description="A cluster's nodes (others: none)")


class ComputeCreate(Model):
    """A cluster (AmlCompute.provisioning_configuration) or an instance
    (ComputeInstance.provisioning_configuration)."""

    name: Annotated[str, StringConstraints(pattern=COMPUTE_NAME_PATTERN)] = Field(
        description="2-24 letters, digits or '-', starting with a letter (v1's rule)")
    type: Literal["AmlCompute", "ComputeInstance"] = "AmlCompute"
    vm_size: Annotated[str, StringConstraints(max_length=64)] = ""
    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    min_nodes: Annotated[int, Field(ge=0, le=MAX_NODES)] = 0
    max_nodes: Annotated[int, Field(ge=0, le=MAX_NODES)] = 4
    idle_seconds_before_scaledown: Annotated[int, Field(ge=0, le=7 * 86400)] = 1800

    @model_validator(mode="after")
    def _nodes(self) -> ComputeCreate:
        if self.min_nodes > self.max_nodes:
            raise ValueError("'min_nodes' must not exceed 'max_nodes'")
        return self


class EnvironmentAsset(ResponseModel):
    name: str
    version: int
    description: str
    tags: Tags
    labels: list[str]
    created_time: Timestamp
    user_managed_dependencies: bool
    definition: dict[str, Any]


class EnvironmentAssetList(ResponseModel):
    environments: list[EnvironmentAsset]


class EnvironmentQuery(QueryModel):
    all_versions: bool = False


class EnvironmentVersionQuery(QueryModel):
    version: Annotated[int, Field(ge=1, le=2**31)] | None = Field(None, description="Default: "
                                                                                    "the latest")


class BuiltEntry(ResponseModel):
    model_config = {"extra": "allow"}
    hash: str
    path: str | None = None
    interpreter: str | None = None
    created_time: Timestamp | None = None
    last_used_time: Timestamp | None = None
    build_seconds: float | None = None
    has_build_log: bool = False


class EnvironmentBuild(ResponseModel):
    spec: dict[str, Any] | None = Field(description="The spec this server builds it with")
    hash: str | None = Field(description="Its cache key (uv specs)")
    built: BuiltEntry | None = Field(description="The built environment; null until a run "
                                                 "built it")
    error: str | None = Field(description="Why it cannot be built here")


class EnvironmentDetails(EnvironmentAsset):
    build: EnvironmentBuild


class BuildLog(ResponseModel):
    hash: str
    log: str = Field(description="The build's output (its last MiB)")


class BuiltEnvironment(ResponseModel):
    hash: str = Field(description="The SHA-256 of the environment's spec")
    path: str
    interpreter: str | None
    spec: dict[str, Any]
    created_time: Timestamp | None
    last_used_time: Timestamp | None
    has_build_log: bool


class BuiltEnvironmentList(ResponseModel):
    environments: list[BuiltEnvironment]


class EnvironmentRef(Model):
    name: ShortText
    version: ShortText | int | None = None


class ScriptRunSubmit(Model):
    experiment: ExperimentName
    source_directory: Annotated[str, StringConstraints(max_length=4096)] = Field(
        description="A folder relative to the server's root directory")
    script: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    arguments: list[str | int | float] = Field([], max_length=MAX_ARGUMENTS)
    compute_target: ShortText = "local"
    environment: EnvironmentRef | None = Field(None, description="A registered environment")
    tags: dict[str, str] | None = None


OPERATIONS = [
    Operation("listComputeTargets", "GET", "/workspaces/{workspace_id}/computes",
              "workspaces/computes/read", "Compute targets with their status", "workspace",
              response=ComputeTargetList, resource="compute"),
    Operation("createComputeTarget", "POST", "/workspaces/{workspace_id}/computes",
              "workspaces/computes/write", "Create a compute cluster or instance (as "
              "ComputeTarget.create)", "workspace", body=ComputeCreate, body_kind="json",
              response=ComputeTarget, status=201, errors=(409,), resource="compute",
              resource_name=body_field("name")),
    Operation("getComputeTarget", "GET", "/workspaces/{workspace_id}/computes/{compute_name}",
              "workspaces/computes/read", "A compute target with its status and nodes",
              "workspace", response=ComputeTargetDetails, resource="compute"),
    Operation("deleteComputeTarget", "DELETE",
              "/workspaces/{workspace_id}/computes/{compute_name}",
              "workspaces/computes/delete", "Delete a compute target (a cluster's daemon and "
              "nodes stop)", "workspace", response_kind="empty", status=204,
              resource="compute"),
    Operation("stopComputeTarget", "POST",
              "/workspaces/{workspace_id}/computes/{compute_name}/stop",
              "workspaces/computes/stop/action", "Stop a compute cluster's daemon and its nodes "
              "(scaled to zero: the next submitted run starts it again; queued runs fail with "
              "ClusterStopped) or a compute instance", "workspace", response=ComputeTarget,
              resource="compute"),
    Operation("listEnvironments", "GET", "/workspaces/{workspace_id}/environments",
              "workspaces/environments/read", "Registered environments (latest versions, or "
              "all)", "workspace", query=EnvironmentQuery, response=EnvironmentAssetList,
              resource="environment"),
    Operation("getEnvironment", "GET", "/workspaces/{workspace_id}/environments/{name}",
              "workspaces/environments/read", "A registered environment version with how "
              "this server builds it and what it built", "workspace",
              query=EnvironmentVersionQuery, response=EnvironmentDetails,
              resource="environment"),
    Operation("getBuildLog", "GET", "/environments/built/{env_hash}/log",
              "workspaces/environments/read", "The build log of an environment built in "
              "this server's home", "server", response=BuildLog, resource="environment"),
    Operation("listBuiltEnvironments", "GET", "/environments/built",
              "workspaces/environments/read", "Environments built in this server's home",
              "server", response=BuiltEnvironmentList, resource="environment"),
    Operation("submitScriptRun", "POST", "/workspaces/{workspace_id}/scriptruns",
              "workspaces/experiments/runs/submit/action", "Submit a script run (as "
              "Experiment.submit(ScriptRunConfig))", "workspace", body=ScriptRunSubmit,
              body_kind="json", response=Run, status=201, resource="run"),
]
