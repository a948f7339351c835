"""The live channel (a WebSocket) and the API document itself: models and operations.

The client -> server messages are validated by these models like any request body; each
subscription is authorized with the action of the REST operation that reads the same data.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, RootModel, StringConstraints, model_validator

from .files import Artifact
from .operation import Operation
from .runs import Run
from .types import (
    ArtifactPath,
    ExperimentName,
    Id,
    MetricName,
    MetricValue,
    Model,
    ResponseModel,
)

MAX_NAMES = 1000  # metric names or log paths of one subscription
SubId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Cursor = Annotated[int, Field(ge=0, le=2**53)]

LIVE_DESCRIPTION = (
    "Upgrade to a WebSocket (`ws[s]://.../mlws/api/v1/live`). Authentication as for "
    "jupyter-server's own WebSockets: token (`Authorization: token ...` or `?token=`) or the "
    "login cookie, whose connections must come from an allowed Origin. Over the socket the "
    "client sends JSON `LiveClientMessage`s (subscribe to a workspace, an experiment or a run; "
    "unsubscribe) and receives JSON `LiveServerMessage`s: `run` on a status or field change or "
    "a new run, `metric` deltas (points with seq above the last sent), `files` (new or changed "
    "artifacts), `log` (new text of a watched log), `subscribed`, `unsubscribed` and `error`. "
    "Every subscription passes the same authorization point as the REST operations reading "
    "the same data. Metric values are encoded as everywhere (see MetricValue). Changes written "
    "by other processes arrive within about a second. A client that does not keep up is "
    "disconnected (close code 1008).")


class LiveSubscribe(Model):
    """Watch a workspace (new runs, run changes), an experiment (the same, in that experiment)
    or, with run_id, one run (its changes, metric deltas, files and the listed logs, starting
    with its current state)."""

    op: Literal["subscribe"]
    id: SubId
    workspace_id: Id
    experiment: ExperimentName | None = Field(None, description="An experiment name")
    run_id: Id | None = None
    include_children: bool = Field(False, description="Workspace/experiment: child runs too")
    metrics: list[MetricName] | None = Field(None, max_length=MAX_NAMES, description=(
        "Series to stream (default: every scalar series); needs run_id"))
    logs: list[ArtifactPath] | None = Field(None, max_length=MAX_NAMES,
                                            description="Log paths to stream; needs run_id")
    since: dict[MetricName, Cursor] | None = Field(None, max_length=MAX_NAMES, description=(
        "Per series, the last seq the client holds (default 0); needs run_id"))
    log_offsets: dict[ArtifactPath, Cursor] | None = Field(None, max_length=MAX_NAMES,
                                                           description="Per log, the byte "
                                                                       "offset to start at")

    @model_validator(mode="after")
    def _consistent(self) -> LiveSubscribe:
        if self.experiment and self.run_id:
            raise ValueError("give 'experiment' or 'run_id', not both")
        if (self.metrics or self.logs or self.since or self.log_offsets) and not self.run_id:
            raise ValueError("'metrics', 'logs', 'since' and 'log_offsets' need 'run_id'")
        return self


class LiveUnsubscribe(Model):
    op: Literal["unsubscribe"]
    id: SubId


class LiveClientMessage(RootModel[Annotated[LiveSubscribe | LiveUnsubscribe,
                                            Field(discriminator="op")]]):
    """A message from the client."""


class LiveRunMessage(ResponseModel):
    type: Literal["run"]
    sub: str = Field(description="The client's subscription id")
    run: Run


class LiveMetricMessage(ResponseModel):
    """New points of one series, oldest first; seq continues exactly where the previous
    message of the series ended."""

    type: Literal["metric"]
    sub: str
    run_id: Id
    name: str
    kind: str
    seq: list[int]
    step: list[float | int | None]
    time: list[float]
    value: list[MetricValue]


class LiveFilesMessage(ResponseModel):
    type: Literal["files"]
    sub: str
    run_id: Id
    artifacts: list[Artifact] = Field(description="New or changed (size) artifacts")


class LiveLogMessage(ResponseModel):
    type: Literal["log"]
    sub: str
    run_id: Id
    path: str
    offset: int = Field(description="Byte offset of data")
    next_offset: int = Field(description="Byte offset after data")
    data: str = Field(description="New text (UTF-8)")


class LiveAckMessage(ResponseModel):
    """subscribed: the current state was sent (run) or the baseline taken
    (workspace/experiment); unsubscribed: nothing more comes for sub."""

    type: Literal["subscribed", "unsubscribed"]
    sub: str


class LiveErrorMessage(ResponseModel):
    """A refused request (bad input, not found, not allowed) or a watched asset that
    disappeared; sub is null when the id was unreadable."""

    type: Literal["error"]
    sub: str | None
    message: str


class LiveServerMessage(RootModel[Annotated[
        LiveRunMessage | LiveMetricMessage | LiveFilesMessage | LiveLogMessage
        | LiveAckMessage | LiveErrorMessage, Field(discriminator="type")]]):
    """A message from the server."""


class OpenApiDocument(RootModel[dict[str, Any]]):
    """The OpenAPI 3.1 document of this API."""


OPERATIONS = [
    Operation("getOpenApi", "GET", "/openapi.json", "workspaces/read",
              "This document, with servers pointing at the answering server", "server",
              response=OpenApiDocument, resource="api"),
    Operation("liveChannel", "GET", "/live", "workspaces/experiments/runs/read",
              "Live updates (WebSocket)", "server", response_kind="websocket",
              description=LIVE_DESCRIPTION, resource="live",
              extra={"x-client-message": "LiveClientMessage",
                     "x-server-message": "LiveServerMessage"}),
]
