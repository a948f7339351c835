"""Runs: models and operations. Runs are listed and created in their workspace and keyed by
their id alone everywhere else, as in the store."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints

from ..store.base import RUN_PAGE_MAX, RunQuery, RunRecord
from ..store.status import RUN_STATUSES
from .operation import Operation, body_field
from .types import (
    CommaList,
    ExperimentName,
    Id,
    InWorkspace,
    JsonObject,
    Key,
    Model,
    Pairs,
    Properties,
    QueryModel,
    ResponseModel,
    RunStatusName,
    ShortText,
    Tags,
    Text,
    Timestamp,
)

ORDER_BY_PATTERN = (r"^(created_time|start_time|end_time|status|number|display_name|run_type"
                    r"|target|(metric|tag|property):[^\x00]{1,255})$")
DEFAULT_LIMIT = 100
MAX_FILTER_LENGTH = 4096


class RunErrorDetail(ResponseModel):
    model_config = {"extra": "allow"}
    code: str | None = None
    message: str | None = None


class RunError(ResponseModel):
    model_config = {"extra": "allow"}
    error: RunErrorDetail | None = None


class Run(ResponseModel):
    record: ClassVar[type] = RunRecord
    id: Id
    workspace_id: Id
    experiment_id: Id
    experiment_name: str
    number: int
    status: RunStatusName
    parent_run_id: Id | None
    run_type: str | None
    display_name: str | None
    description: str | None
    target: str
    created_time: Timestamp
    start_time: Timestamp | None
    end_time: Timestamp | None
    properties: Properties
    tags: Tags
    error: RunError | None
    run_definition: dict[str, Any]
    snapshot_id: Id | None
    owner: str | None = Field(description="<host>:<pid>:<start time> of the process keeping "
                                          "the run alive")
    heartbeat_time: Timestamp | None


class RunPage(ResponseModel):
    runs: list[Run]
    total: int = Field(description="Runs matching the query, over all pages")


class RunSearch(QueryModel):
    """Filters, order and page of a run listing (``store.RunQuery``)."""

    experiment_name: ExperimentName | None = Field(None, alias="experiment")
    experiment_id: Id | None = None
    parent_run_id: Id | None = None
    include_children: bool = False
    recursive: bool = Field(False, description="With parent_run_id: every descendant")
    status: Annotated[Annotated[list[RunStatusName], Field(max_length=len(RUN_STATUSES))]
                      | None, CommaList] = None
    tags: Pairs = Field(None, alias="tag")
    properties: Pairs = Field(None, alias="property")
    run_type: ShortText | None = None
    text: ShortText | None = Field(None, description="Part of the display name or id")
    filter: Annotated[str, StringConstraints(max_length=MAX_FILTER_LENGTH)] | None = Field(
        None, description="A value query, e.g. metrics.accuracy > 0.9 and tags.team = 'vision' "
                          "(README, 'Value queries'; a bad one is a 400 saying where it fails)")
    order_by: Annotated[str, StringConstraints(pattern=ORDER_BY_PATTERN)] = "created_time"
    descending: bool = True
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=RUN_PAGE_MAX)
    offset: int = Field(0, ge=0, le=2**53)

    def to_query(self) -> RunQuery:
        return RunQuery(**{name: getattr(self, name) for name in type(self).model_fields})


class RunCreate(Model):
    experiment_id: Id
    run_id: Id
    status: RunStatusName = "NotStarted"
    parent_run_id: Id | None = None
    run_type: ShortText | None = None
    display_name: ShortText | None = None
    description: Text | None = None
    target: ShortText = "local"
    properties: Properties = {}
    tags: Tags = {}
    run_definition: JsonObject = {}
    owner: Annotated[str, StringConstraints(max_length=512)] | None = None


class RunEdit(Model):
    """What a person edits (the studio): tags, then removed tag keys, description, name."""

    tags: Tags | None = None
    remove_tags: list[Key] | None = None
    description: Text | None = None
    display_name: ShortText | None = None


class RunState(Model):
    """The run's lifecycle as its owner writes it (the SDK): status with timings, error,
    owner, heartbeat, snapshot, definition."""

    status: RunStatusName | None = None
    display_name: ShortText | None = None
    description: Text | None = None
    error: JsonObject | None = None
    snapshot_id: Id | None = None
    run_definition: JsonObject | None = None
    owner: Annotated[str, StringConstraints(max_length=512)] | None = None
    heartbeat: bool = False
    only_if_active: bool = Field(False, description="Leave a run that already ended as it is")


class PropertiesBody(Model):
    properties: Properties


class PropertiesAnswer(ResponseModel):
    properties: Properties


OPERATIONS = [
    Operation("searchRuns", "GET", "/workspaces/{workspace_id}/runs",
              "workspaces/experiments/runs/read", "Runs of a workspace: filtered, sorted, "
              "one page and the total", "workspace", store="search_runs", query=RunSearch,
              response=RunPage,
              call=lambda s, r: s.search_runs(r.params["workspace_id"], r.query.to_query()),
              widget="children",
              widget_args=lambda run: {"workspace_id": run.workspace_id,
                                       "parent_run_id": run.id}),
    Operation("createRun", "POST", "/workspaces/{workspace_id}/runs",
              "workspaces/experiments/runs/write", "Create a run in an experiment of the "
              "workspace", "workspace", store="create_run", body=RunCreate, body_kind="json",
              response=Run, status=201, errors=(409,), resource_name=body_field("run_id")),
    Operation("getRun", "GET", "/runs/{run_id}", "workspaces/experiments/runs/read",
              "A run", "run", store="get_run", query=InWorkspace, response=Run,
              call=lambda s, r: s.get_run(r.params["run_id"], r.query.workspace_id),
              widget="run"),
    Operation("editRun", "PATCH", "/runs/{run_id}", "workspaces/experiments/runs/write",
              "Edit a run's tags, description and display name (one atomic change)", "run",
              store="edit_run", query=InWorkspace, body=RunEdit, body_kind="json",
              response=Run),
    Operation("updateRun", "PATCH", "/runs/{run_id}/state", "workspaces/experiments/runs/write",
              "Write a run's lifecycle: status (with timings), error, owner, heartbeat, "
              "snapshot, definition", "run", store="update_run", query=InWorkspace,
              body=RunState, body_kind="json", response=Run),
    Operation("addRunProperties", "POST", "/runs/{run_id}/properties",
              "workspaces/experiments/runs/write", "Add properties (add-only: a changed "
              "value is 409)", "run", store="add_run_properties", query=InWorkspace,
              body=PropertiesBody, body_kind="json", response=PropertiesAnswer,
              shape=lambda r, _: {"properties": r}, errors=(409,)),
    Operation("deleteRun", "DELETE", "/runs/{run_id}", "workspaces/experiments/runs/delete",
              "Delete a run with its descendants, metrics and files", "run",
              store="delete_run", query=InWorkspace, response_kind="empty", status=204),
    Operation("cancelRun", "POST", "/runs/{run_id}/cancel",
              "workspaces/experiments/runs/cancel/action", "Cancel a run: a script run is "
              "asked to stop, any other active run is Canceled at once; an ended run is "
              "answered as it is", "run", query=InWorkspace, response=Run, widget="cancel"),
]
