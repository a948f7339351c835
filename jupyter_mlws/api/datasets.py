"""Datasets for the studio: models and operations. The listing, one dataset with its versions,
a version's definition, a paged preview of its first rows (or files), its stored profile
(computed on POST), the runs that read or wrote a version, a run's datasets, and registering
files selected in the file browser.

The SDK registers and reads dataset versions through the asset rows (kind ``dataset``); these
rows are server services (``server/datasets.py``) over the same records. The server previews
and profiles only datastore files and files below its root folder: a URL source would make it
read with its own access on a client's behalf. The resource a policy sees is ``dataset`` named
by the dataset (None for the listing)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from .operation import Operation, Request, body_field
from .runs import Run
from .types import (
    DatasetName,
    InWorkspace,
    Model,
    QueryModel,
    ResponseModel,
    Tags,
    Text,
    Timestamp,
)

PREVIEW_MAX = 500
MAX_SELECTED_PATHS = 10_000
DatasetType = Literal["tabular", "file"]
TabularFormat = Literal["delimited", "parquet", "json_lines"]
SelectedPath = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class DatasetSummary(ResponseModel):
    name: str
    version: int
    id: str | None = Field(description="The version's id (Dataset.get_by_id)")
    type: DatasetType | None
    description: str
    tags: Tags
    created_time: Timestamp
    files: int | None = Field(description="Files in the version's manifest")
    bytes: int | None = Field(description="Their total size")
    has_profile: bool


class DatasetVersion(DatasetSummary):
    definition: dict[str, Any] | None = Field(description="The recipe: sources, format, parse "
                                                          "options, transforms")
    columns: list[list[str]] | None = Field(description="[name, type] of a tabular version")
    data_changed_time: Timestamp | None


class Dataset(DatasetVersion):
    """The latest version, and every version (newest first)."""

    versions: list[DatasetSummary]


class DatasetList(ResponseModel):
    datasets: list[DatasetSummary]


class DatasetFromFiles(Model):
    name: DatasetName
    type: DatasetType = "file"
    paths: list[SelectedPath] = Field(min_length=1, max_length=MAX_SELECTED_PATHS,
                                      description="Files or folders relative to the server's "
                                                  "root folder")
    format: TabularFormat = Field("delimited", description="Of a tabular dataset's files")
    description: Text = ""
    create_new_version: bool = True


class PreviewQuery(QueryModel):
    offset: int = Field(0, ge=0, le=2**53)
    limit: int = Field(50, ge=1, le=PREVIEW_MAX)


class PreviewFile(ResponseModel):
    path: str
    size: int
    mtime: Timestamp | None


class DatasetPreview(ResponseModel):
    """Rows of a tabular version (``columns``: [name, type]; ``rows``: values in that order),
    or files of a file version (``total``: how many)."""

    kind: DatasetType
    offset: int
    has_more: bool | None = None
    columns: list[list[str]] | None = None
    rows: list[list[Any]] | None = None
    total: int | None = None
    files: list[PreviewFile] | None = None


class Histogram(ResponseModel):
    edges: list[float]
    counts: list[int]


class ColumnProfile(ResponseModel):
    type: str
    count: int
    missing: int
    min: Any
    max: Any
    mean: float | None
    distinct: int | None = Field(description="Exact up to 1024 values, an estimate beyond")
    histogram: Histogram | None


class DatasetProfile(ResponseModel):
    """One profile per version, computed once and stored."""

    model_config = ConfigDict(extra="allow")
    kind: DatasetType
    profile_version: int
    computed_time: Timestamp
    row_count: int | None = None
    columns: dict[str, ColumnProfile] | None = None
    file_count: int | None = None
    total_bytes: int | None = None
    extensions: dict[str, int] | None = None


class DatasetRuns(ResponseModel):
    inputs: list[Run] = Field(description="Runs that read the version")
    outputs: list[Run] = Field(description="Runs whose output registered it")


class DatasetUse(ResponseModel):
    name: str | None
    mode: str = Field(description="direct | mount | download")


class LineageItem(ResponseModel):
    """A dataset version a run read or wrote (from the run's lineage properties)."""

    model_config = ConfigDict(extra="allow")
    name: str | None = Field(description="None for a saved (unregistered) dataset")
    version: int | None
    saved: bool
    id: str | None = None
    inputs: list[DatasetUse] | None = None
    output: str | None = None


class RunDatasets(ResponseModel):
    inputs: list[LineageItem]
    outputs: list[LineageItem]


def _dataset(request: Request) -> str:
    return str(request.params["dataset_name"])


_BASE = "/workspaces/{workspace_id}/datasets"
_ONE = _BASE + "/{dataset_name}"
_VERSION = _ONE + "/versions/{version}"
_READ, _WRITE = "workspaces/datasets/read", "workspaces/datasets/write"

OPERATIONS = [
    Operation("listDatasets", "GET", _BASE, _READ, "Registered datasets (latest versions)",
              "workspace", response=DatasetList, resource="dataset",
              resource_name=lambda r: None),
    Operation("registerDatasetFromFiles", "POST", _BASE, _WRITE, "Register files or folders "
              "below the server's root folder (a file-browser selection) as a dataset version",
              "workspace", body=DatasetFromFiles, body_kind="json", response=DatasetVersion,
              status=201, errors=(409,), max_body=4 * 1024 * 1024, resource="dataset",
              resource_name=body_field("name")),
    Operation("getDataset", "GET", _ONE, _READ, "A dataset: its latest version and every "
              "version", "workspace", response=Dataset, resource="dataset",
              resource_name=_dataset),
    Operation("getDatasetVersion", "GET", _VERSION, _READ, "One version of a dataset",
              "workspace", response=DatasetVersion, resource="dataset",
              resource_name=_dataset),
    Operation("previewDatasetVersion", "GET", _VERSION + "/preview", _READ, "A page of a "
              "version's rows (tabular) or files (file datasets)", "workspace",
              query=PreviewQuery, response=DatasetPreview, resource="dataset",
              resource_name=_dataset),
    Operation("getDatasetProfile", "GET", _VERSION + "/profile", _READ, "The stored profile "
              "of a version (404 until it was computed)", "workspace",
              response=DatasetProfile, resource="dataset", resource_name=_dataset),
    Operation("computeDatasetProfile", "POST", _VERSION + "/profile", _WRITE, "Compute and "
              "store a version's profile (the stored one when it exists)", "workspace",
              response=DatasetProfile, resource="dataset", resource_name=_dataset),
    Operation("listDatasetRuns", "GET", _VERSION + "/runs", _READ, "The runs that read or "
              "wrote a version (also needs read on the workspace's runs)", "workspace",
              response=DatasetRuns, resource="dataset", resource_name=_dataset),
    Operation("getRunDatasets", "GET", "/runs/{run_id}/datasets",
              "workspaces/experiments/runs/read", "The dataset versions a run read and wrote "
              "(its lineage)", "run", query=InWorkspace, response=RunDatasets),
]


__all__ = ["OPERATIONS", "PREVIEW_MAX", "ColumnProfile", "Dataset", "DatasetFromFiles",
           "DatasetList", "DatasetPreview", "DatasetProfile", "DatasetRuns", "DatasetSummary",
           "DatasetVersion", "LineageItem", "RunDatasets"]
