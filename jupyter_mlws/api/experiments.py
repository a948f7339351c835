"""Experiments: models and operations. An experiment is named within its workspace and keyed
by its id everywhere else, as in the store."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..store.base import ExperimentRecord
from .operation import Operation, body_field
from .types import (
    ExperimentName,
    Id,
    InWorkspace,
    Key,
    Model,
    Pairs,
    QueryModel,
    ResponseModel,
    ShortText,
    Tags,
    Timestamp,
)

VIEW_TYPES = ("ActiveOnly", "ArchivedOnly", "All")


class Experiment(ResponseModel):
    record: ClassVar[type] = ExperimentRecord
    id: Id
    workspace_id: Id
    name: str
    archived_time: Timestamp | None
    tags: Tags
    created_time: Timestamp
    run_count: int | None = Field(description="With ?with_run_counts=true: runs (children "
                                              "included) of the experiment")
    child_run_count: int | None = Field(description="With ?with_run_counts=true: of "
                                                    "run_count, the runs with a parent")


class ExperimentList(ResponseModel):
    experiments: list[Experiment]


class ExperimentQuery(QueryModel):
    view_type: Literal[VIEW_TYPES] = "ActiveOnly"  # type: ignore[valid-type]
    name: ShortText | None = None
    tags: Pairs = Field(None, alias="tag")
    with_run_counts: bool = False


class ExperimentCreate(Model):
    name: ExperimentName
    exist_ok: bool = Field(False, description="Answer the existing experiment instead of 409")


class ExperimentUpdate(Model):
    archived: bool | None = None
    set_tags: Tags | None = Field(None, alias="tags")
    remove_tags: list[Key] | None = None


OPERATIONS = [
    Operation("listExperiments", "GET", "/workspaces/{workspace_id}/experiments",
              "workspaces/experiments/read", "Experiments of a workspace", "workspace",
              store="list_experiments", query=ExperimentQuery, response=ExperimentList,
              shape=lambda r, _: {"experiments": r}),
    Operation("createExperiment", "POST", "/workspaces/{workspace_id}/experiments",
              "workspaces/experiments/write", "Create an experiment (atomic: 409 if the name "
              "is taken, unless exist_ok)", "workspace", store="create_experiment",
              body=ExperimentCreate, body_kind="json", response=Experiment, status=201,
              errors=(409,), resource_name=body_field("name")),
    Operation("getExperiment", "GET", "/workspaces/{workspace_id}/experiments/{experiment_name}",
              "workspaces/experiments/read", "An experiment by name", "workspace",
              store="get_experiment_by_name", response=Experiment),
    Operation("getExperimentById", "GET", "/experiments/{experiment_id}",
              "workspaces/experiments/read", "An experiment by id", "experiment",
              store="get_experiment_by_id", query=InWorkspace, response=Experiment),
    Operation("updateExperiment", "PATCH", "/experiments/{experiment_id}",
              "workspaces/experiments/write", "Archive, restore or tag an experiment",
              "experiment", store="update_experiment", query=InWorkspace,
              body=ExperimentUpdate, body_kind="json", response=Experiment),
    Operation("deleteExperiment", "DELETE", "/experiments/{experiment_id}",
              "workspaces/experiments/delete", "Delete an experiment with its runs and files "
              "(the name can be reused)", "experiment", store="delete_experiment",
              query=InWorkspace, response_kind="empty", status=204),
]
