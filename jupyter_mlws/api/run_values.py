"""Many runs at once: the names their values have (column choosers) and chosen values as
columns (analysis views over 10,000 runs: parallel coordinates, scatter, CSV). The runs are
those a run search matches (``runs.RunSearch``, value queries included)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints

from ..store.base import KeyCount as KeyCountRecord
from ..store.base import RunKeys as RunKeysRecord
from ..store.base import RunQuery
from ..store.base import RunValues as RunValuesRecord
from ..store.codec import encode_values
from .operation import Operation
from .runs import RunSearch
from .types import REPEATED, Id, ResponseModel

VALUES_LIMIT = 100_000  # runs per values read (10,000 runs x 20 columns is ~4 MB of JSON)
MAX_COLUMNS = 100  # keeps the URL of a values read well under the server's header limit
CHILD_VALUES_LIMIT = 10_000  # a widget's trials read at once (their values cross the comm)
ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class KeyCount(ResponseModel):
    record: ClassVar[type] = KeyCountRecord
    name: str
    runs: int = Field(description="How many of the runs have it")
    kind: str | None = Field(description="Metrics: the metric kind (scalar, list, ...)")


class RunKeys(ResponseModel):
    record: ClassVar[type] = RunKeysRecord
    metrics: list[KeyCount]
    tags: list[KeyCount]
    properties: list[KeyCount]
    parameters: list[KeyCount] = Field(description="Script arguments (--name value) of the "
                                                   "runs' definitions")
    attributes: list[str] = Field(description="Run attributes a column may name "
                                              "(attributes.<name>)")
    runs: int = Field(description="Runs looked at")


class RunValues(ResponseModel):
    record: ClassVar[type] = RunValuesRecord
    ids: list[Id]
    columns: dict[str, list[Any]] = Field(
        description="columns[name][i] belongs to run ids[i] (null: the run has no such value); "
                    "metric values as the codec writes them (non-finite ones as strings)")
    total: int = Field(description="Runs matching the query (ids may be fewer: its limit)")
    escaped: bool = Field(description="Whether string metric values spelling NaN/Infinity "
                                      "are wrapped in lists (see MetricValue)")


class RunValuesQuery(RunSearch):
    """A run search (order and page included) and the columns to read."""

    columns: Annotated[list[ColumnName], REPEATED] = Field(
        [], alias="column", max_length=MAX_COLUMNS,
        description="run_columns names: metrics.<name>, tags.<key>, properties.<key>, "
                    "parameters.<name>, attributes.<name>; <namespace>.* for all of one")
    limit: int = Field(VALUES_LIMIT, ge=1, le=VALUES_LIMIT)

    def to_query(self) -> RunQuery:
        return RunQuery(**{name: getattr(self, name) for name in RunSearch.model_fields})


def _values_body(values: RunValuesRecord, _: Any) -> dict[str, Any]:
    """Metric columns encoded by the codec (non-finite floats as strings, escaped when a
    string spells one); the other columns are text, numbers and None already."""
    columns: dict[str, list[Any]] = {}
    escaped = False
    for key, column in values.columns.items():
        if key.startswith("metrics."):
            column, escaped_here = encode_values(column)
            escaped = escaped or escaped_here
        columns[key] = column
    return {"ids": values.ids, "columns": columns, "total": values.total, "escaped": escaped}


def _children(run: Any) -> dict[str, Any]:
    return {"workspace_id": run.workspace_id, "parent_run_id": run.id}


OPERATIONS = [
    Operation("listRunKeys", "GET", "/workspaces/{workspace_id}/run-keys",
              "workspaces/experiments/runs/read", "The metric, tag, property and parameter "
              "names of the runs a search matches, each with how many runs have it",
              "workspace", store="list_run_keys", query=RunSearch, response=RunKeys,
              call=lambda s, r: s.list_run_keys(r.params["workspace_id"], r.query.to_query()),
              resource="run", tag="runs"),
    Operation("getRunValues", "GET", "/workspaces/{workspace_id}/run-values",
              "workspaces/experiments/runs/read", "Chosen values of the runs a search matches "
              "(up to 100,000), as columns", "workspace", store="get_run_values",
              query=RunValuesQuery, response=RunValues,
              call=lambda s, r: s.get_run_values(r.params["workspace_id"], r.query.to_query(),
                                                 r.query.columns),
              shape=_values_body,
              resource="run", tag="runs", widget="child_values",
              # A sweep's trials, in their order.
              widget_args=lambda run: {**_children(run), "order_by": "number",
                                       "descending": False, "limit": CHILD_VALUES_LIMIT}),
]

__all__ = ["MAX_COLUMNS", "OPERATIONS", "VALUES_LIMIT", "RunKeys", "RunValues"]
