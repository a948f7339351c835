"""Run artifacts, logs and snapshots of the HTTP store, each method the operation of the same
name in the table (``jupyter_mlws.api``); paths are normalized before they go into a URL."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, BinaryIO

from ...api.table import operation
from ..base import ArtifactRecord, InvalidInputError, LogChunk, SnapshotRecord
from ..codec import record
from ..paths import normalize_artifact_path
from ..snapshots import check_manifest, check_sha256
from .endpoint import Endpoint, records, wire


class ArtifactMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    # ---- artifacts and logs (paths normalized before they go into a URL)
    def upload_artifact(self, run_id: str, path: str, source: str | BinaryIO,
                        *, overwrite: bool = False) -> ArtifactRecord:
        if isinstance(source, str) and not os.path.isfile(source):
            raise InvalidInputError(f"Artifact source {source!r} is not a file")
        op = operation("uploadArtifact")
        url = self._path(op, {"run_id": run_id, "path": normalize_artifact_path(path)})
        return record(ArtifactRecord, self.http.upload(
            url, source, params={"overwrite": wire(overwrite)}))

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]:
        return records(ArtifactRecord, self._call_endpoint(
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
