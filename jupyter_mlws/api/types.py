"""Field types of the API models, with their constraints, and the path parameters of every
route keyed by the ids the store uses.

Each constraint is stated once here; pydantic enforces it on requests and the OpenAPI
document (and through it the TypeScript types) describes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from typing_extensions import TypeAliasType

from ..monitoring import DESIGNATION_PATTERN
from ..store.base import METRIC_KINDS, InvalidInputError
from ..store.data.locations import normalize_data_path
from ..store.data.registry import DATASET_NAME_RE, DATASTORE_NAME_RE
from ..store.paths import normalize_artifact_path, normalize_prefix
from ..store.status import RUN_STATUSES

# Ids the store hands out (uuid hex, "<experiment>_<seconds>_<hex>") and names users choose:
# letters, digits, "_", "-", "." and no leading dot, so a path parameter can never climb.
ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$"
# v1's rules: workspaces ^[a-zA-Z0-9][\w\-]{2,32}$, experiments ^[a-zA-Z0-9][\w\-]{0,254}$.
WORKSPACE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{2,32}$"
EXPERIMENT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,254}$"
METRIC_NAME_MAX = 255
ASSET_KIND_PATTERN = r"^[a-z][a-z0-9_\-]{0,63}$"
ASSET_NAME_MAX = 255
MODEL_ALIAS_PATTERN = r"^[a-z][a-z0-9_\-]{0,63}$"  # core/model_history.py's rule
SHA256_PATTERN = r"^[0-9a-f]{64}$"
SECRET_NAME_PATTERN = r"^[0-9A-Za-z-]{1,127}$"  # Azure Key Vault's rule
TEXT_MAX = 4096  # descriptions and other free text
MAX_JSON_DEPTH = 32  # nesting of free-form JSON objects (run definitions, asset specs)


def _path(value: str) -> str:
    try:
        return normalize_artifact_path(value)
    except InvalidInputError as exc:
        raise ValueError(str(exc)) from None


def _prefix(value: str | None) -> str | None:
    try:
        return normalize_prefix(value)
    except InvalidInputError as exc:
        raise ValueError(str(exc)) from None


def _data_path(value: str) -> str:
    try:
        return normalize_data_path(value)
    except InvalidInputError as exc:
        raise ValueError(str(exc)) from None


def _data_glob(value: str) -> str:
    try:
        return normalize_data_path(value, "Glob")
    except InvalidInputError as exc:
        raise ValueError(str(exc)) from None


def _datastore_name(value: str) -> str:
    if not DATASTORE_NAME_RE.match(value):
        raise ValueError("Invalid datastore name: 1 to 255 letters, digits and '_' "
                         "(case-insensitive)")
    return value


def _dataset_name(value: str) -> str:
    if not DATASET_NAME_RE.match(value):
        raise ValueError("Invalid dataset name: 1 to 200 characters, a letter or digit first, "
                         "then letters, digits, '_', '-' and '.'")
    return value


def _metric_name(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a metric name must not contain NUL characters")
    return value


def _asset_name(value: str) -> str:
    if "/" in value or value in (".", "..") or any(ord(c) < 32 for c in value):
        raise ValueError("an asset name has no '/' or control characters and is not '.' or '..'")
    return value


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply ``value`` nests (a scalar is 0); stops counting past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else (
            item if isinstance(item, list) else None)
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return deepest


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON objects may nest at most {MAX_JSON_DEPTH} levels")
    return value


MAX_FILTERS = 10  # repeated key:value filters of one query parameter


class Repeated:
    """Metadata: the query parameter may be given several times (``tag=a:1&tag=b``)."""


REPEATED = Repeated()


def _pairs(values: Any) -> dict[str, str | None]:
    """Repeated ``key:value`` (or ``key`` for "present with any value") as a dict."""
    if isinstance(values, dict):
        return values
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or len(values) > MAX_FILTERS:
        raise ValueError(f"at most {MAX_FILTERS} key:value filters")
    pairs: dict[str, str | None] = {}
    for raw in values:
        if not isinstance(raw, str) or len(raw) > 256 or not raw.partition(":")[0]:
            raise ValueError("filters look like key:value or key")
        key, sep, value = raw.partition(":")
        pairs[key] = value if sep else None
    return pairs


def _comma_list(values: Any) -> Any:
    """``status=Completed,Failed&status=Running`` as one list."""
    if isinstance(values, str):
        values = [values]
    if isinstance(values, list) and all(isinstance(v, str) for v in values):
        return [part for v in values for part in v.split(",") if part]
    return values


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
WorkspaceName = Annotated[str, StringConstraints(pattern=WORKSPACE_NAME_PATTERN)]
ExperimentName = Annotated[str, StringConstraints(pattern=EXPERIMENT_NAME_PATTERN)]
MetricName = Annotated[str, StringConstraints(min_length=1, max_length=METRIC_NAME_MAX),
                       AfterValidator(_metric_name)]
ArtifactPath = Annotated[str, StringConstraints(min_length=1, max_length=1024),
                         AfterValidator(_path)]
ArtifactPrefix = Annotated[str | None, AfterValidator(_prefix)]
Sha256 = Annotated[str, StringConstraints(pattern=SHA256_PATTERN)]
AssetKind = Annotated[str, StringConstraints(pattern=ASSET_KIND_PATTERN)]
AssetName = Annotated[str, StringConstraints(min_length=1, max_length=ASSET_NAME_MAX),
                      AfterValidator(_asset_name)]
AssetVersion = Annotated[int, Field(ge=1, le=2**31)]
# v1's datastore names (case-insensitive) and dataset names (store/data/registry.py).
DatastoreName = Annotated[str, StringConstraints(min_length=1, max_length=255),
                          AfterValidator(_datastore_name)]
DatasetName = Annotated[str, StringConstraints(min_length=1, max_length=200),
                        AfterValidator(_dataset_name)]
# A datastore-relative path ("" or "/" is the root; '..', '.', '//', '\\', NUL refused).
DataPath = Annotated[str, StringConstraints(max_length=1024), AfterValidator(_data_path)]
DataGlob = Annotated[str, StringConstraints(min_length=1, max_length=1024),
                     AfterValidator(_data_glob)]
SecretName = Annotated[str, StringConstraints(pattern=SECRET_NAME_PATTERN)]
ShortText = Annotated[str, StringConstraints(max_length=255)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=255)]
# Named types: the OpenAPI document (and the TypeScript types) refer to them by name.
Tags = TypeAliasType("Tags", dict[Key, str | None])
Properties = dict[Key, str]
JsonObject = Annotated[dict[str, Any], AfterValidator(_shallow)]
RunStatusName = TypeAliasType("RunStatus", Literal[RUN_STATUSES])  # type: ignore[valid-type]
MetricKind = TypeAliasType("MetricKind", Literal[METRIC_KINDS])  # type: ignore[valid-type]
Timestamp = Annotated[float, Field(description="seconds since the epoch, UTC")]
Pairs = Annotated[dict[str, str | None] | None, BeforeValidator(_pairs), REPEATED,
                  WithJsonSchema({"type": "array", "items": {"type": "string", "maxLength": 256},
                                  "maxItems": MAX_FILTERS,
                                  "description": "key:value, or key for any value"})]
CommaList = BeforeValidator(_comma_list)
# A metric value as JSON carries it (store/codec.py): non-finite floats are the strings
# "NaN"/"Infinity"/"-Infinity"; a string value spelling one of those is wrapped in a
# one-element list; table rows are objects of such scalars.
MetricScalar = TypeAliasType("MetricScalar", float | int | bool | str | None)
MetricValue = TypeAliasType("MetricValue", Annotated[
    MetricScalar | list[str] | dict[str, MetricScalar | list[str]],
    Field(description='A metric value: numbers (non-finite ones as "NaN", "Infinity", '
                      '"-Infinity"), booleans, strings (a string spelling one of those three '
                      'as a one-element list), null, or a table row object')])


class Model(BaseModel):
    """Base of every request body model: strict types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True)


class QueryModel(BaseModel):
    """Base of query-string models: values arrive as text and are converted (lax). Unknown
    parameters are ignored: jupyter-server's own (``token``, ``_xsrf``) ride along."""

    model_config = ConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True)


class ResponseModel(BaseModel):
    """Base of response models: they document bodies the server builds from store records."""

    model_config = ConfigDict(extra="forbid")


class InWorkspace(QueryModel):
    """Query of an operation on a run, experiment or snapshot named by id alone: the caller
    may say which workspace it expects it in (a 404 otherwise). Checked by the authorization
    point, not passed to the store."""

    workspace_id: Id | None = None

    scope_fields: ClassVar[frozenset[str]] = frozenset({"workspace_id"})


@dataclass(frozen=True)
class PathParam:
    """A path parameter: its type, and whether it spans '/' (artifact paths, metric names)."""

    annotation: Any
    description: str
    spans_slashes: bool = False


# Every path parameter of the API, by the name the store's methods give the key.
PATH_PARAMS: dict[str, PathParam] = {
    "workspace_id": PathParam(Id, "A workspace id."),
    "experiment_id": PathParam(Id, "An experiment id."),
    "experiment_name": PathParam(ExperimentName, "An experiment name."),
    "run_id": PathParam(Id, "A run id."),
    "metric_name": PathParam(MetricName, "A metric name ('/' allowed, or %2F).", True),
    "path": PathParam(ArtifactPath, "A '/'-separated file path (of an artifact, a snapshot or "
                                    "a datastore).", True),
    "snapshot_id": PathParam(Id, "A snapshot id."),
    "sha256": PathParam(Sha256, "A blob's lowercase hex SHA-256."),
    "compute_name": PathParam(Id, "A compute target's name."),
    "kind": PathParam(AssetKind, "An asset kind (environment, compute, model, ...)."),
    "name": PathParam(AssetName, "An asset name."),
    "version": PathParam(AssetVersion, "An asset version (1, 2, ...)."),
    "env_hash": PathParam(Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")],
                          "A built environment's hash (8-64 lowercase hex digits)."),
    "model_name": PathParam(AssetName, "A registered model's name."),
    "alias": PathParam(Annotated[str, StringConstraints(pattern=MODEL_ALIAS_PATTERN)],
                       "A model alias (production, staging, ...)."),
    "service_name": PathParam(Id, "A deployed service's name."),
    "designation": PathParam(Annotated[str, StringConstraints(pattern=DESIGNATION_PATTERN)],
                             "What a service collects: inputs, predictions, requests, or a "
                             "ModelDataCollector's designation."),
    "datastore_name": PathParam(DatastoreName, "A datastore name (case-insensitive)."),
    "dataset_name": PathParam(DatasetName, "A dataset name."),
    "secret_name": PathParam(SecretName, "A key vault secret's name."),
    "role_name": PathParam(AssetName, "A role definition's name."),
    "assignment_id": PathParam(Id, "A role assignment's id."),
}


__all__ = ["MAX_FILTERS", "PATH_PARAMS", "REPEATED", "ArtifactPath", "ArtifactPrefix",
           "AssetKind", "AssetName", "AssetVersion", "CommaList", "DataGlob", "DataPath",
           "DatasetName", "DatastoreName", "ExperimentName", "Id",
           "InWorkspace", "JsonObject", "Key", "MetricKind", "MetricName", "MetricScalar",
           "MetricValue", "Model", "Pairs", "PathParam", "Properties", "QueryModel",
           "ResponseModel", "RunStatusName", "SecretName", "Sha256", "ShortText", "Tags", "Text",
           "Timestamp", "WorkspaceName", "json_depth"]
