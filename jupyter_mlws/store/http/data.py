"""Metrics, files, snapshots and assets over REST."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, BinaryIO

from ..base import (
    ArtifactRecord,
    AssetRecord,
    InvalidInputError,
    MetricInfo,
    MetricPoint,
    MetricSeries,
    SnapshotRecord,
)
from ..columns import MetricBatch
from ..paths import normalize_artifact_path
from ..snapshots import check_manifest, check_sha256
from .codec import decode_metric_values, decode_value, encode_points, record
from .transport import Transport, path_part, seg


class DataMixin:
    """Metrics, artifacts, logs, snapshots and assets."""

    http: Transport

    # provided by MetadataMixin
    def _ws_path(self, workspace_id: str) -> str: ...  # pragma: no cover
    def _workspace_of_run(self, run_id: str) -> str: ...  # pragma: no cover
    def _run_path(self, run_id: str) -> str: ...  # pragma: no cover

    def _by_workspace(self, run_ids: Sequence[str]) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for run_id in dict.fromkeys(run_ids):
            groups.setdefault(self._workspace_of_run(run_id), []).append(run_id)
        return groups

    # ---- metrics
    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        # A MetricBatch also carries metrics recorded without points (columns.py).
        empty = points.empty_chunks() if isinstance(points, MetricBatch) else []
        if not points and not empty:
            return
        run_ids = ([c.run_id for c in points.chunks] if isinstance(points, MetricBatch)
                   else [p[0] for p in points])
        groups = self._by_workspace(run_ids)
        for workspace_id, ids in groups.items():
            batch, declared = points, empty
            if len(groups) > 1:
                wanted = set(ids)
                batch = [p for p in points if p[0] in wanted]
                declared = [c for c in empty if c.run_id in wanted]
            # One POST per batch and workspace, columns in compact JSON (see codec.py).
            self.http.json("POST", f"{self._ws_path(workspace_id)}/metrics/append",
                           content=encode_points(batch, declared))

    def list_metrics(self, run_id: str) -> list[MetricInfo]:
        body = self.http.json("GET", f"{self._run_path(run_id)}/metrics")
        infos = []
        for item in body["metrics"]:
            info = record(MetricInfo, item)
            info.last_value = decode_value(info.last_value)
            infos.append(info)
        return infos

    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None,
                          until: int | None = None) -> MetricSeries:
        params: dict[str, Any] = {"name": name, "since": since}
        if max_points is not None:
            params["max_points"] = max_points
        if until is not None:
            params["until"] = until
        body = self.http.json("GET", f"{self._run_path(run_id)}/series", params=params)
        series = record(MetricSeries, body["series"])
        if body.get("escaped"):
            series.value = [decode_value(v) for v in series.value]
        return series

    def get_all_metric_values(
            self, run_ids: Sequence[str]) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        result: dict[str, dict[str, tuple[str, list[Any]]]] = {}
        for workspace_id, ids in self._by_workspace(list(run_ids)).items():
            body = self.http.json("POST", f"{self._ws_path(workspace_id)}/metrics/values",
                                  {"run_ids": ids})
            result.update(decode_metric_values(body["values"]))
        return result

    # ---- artifacts and logs
    def upload_artifact(self, run_id: str, path: str, source: str | BinaryIO,
                        *, overwrite: bool = False) -> ArtifactRecord:
        if isinstance(source, str) and not os.path.isfile(source):
            raise InvalidInputError(f"Artifact source {source!r} is not a file")
        path = normalize_artifact_path(path)  # before the URL: '..' must not be resolved
        body = self.http.upload(f"{self._run_path(run_id)}/artifacts/content/{path_part(path)}",
                                source, params={"overwrite": str(overwrite).lower()})
        return record(ArtifactRecord, body)

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]:
        params = {"prefix": prefix} if prefix else None
        body = self.http.json("GET", f"{self._run_path(run_id)}/artifacts", params=params)
        return [record(ArtifactRecord, a) for a in body["artifacts"]]

    def open_artifact(self, run_id: str, path: str) -> BinaryIO:
        path = normalize_artifact_path(path)
        return self.http.download(
            f"{self._run_path(run_id)}/artifacts/content/{path_part(path)}")

    def append_log(self, run_id: str, path: str, data: bytes) -> int:
        path = normalize_artifact_path(path)
        body = self.http.send("POST", f"{self._run_path(run_id)}/logs/{path_part(path)}",
                               content=bytes(data),
                               headers={"Content-Type": "application/octet-stream"}).json()
        return int(body["size"])

    # ---- snapshots (Store.create_snapshot composes these: only missing blobs travel)
    def missing_snapshot_blobs(self, workspace_id: str, sha256s: Sequence[str]) -> list[str]:
        wanted = [check_sha256(sha) for sha in dict.fromkeys(sha256s)]
        if not wanted:
            return []
        body = self.http.json("POST", f"{self._ws_path(workspace_id)}/snapshots/missing-blobs",
                              {"sha256": wanted})
        return list(body["missing"])

    def put_snapshot_blob(self, workspace_id: str, sha256: str, stream: BinaryIO) -> None:
        check_sha256(sha256)  # before the URL: the hash is a path segment
        self.http.upload(f"{self._ws_path(workspace_id)}/snapshots/blobs/{seg(sha256)}",
                         stream)

    def create_snapshot_from_manifest(self, workspace_id: str,
                                      files: dict[str, dict[str, Any]]) -> SnapshotRecord:
        entries = check_manifest(files)
        body = {"files": {rel: {"sha256": sha} if size is None else {"sha256": sha, "size": size}
                          for rel, (sha, size) in entries.items()}}
        return record(SnapshotRecord, self.http.json(
            "POST", f"{self._ws_path(workspace_id)}/snapshots", body))

    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord:
        return record(SnapshotRecord, self.http.json("GET", f"/snapshots/{seg(snapshot_id)}"))

    def open_snapshot_file(self, snapshot_id: str, path: str) -> BinaryIO:
        path = normalize_artifact_path(path)
        return self.http.download(f"/snapshots/{seg(snapshot_id)}/files/{path_part(path)}")

    # ---- assets
    def _assets(self, workspace_id: str, kind: str) -> str:
        return f"{self._ws_path(workspace_id)}/assets/{seg(kind)}"

    def register_asset(self, workspace_id: str, kind: str, name: str, spec: dict[str, Any], *,
                       new_version: bool = True, tags: dict[str, str | None] | None = None,
                       description: str = "",
                       state: dict[str, Any] | None = None) -> AssetRecord:
        body = {"name": name, "spec": spec, "new_version": new_version, "tags": tags or {},
                "description": description, "state": state or {}}
        return record(AssetRecord, self.http.json("POST", self._assets(workspace_id, kind),
                                                  body))

    def get_asset(self, workspace_id: str, kind: str, name: str,
                  version: int | None = None) -> AssetRecord:
        params = {"version": version} if version is not None else None
        return record(AssetRecord, self.http.json(
            "GET", f"{self._assets(workspace_id, kind)}/{seg(name)}", params=params))

    def list_assets(self, workspace_id: str, kind: str, name: str | None = None,
                    latest_only: bool = True) -> list[AssetRecord]:
        params: dict[str, Any] = {"latest_only": str(latest_only).lower()}
        if name is not None:
            params["name"] = name
        body = self.http.json("GET", self._assets(workspace_id, kind), params=params)
        return [record(AssetRecord, a) for a in body["assets"]]

    def update_asset_state(self, workspace_id: str, kind: str, name: str, version: int,
                           state: dict[str, Any], *, merge: bool = True) -> AssetRecord:
        return record(AssetRecord, self.http.json(
            "PUT", f"{self._assets(workspace_id, kind)}/{seg(name)}/versions/{int(version)}"
                   "/state", {"state": state, "merge": merge}))

    def delete_asset(self, workspace_id: str, kind: str, name: str,
                     version: int | None = None) -> None:
        params = {"version": version} if version is not None else None
        self.http.json("DELETE", f"{self._assets(workspace_id, kind)}/{seg(name)}",
                       params=params)


__all__ = ["DataMixin"]
