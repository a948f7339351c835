"""Files of runs (artifacts, logs) and snapshots: models, operations and body shapes. File
contents travel as raw bytes (uploads streamed in, downloads streamed out with ranges)."""

from __future__ import annotations

import mimetypes
from typing import Any, ClassVar

from pydantic import Field

from ..store.base import ArtifactRecord, SnapshotRecord, Store
from ..store.base import LogChunk as LogChunkRecord
from ..store.logs import LOG_READ_DEFAULT, LOG_READ_MAX
from .operation import MiB, Operation
from .types import (
    ArtifactPath,
    ArtifactPrefix,
    Id,
    InWorkspace,
    Model,
    ResponseModel,
    Sha256,
    Timestamp,
)

MAX_LOG_APPEND = 8 * MiB
MAX_SNAPSHOT_FILES = 100_000


class Artifact(ResponseModel):
    record: ClassVar[type] = ArtifactRecord
    run_id: Id
    path: str
    size: int
    content_type: str
    created_time: Timestamp


class ArtifactNode(ResponseModel):
    name: str
    path: str
    type: str = Field(description="file | directory")
    size: int = Field(description="A folder's total size")
    content_type: str | None = None
    created_time: Timestamp | None = None
    children: list[ArtifactNode] | None = None


class ArtifactList(ResponseModel):
    artifacts: list[Artifact]
    tree: ArtifactNode


class PrefixQuery(InWorkspace):
    prefix: ArtifactPrefix = Field(None, description="Only paths under it ('/' for a folder)")


class UploadQuery(InWorkspace):
    overwrite: bool = False


class LogQuery(InWorkspace):
    offset: int = Field(0, ge=0, le=2**53)
    max_bytes: int = Field(LOG_READ_DEFAULT, ge=1, le=LOG_READ_MAX)


class LogChunk(ResponseModel):
    record: ClassVar[type] = LogChunkRecord
    data: str = Field(description="Text from offset (a UTF-8 sequence cut by the writer waits "
                                  "for the next read)")
    offset: int = Field(description="Where to read next")
    size: int


class LogAppended(ResponseModel):
    path: str
    size: int


class BlobEntry(Model):
    sha256: Sha256
    size: int | None = Field(None, ge=0)


class SnapshotCreate(Model):
    files: dict[ArtifactPath, BlobEntry] = Field(max_length=MAX_SNAPSHOT_FILES)


class SnapshotEntry(ResponseModel):
    model_config = {"extra": "allow"}
    sha256: Sha256
    size: int | None = None


class Snapshot(ResponseModel):
    record: ClassVar[type] = SnapshotRecord
    id: Id
    workspace_id: Id
    files: dict[str, SnapshotEntry] = Field(description="path -> {sha256, size}")
    created_time: Timestamp


class BlobQuery(Model):
    sha256: list[Sha256] = Field(max_length=MAX_SNAPSHOT_FILES)


class MissingBlobs(ResponseModel):
    missing: list[Sha256]


class BlobStored(ResponseModel):
    sha256: Sha256
    size: int


# ---- shapes


def build_tree(records: list[ArtifactRecord]) -> dict[str, Any]:
    """Nest flat artifact paths into folders, each with the total size beneath it."""
    root: dict[str, Any] = {"name": "", "path": "", "type": "directory", "size": 0,
                            "children": []}
    folders: dict[str, dict[str, Any]] = {"": root}
    for record in sorted(records, key=lambda r: r.path):
        parts = record.path.split("/")
        parent = root
        for depth in range(1, len(parts)):
            folder_path = "/".join(parts[:depth])
            folder = folders.get(folder_path)
            if folder is None:
                folder = {"name": parts[depth - 1], "path": folder_path, "type": "directory",
                          "size": 0, "children": []}
                folders[folder_path] = folder
                parent["children"].append(folder)
            parent = folder
        parent["children"].append({
            "name": parts[-1], "path": record.path, "type": "file", "size": record.size,
            "content_type": record.content_type, "created_time": record.created_time})
        for depth in range(len(parts)):
            folders["/".join(parts[:depth])]["size"] += record.size
    return root


def artifact_listing(records: list[ArtifactRecord]) -> dict[str, Any]:
    return {"artifacts": records, "tree": build_tree(records)}


def artifact_content_type(store: Store, run_id: str, path: str) -> tuple[str, int | None]:
    """(content type, recorded size) of an artifact: as recorded, else guessed from its name."""
    for record in store.list_artifacts(run_id, path):
        if record.path == path:
            if record.content_type != "application/octet-stream":
                return record.content_type, record.size
            return mimetypes.guess_type(path)[0] or record.content_type, record.size
    return mimetypes.guess_type(path)[0] or "application/octet-stream", None


def _snapshot_of(run: Any) -> dict[str, Any]:
    return {"snapshot_id": run.snapshot_id}


OPERATIONS = [
    Operation("listArtifacts", "GET", "/runs/{run_id}/artifacts",
              "workspaces/experiments/runs/read", "A run's files, flat and as a tree", "run",
              store="list_artifacts", query=PrefixQuery, response=ArtifactList,
              shape=lambda r, _: artifact_listing(r), resource="artifact",
              widget="artifacts"),
    Operation("downloadArtifactsZip", "GET", "/runs/{run_id}/artifacts/zip",
              "workspaces/experiments/runs/read", "A run's files (under a prefix) as one zip, "
              "streamed", "run", query=PrefixQuery, response_kind="file", errors=(500,),
              resource="artifact", extra={"x-content-type": "application/zip"}),
    Operation("downloadArtifact", "GET", "/runs/{run_id}/artifacts/content/{path}",
              "workspaces/experiments/runs/read", "One file, streamed (single byte ranges "
              "honoured)", "run", store="open_artifact", query=InWorkspace,
              response_kind="file", errors=(416, 500), resource="artifact",
              widget="artifact"),
    Operation("uploadArtifact", "PUT", "/runs/{run_id}/artifacts/content/{path}",
              "workspaces/experiments/runs/write", "Upload one file, streamed (at most "
              "MlwsApp.max_upload_bytes)", "run", store="upload_artifact", query=UploadQuery,
              body_kind="stream", response=Artifact, status=201, errors=(409, 413),
              max_body=None, resource="artifact"),
    Operation("tailLog", "GET", "/runs/{run_id}/logs/{path}", "workspaces/experiments/runs/read",
              "Text of a log from a byte offset", "run", store="tail_log", query=LogQuery,
              response=LogChunk, errors=(500,), resource="artifact", widget="log_tail"),
    Operation("appendLog", "POST", "/runs/{run_id}/logs/{path}",
              "workspaces/experiments/runs/write", "Append the body's bytes to a log", "run",
              store="append_log", query=InWorkspace, body_kind="bytes", response=LogAppended,
              max_body=MAX_LOG_APPEND, errors=(409, 413), resource="artifact",
              call=lambda s, r: {"path": r.params["path"],
                                 "size": s.append_log(r.params["run_id"], r.params["path"],
                                                      r.body)}),
    Operation("createSnapshot", "POST", "/workspaces/{workspace_id}/snapshots",
              "workspaces/snapshots/write", "A snapshot of blobs already uploaded", "workspace",
              store="create_snapshot_from_manifest", body=SnapshotCreate, body_kind="json",
              response=Snapshot, status=201, max_body=32 * MiB,
              call=lambda s, r: s.create_snapshot_from_manifest(
                  r.params["workspace_id"], {path: entry.model_dump(exclude_none=True)
                                             for path, entry in r.body.files.items()})),
    Operation("missingBlobs", "POST", "/workspaces/{workspace_id}/snapshots/missing-blobs",
              "workspaces/snapshots/write", "Which blobs the workspace lacks", "workspace",
              store="missing_snapshot_blobs", body=BlobQuery, body_kind="json",
              response=MissingBlobs, max_body=16 * MiB,
              call=lambda s, r: s.missing_snapshot_blobs(r.params["workspace_id"],
                                                         r.body.sha256),
              shape=lambda r, _: {"missing": r}),
    Operation("uploadBlob", "PUT", "/workspaces/{workspace_id}/snapshots/blobs/{sha256}",
              "workspaces/snapshots/write", "Upload one blob, checked against its hash",
              "workspace", store="put_snapshot_blob", body_kind="stream", response=BlobStored,
              status=201, errors=(413,), max_body=None),
    Operation("getSnapshot", "GET", "/snapshots/{snapshot_id}", "workspaces/snapshots/read",
              "A snapshot's manifest", "snapshot", store="get_snapshot", query=InWorkspace,
              response=Snapshot, widget="snapshot", widget_args=_snapshot_of),
    Operation("getSnapshotFile", "GET", "/snapshots/{snapshot_id}/files/{path}",
              "workspaces/snapshots/read", "One file of a snapshot, streamed", "snapshot",
              store="open_snapshot_file", query=InWorkspace, response_kind="file",
              widget="snapshot_file", widget_args=_snapshot_of),
]


__all__ = ["OPERATIONS", "artifact_content_type", "artifact_listing", "build_tree"]
