"""Compute targets, environments and script-run submission: models and operations. These are
server services (``server/services.py``) over the SDK, not single store calls."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from .operation import Operation
from .runs import Run
from .types import ExperimentName, Model, QueryModel, ResponseModel, ShortText, Tags, Timestamp

MAX_ARGUMENTS = 256


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


class BuiltEnvironment(ResponseModel):
    hash: str = Field(description="The SHA-256 of the environment's spec")
    path: str
    interpreter: str | None
    spec: dict[str, Any]
    created_time: Timestamp | None
    last_used_time: Timestamp | None


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
    Operation("listBuiltEnvironments", "GET", "/environments/built",
              "workspaces/environments/read", "Environments built in this server's home",
              "server", response=BuiltEnvironmentList, resource="environment"),
    Operation("submitScriptRun", "POST", "/workspaces/{workspace_id}/scriptruns",
              "workspaces/experiments/runs/submit/action", "Submit a script run (as "
              "Experiment.submit(ScriptRunConfig))", "workspace", body=ScriptRunSubmit,
              body_kind="json", response=Run, status=201, resource="run"),
]
