"""HttpStore: every Store method as the REST operation of the same name in the table
(``jupyter_mlws.api``), through one generic call in the manner of MLflow's
``RestStore._call_endpoint``. No caches, no lookups of its own: REST keys are the store's keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO
from urllib.parse import quote

from ...api.operation import Operation
from ...api.table import operation
from ...api.types import REPEATED
from ..base import (
    RUN_PAGE_MAX,
    ArtifactRecord,
    AssetRecord,
    DatastoreFileRecord,
    ExperimentRecord,
    InvalidInputError,
    KeyCount,
    LogChunk,
    MetricInfo,
    MetricPoint,
    MetricSeries,
    RunKeys,
    RunPage,
    RunQuery,
    RunRecord,
    RunValues,
    SnapshotRecord,
    Store,
    WorkspaceRecord,
)
from ..codec import decode_metric_values, decode_value, decode_values, dumps, encode_points, record
from ..columns import MetricBatch
from ..data.locations import DatastoreFS, normalize_data_file
from ..paths import normalize_artifact_path
from ..settings import StoreSettings
from ..snapshots import check_manifest, check_sha256
from .access import AccessMixin
from .rest_fs import DatastoreRestFileSystem
from .service_data import ServiceDataMixin
from .transport import Transport


def _segment(value: str, safe: str) -> str:
    # "." and ".." stay percent-encoded: a client must not resolve them as path segments.
    encoded = quote(value, safe=safe)
    return "/".join(part if part not in (".", "..") else part.replace(".", "%2E")
                    for part in encoded.split("/"))


def _wire(value: Any, repeated: bool = False) -> Any:
    """A query value as text: booleans lowercase, key:value filters and repeated parameters
    as a list, other lists joined by commas."""
    if repeated and isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return [key if v is None else f"{key}:{v}" for key, v in value.items()]
    if isinstance(value, (list, tuple)):
        return ",".join(value)
    return value


def _alias(model: Any, name: str) -> str:
    info = model.model_fields[name]
    return info.alias or name


def _records(cls: type, items: Iterable[dict[str, Any]]) -> list[Any]:
    return [record(cls, item) for item in items]


def _series(body: dict[str, Any]) -> MetricSeries:
    series = record(MetricSeries, body)
    series.value = decode_values(series.value, bool(body.get("escaped")))
    return series


def _info(body: dict[str, Any]) -> MetricInfo:
    info = record(MetricInfo, body)
    info.last_value = decode_value(info.last_value)
    return info


class HttpStore(AccessMixin, ServiceDataMixin, Store):
    """A Store whose data lives behind ``settings.tracking_uri``; ``settings.token`` goes in
    the Authorization header of every request and nowhere else."""

    def __init__(self, settings: StoreSettings) -> None:
        if not settings.tracking_uri:
            raise ValueError("HttpStore needs settings.tracking_uri")
        self.settings = settings
        self.http = Transport(settings.tracking_uri, settings.token)

    def __repr__(self) -> str:
        return f"HttpStore({self.http.base!r})"

    def close(self) -> None:
        self.http.close()

    # ---- the one call
    def _path(self, op: Operation, path_params: dict[str, Any]) -> str:
        return op.url_path(path_params, _segment)

    def _call_endpoint(self, operation_id: str, path_params: dict[str, Any] | None = None,
                       body: dict[str, Any] | None = None,
                       query: dict[str, Any] | None = None) -> Any:
        """Send the operation's request and decode its JSON answer (None when empty).
        ``body`` and ``query`` are keyed by the store's argument names (the models' field
        names); None values are left out."""
        op = operation(operation_id)
        params = None
        if query:
            params = {_alias(op.query, k): _wire(v, REPEATED in op.query.model_fields[k].metadata)
                      for k, v in query.items() if v is not None}
        content = None
        if op.body_kind == "json":
            wire = {_alias(op.body, k): v for k, v in (body or {}).items() if v is not None}
            content = dumps(wire).encode()
        return self.http.json(op.method, self._path(op, path_params or {}), params=params,
                              content=content)

    # ---- workspaces
    def create_workspace(self, name: str, subscription_id: str, resource_group: str, *,
                         location: str = "local", storage_url: str | None = None,
                         friendly_name: str = "", description: str = "",
                         tags: dict[str, str | None] | None = None) -> WorkspaceRecord:
        return record(WorkspaceRecord, self._call_endpoint("createWorkspace", body={
            "name": name, "subscription_id": subscription_id, "resource_group": resource_group,
            "location": location, "storage_url": storage_url, "friendly_name": friendly_name,
            "description": description, "tags": tags or {}}))

    def get_workspace_by_id(self, workspace_id: str) -> WorkspaceRecord:
        return record(WorkspaceRecord, self._call_endpoint(
            "getWorkspace", {"workspace_id": workspace_id}))

    def list_workspaces(self, subscription_id: str | None = None,
                        resource_group: str | None = None) -> list[WorkspaceRecord]:
        return _records(WorkspaceRecord, self._call_endpoint("listWorkspaces", query={
            "subscription_id": subscription_id, "resource_group": resource_group})["workspaces"])

    def update_workspace(self, workspace_id: str, *, tags: dict[str, str | None] | None = None,
                         description: str | None = None,
                         friendly_name: str | None = None) -> WorkspaceRecord:
        return record(WorkspaceRecord, self._call_endpoint(
            "updateWorkspace", {"workspace_id": workspace_id},
            {"tags": tags, "description": description, "friendly_name": friendly_name}))

    def delete_workspace(self, workspace_id: str) -> None:
        self._call_endpoint("deleteWorkspace", {"workspace_id": workspace_id})

    # ---- experiments
    def create_experiment(self, workspace_id: str, name: str, *,
                          exist_ok: bool = False) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint(
            "createExperiment", {"workspace_id": workspace_id},
            {"name": name, "exist_ok": exist_ok}))

    def get_experiment_by_name(self, workspace_id: str,
                               experiment_name: str) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint("getExperiment", {
            "workspace_id": workspace_id, "experiment_name": experiment_name}))

    def get_experiment_by_id(self, experiment_id: str) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint(
            "getExperimentById", {"experiment_id": experiment_id}))

    def list_experiments(self, workspace_id: str, view_type: str = "ActiveOnly",
                         name: str | None = None, tags: dict[str, str | None] | None = None,
                         with_run_counts: bool = False) -> list[ExperimentRecord]:
        return _records(ExperimentRecord, self._call_endpoint(
            "listExperiments", {"workspace_id": workspace_id},
            query={"view_type": view_type, "name": name, "tags": tags,
                   "with_run_counts": with_run_counts})["experiments"])

    def update_experiment(self, experiment_id: str, *, archived: bool | None = None,
                          set_tags: dict[str, str | None] | None = None,
                          remove_tags: Iterable[str] | None = None) -> ExperimentRecord:
        return record(ExperimentRecord, self._call_endpoint(
            "updateExperiment", {"experiment_id": experiment_id},
            {"archived": archived, "set_tags": set_tags,
             "remove_tags": None if remove_tags is None else list(remove_tags)}))

    def delete_experiment(self, experiment_id: str) -> None:
        self._call_endpoint("deleteExperiment", {"experiment_id": experiment_id})

    # ---- runs
    def create_run(self, workspace_id: str, experiment_id: str, *, run_id: str,
                   status: str = "NotStarted", parent_run_id: str | None = None,
                   run_type: str | None = None, display_name: str | None = None,
                   description: str | None = None, target: str = "local",
                   properties: dict[str, str] | None = None,
                   tags: dict[str, str | None] | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None) -> RunRecord:
        return record(RunRecord, self._call_endpoint(
            "createRun", {"workspace_id": workspace_id}, {
                "experiment_id": experiment_id, "run_id": run_id, "status": status,
                "parent_run_id": parent_run_id, "run_type": run_type,
                "display_name": display_name, "description": description, "target": target,
                "properties": properties, "tags": tags, "run_definition": run_definition,
                "owner": owner}))

    def get_run(self, run_id: str, workspace_id: str | None = None) -> RunRecord:
        return record(RunRecord, self._call_endpoint("getRun", {"run_id": run_id},
                                                     query={"workspace_id": workspace_id}))

    def search_runs(self, workspace_id: str, query: RunQuery | None = None) -> RunPage:
        query = query or RunQuery()
        fields = query.to_dict()
        fields["limit"] = min(query.limit or RUN_PAGE_MAX, RUN_PAGE_MAX)
        body = self._call_endpoint("searchRuns", {"workspace_id": workspace_id}, query=fields)
        return RunPage(runs=_records(RunRecord, body["runs"]), total=int(body["total"]))

    def list_run_keys(self, workspace_id: str, query: RunQuery | None = None) -> RunKeys:
        body = self._call_endpoint("listRunKeys", {"workspace_id": workspace_id},
                                   query=(query or RunQuery()).to_dict())
        return RunKeys(**{ns: _records(KeyCount, body[ns])
                          for ns in ("metrics", "tags", "properties", "parameters")},
                       attributes=list(body["attributes"]), runs=int(body["runs"]))

    def get_run_values(self, workspace_id: str, query: RunQuery,
                       columns: Sequence[str]) -> RunValues:
        body = self._call_endpoint("getRunValues", {"workspace_id": workspace_id},
                                   query={**query.to_dict(), "columns": list(columns)})
        # Metric values come as the codec wrote them (non-finite floats as strings).
        escaped = bool(body["escaped"])
        values = {key: decode_values(column, escaped) if key.startswith("metrics.") else column
                  for key, column in body["columns"].items()}
        return RunValues(ids=list(body["ids"]), columns=values, total=int(body["total"]))

    def update_run(self, run_id: str, *, status: str | None = None,
                   display_name: str | None = None, description: str | None = None,
                   error: dict[str, Any] | None = None, snapshot_id: str | None = None,
                   run_definition: dict[str, Any] | None = None,
                   owner: str | None = None, heartbeat: bool = False,
                   only_if_active: bool = False) -> RunRecord:
        return record(RunRecord, self._call_endpoint("updateRun", {"run_id": run_id}, {
            "status": status, "display_name": display_name, "description": description,
            "error": error, "snapshot_id": snapshot_id, "run_definition": run_definition,
            "owner": owner, "heartbeat": heartbeat, "only_if_active": only_if_active}))

    def edit_run(self, run_id: str, *, tags: dict[str, str | None] | None = None,
                 remove_tags: Iterable[str] | None = None, description: str | None = None,
                 display_name: str | None = None) -> RunRecord:
        return record(RunRecord, self._call_endpoint("editRun", {"run_id": run_id}, {
            "tags": tags, "remove_tags": None if remove_tags is None else list(remove_tags),
            "description": description, "display_name": display_name}))

    def add_run_properties(self, run_id: str, properties: dict[str, str]) -> dict[str, str]:
        return self._call_endpoint("addRunProperties", {"run_id": run_id},
                                   {"properties": properties})["properties"]

    def delete_run(self, run_id: str) -> None:
        self._call_endpoint("deleteRun", {"run_id": run_id})

    # ---- metrics
    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        # A MetricBatch also carries metrics recorded without points (columns.py).
        empty = points.empty_chunks() if isinstance(points, MetricBatch) else []
        if points or empty:  # one POST per flush of the metric buffer, columns in compact JSON
            op = operation("appendMetrics")
            self.http.json(op.method, op.path, content=encode_points(points, empty))

    def list_metrics(self, run_id: str) -> list[MetricInfo]:
        body = self._call_endpoint("listMetrics", {"run_id": run_id})
        return [_info(item) for item in body["metrics"]]

    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None,
                          until: int | None = None) -> MetricSeries:
        return _series(self._call_endpoint(
            "getMetricSeries", {"run_id": run_id, "metric_name": name},
            query={"since": since, "max_points": max_points, "until": until,
                   "tables": "rows"}))

    def get_all_metric_values(
            self, run_ids: Sequence[str]) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        return decode_metric_values(self._call_endpoint(
            "getMetricValues", body={"run_ids": list(dict.fromkeys(run_ids))})["values"])

    def query_metric_series(self, workspace_id: str, run_ids: Sequence[str],
                            names: Sequence[str] | None = None,
                            max_points: int | None = 2000) -> list[MetricSeries]:
        body = self._call_endpoint("queryMetrics", {"workspace_id": workspace_id}, {
            "run_ids": list(run_ids), "names": None if names is None else list(names),
            "max_points": max_points})
        return [_series(item) for item in body["series"]]

    # ---- artifacts and logs (paths normalized before they go into a URL)
    def upload_artifact(self, run_id: str, path: str, source: str | BinaryIO,
                        *, overwrite: bool = False) -> ArtifactRecord:
        if isinstance(source, str) and not os.path.isfile(source):
            raise InvalidInputError(f"Artifact source {source!r} is not a file")
        op = operation("uploadArtifact")
        url = self._path(op, {"run_id": run_id, "path": normalize_artifact_path(path)})
        return record(ArtifactRecord, self.http.upload(
            url, source, params={"overwrite": _wire(overwrite)}))

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]:
        return _records(ArtifactRecord, self._call_endpoint(
            "listArtifacts", {"run_id": run_id}, query={"prefix": prefix or None})["artifacts"])

    def open_artifact(self, run_id: str, path: str) -> BinaryIO:
        return self.http.download(self._path(operation("downloadArtifact"), {
            "run_id": run_id, "path": normalize_artifact_path(path)}))

    def append_log(self, run_id: str, path: str, data: bytes) -> int:
        url = self._path(operation("appendLog"), {"run_id": run_id,
                                                  "path": normalize_artifact_path(path)})
        return int(self.http.json("POST", url, content=bytes(data),
                                  content_type="application/octet-stream")["size"])

    def tail_log(self, run_id: str, path: str, offset: int = 0,
                 max_bytes: int | None = None) -> LogChunk:
        return record(LogChunk, self._call_endpoint(
            "tailLog", {"run_id": run_id, "path": normalize_artifact_path(path)},
            query={"offset": offset, "max_bytes": max_bytes}))

    # ---- snapshots (Store.create_snapshot composes these: only missing blobs travel)
    def missing_snapshot_blobs(self, workspace_id: str, sha256s: Sequence[str]) -> list[str]:
        wanted = [check_sha256(sha) for sha in dict.fromkeys(sha256s)]
        if not wanted:
            return []
        return list(self._call_endpoint("missingBlobs", {"workspace_id": workspace_id},
                                        {"sha256": wanted})["missing"])

    def put_snapshot_blob(self, workspace_id: str, sha256: str, stream: BinaryIO) -> None:
        self.http.upload(self._path(operation("uploadBlob"), {
            "workspace_id": workspace_id, "sha256": check_sha256(sha256)}), stream)

    def create_snapshot_from_manifest(self, workspace_id: str,
                                      files: dict[str, dict[str, Any]]) -> SnapshotRecord:
        entries = {rel: {"sha256": sha} if size is None else {"sha256": sha, "size": size}
                   for rel, (sha, size) in check_manifest(files).items()}
        return record(SnapshotRecord, self._call_endpoint(
            "createSnapshot", {"workspace_id": workspace_id}, {"files": entries}))

    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord:
        return record(SnapshotRecord, self._call_endpoint("getSnapshot",
                                                          {"snapshot_id": snapshot_id}))

    def open_snapshot_file(self, snapshot_id: str, path: str) -> BinaryIO:
        return self.http.download(self._path(operation("getSnapshotFile"), {
            "snapshot_id": snapshot_id, "path": normalize_artifact_path(path)}))

    # ---- assets
    def register_asset(self, workspace_id: str, kind: str, name: str, spec: dict[str, Any], *,
                       new_version: bool = True, tags: dict[str, str | None] | None = None,
                       description: str = "",
                       state: dict[str, Any] | None = None) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "registerAsset", {"workspace_id": workspace_id, "kind": kind},
            {"name": name, "spec": spec, "new_version": new_version, "tags": tags or {},
             "description": description, "state": state or {}}))

    def get_asset(self, workspace_id: str, kind: str, name: str,
                  version: int | None = None) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "getAsset", {"workspace_id": workspace_id, "kind": kind, "name": name},
            query={"version": version}))

    def list_assets(self, workspace_id: str, kind: str, name: str | None = None,
                    latest_only: bool = True) -> list[AssetRecord]:
        return _records(AssetRecord, self._call_endpoint(
            "listAssets", {"workspace_id": workspace_id, "kind": kind},
            query={"name": name, "latest_only": latest_only})["assets"])

    def update_asset_state(self, workspace_id: str, kind: str, name: str, version: int,
                           state: dict[str, Any], *, merge: bool = True) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "updateAssetState", {"workspace_id": workspace_id, "kind": kind, "name": name,
                                 "version": int(version)}, {"state": state, "merge": merge}))

    def delete_asset(self, workspace_id: str, kind: str, name: str,
                     version: int | None = None) -> None:
        self._call_endpoint("deleteAsset", {"workspace_id": workspace_id, "kind": kind,
                                            "name": name}, query={"version": version})

    def update_asset(self, workspace_id: str, kind: str, name: str, version: int, *,
                     tags: dict[str, str | None] | None = None,
                     remove_tags: Iterable[str] | None = None,
                     description: str | None = None) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "updateAsset", {"workspace_id": workspace_id, "kind": kind, "name": name,
                            "version": int(version)},
            {"tags": tags, "remove_tags": list(remove_tags or []), "description": description}))

    # ---- datastores: credentials stay on the server, which reads the files for this client
    def put_datastore_secret(self, workspace_id: str, datastore_name: str,
                             secret: dict[str, str]) -> None:
        self._call_endpoint("putDatastoreSecret", {"workspace_id": workspace_id,
                                                   "datastore_name": datastore_name},
                            {"secret": secret})

    def get_datastore_secret(self, workspace_id: str, datastore_name: str) -> dict[str, str]:
        raise InvalidInputError("Datastore credentials are never sent over REST: the server "
                                "reads the datastore for this client")

    def delete_datastore_secret(self, workspace_id: str, datastore_name: str) -> None:
        self._call_endpoint("deleteDatastoreSecret", {"workspace_id": workspace_id,
                                                      "datastore_name": datastore_name})

    def datastore_filesystem(self, workspace_id: str, datastore_name: str) -> DatastoreFS:
        # One lookup, so an unknown datastore fails here as it does in the SQL store.
        self.get_datastore_file_info(workspace_id, datastore_name)
        return DatastoreFS(DatastoreRestFileSystem(self, workspace_id, datastore_name), "",
                           False, datastore_name)

    def list_datastore_files(self, workspace_id: str, datastore_name: str, path: str = "", *,
                             recursive: bool = False,
                             glob: str | None = None) -> list[DatastoreFileRecord]:
        return _records(DatastoreFileRecord, self._call_endpoint(
            "listDatastoreFiles", {"workspace_id": workspace_id,
                                   "datastore_name": datastore_name},
            query={"path": path, "recursive": recursive, "glob": glob})["files"])

    def get_datastore_file_info(self, workspace_id: str, datastore_name: str,
                                path: str = "") -> DatastoreFileRecord:
        return record(DatastoreFileRecord, self._call_endpoint(
            "getDatastoreFileInfo", {"workspace_id": workspace_id,
                                     "datastore_name": datastore_name}, query={"path": path}))

    def open_datastore_file(self, workspace_id: str, datastore_name: str,
                            path: str) -> BinaryIO:
        return self.http.download(self._datastore_file_url(
            "downloadDatastoreFile", workspace_id, datastore_name, path))

    def read_datastore_range(self, workspace_id: str, datastore_name: str, path: str,
                             start: int, end: int | None) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive; None: the end) of a file: one ranged GET of
        downloadDatastoreFile (how the datastore file system over REST reads)."""
        return bytes(self.http.send("GET", self._datastore_file_url(
            "downloadDatastoreFile", workspace_id, datastore_name, path), headers={
                "Range": f"bytes={start}-{'' if end is None else end - 1}"}).content)

    def upload_datastore_file(self, workspace_id: str, datastore_name: str, path: str,
                              source: BinaryIO, *,
                              overwrite: bool = False) -> DatastoreFileRecord:
        return record(DatastoreFileRecord, self.http.upload(self._datastore_file_url(
            "uploadDatastoreFile", workspace_id, datastore_name, path), source,
            params={"overwrite": _wire(overwrite)}))

    def delete_datastore_file(self, workspace_id: str, datastore_name: str,
                              path: str) -> None:
        self._call_endpoint("deleteDatastoreFile", {
            "workspace_id": workspace_id, "datastore_name": datastore_name,
            "path": normalize_data_file(path)})

    def _datastore_file_url(self, operation_id: str, workspace_id: str, datastore_name: str,
                            path: str) -> str:
        # Confined before it goes into a URL, as artifact paths are.
        return self._path(operation(operation_id), {
            "workspace_id": workspace_id, "datastore_name": datastore_name,
            "path": normalize_data_file(path)})


__all__ = ["HttpStore"]
