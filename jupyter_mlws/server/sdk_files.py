"""REST routes the SDK's HTTP store needs for files: append to a run's log, and snapshots
stored deduplicated by content (the client asks which blobs are missing and uploads only
those, each streamed to a temporary file, never held in memory). Every route calls the
Store's own snapshot methods; blob files are never reached around it."""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Any, BinaryIO

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.web import stream_request_body

from ..store.base import Store
from ..store.snapshots import SHA256_RE
from .authz import MlwsResource
from .base import (
    ApiError,
    MlwsHandler,
    bad_request,
    check_artifact_path,
    check_fields,
    check_id,
)
from .files import CHUNK_SIZE, LogTailHandler

MAX_LOG_APPEND = 8 * 1024 * 1024
MAX_SNAPSHOT_FILES = 100_000


def check_sha(value: Any) -> str:
    if not isinstance(value, str) or not SHA256_RE.match(value):
        raise bad_request("A blob is named by its lowercase hex SHA-256.")
    return value


class LogHandler(LogTailHandler):
    """GET tails a log (see :class:`LogTailHandler`); POST appends the raw body to it."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, run_id: str, path: str) -> None:
        path = check_artifact_path(path)
        data = self.request.body
        if len(data) > MAX_LOG_APPEND:
            raise ApiError(413, f"Log appends are limited to {MAX_LOG_APPEND} bytes.",
                           "PayloadTooLarge")
        self.authorize("write", MlwsResource("artifact", workspace_id, path))
        await self.load_run(workspace_id, run_id)
        size = await self.call(self.store.append_log, run_id, path, data)
        self.send_json({"path": path, "size": size})


class SnapshotsHandler(MlwsHandler):
    """POST {"files": {path: {"sha256", "size"}}}: a snapshot of blobs already uploaded."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, {"files"})
        files = body.get("files")
        if not isinstance(files, dict) or len(files) > MAX_SNAPSHOT_FILES:
            raise bad_request("'files' must map paths to {sha256, size}.")
        for rel, entry in files.items():
            if not isinstance(entry, dict):
                raise bad_request("'files' must map paths to {sha256, size}.")
            check_artifact_path(rel)
            check_sha(entry.get("sha256"))
        self.authorize("write", MlwsResource("snapshot", workspace_id))
        await self.load_workspace(workspace_id)
        record = await self.call(self.store.create_snapshot_from_manifest, workspace_id, files)
        self.send_json(record, status=201)


class MissingBlobsHandler(MlwsHandler):
    """POST {"sha256": [...]} -> {"missing": [...]}: what the client still has to upload."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, {"sha256"})
        hashes = body.get("sha256")
        if not isinstance(hashes, list) or len(hashes) > MAX_SNAPSHOT_FILES:
            raise bad_request(f"'sha256' must be a list of at most {MAX_SNAPSHOT_FILES}.")
        hashes = list(dict.fromkeys(check_sha(h) for h in hashes))
        self.authorize("write", MlwsResource("snapshot", workspace_id))
        await self.load_workspace(workspace_id)
        missing = await self.call(self.store.missing_snapshot_blobs, workspace_id, hashes)
        self.send_json({"missing": missing})


@stream_request_body
class BlobHandler(MlwsHandler):
    """PUT one blob, streamed to a temporary file, then handed to the store's
    ``put_snapshot_blob``, which checks it against its name."""

    _file: Any = None
    _received = 0

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.request.method == "PUT":
            # Reject before reading the body: identity, coarse and per-workspace authorization.
            await self.run_upload_checks(self._begin_upload)

    async def _begin_upload(self) -> None:
        await self.require_upload_write()
        workspace_id, sha = self.path_args
        check_id(workspace_id, "workspace id")
        check_sha(sha)
        self.authorize("write", MlwsResource("snapshot", workspace_id))
        limit = self.mlws.max_upload_bytes
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise ApiError(413, f"Uploads are limited to {limit} bytes.", "PayloadTooLarge")
        self.request.connection.set_max_body_size(limit + CHUNK_SIZE)  # type: ignore[union-attr]
        # Closed and removed by _discard (on_finish), not by a with-block: it spans callbacks.
        self._file = tempfile.NamedTemporaryFile(prefix="mlws-blob-", delete=False)  # noqa: SIM115

    def data_received(self, chunk: bytes) -> None:
        if self._file is None:
            return
        self._received += len(chunk)
        if self._received > self.mlws.max_upload_bytes:
            self._discard()
            error = ApiError(413, f"Uploads are limited to {self.mlws.max_upload_bytes} "
                             "bytes.", "PayloadTooLarge")
            self.send_error(413, exc_info=(ApiError, error, None))
            return
        self._file.write(chunk)

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
            os.unlink(self._file.name)
            self._file = None

    def on_finish(self) -> None:
        self._discard()

    def on_connection_close(self) -> None:
        self._discard()
        super().on_connection_close()

    @web.authenticated
    @authorized
    async def put(self, workspace_id: str, sha: str) -> None:
        self.raise_deferred_upload_error()
        if self._finished:
            return  # already answered (413) from data_received
        if self._file is None:
            raise bad_request("The upload was aborted.")
        self._file.close()
        await self.load_workspace(workspace_id)
        await self.call(_put_blob_file, self.store, workspace_id, sha, self._file.name)
        self.send_json({"sha256": sha, "size": self._received}, status=201)


def _put_blob_file(store: Store, workspace_id: str, sha: str, local_path: str) -> None:
    with open(local_path, "rb") as stream:
        store.put_snapshot_blob(workspace_id, sha, stream)


class SnapshotHandler(MlwsHandler):
    """A snapshot by id (the store's ``get_snapshot``)."""

    @web.authenticated
    @authorized
    async def get(self, snapshot_id: str) -> None:
        check_id(snapshot_id, "snapshot id")
        self.authorize("read", MlwsResource("snapshot"))
        record = await self.call(self.store.get_snapshot, snapshot_id)
        self.authorize("read", MlwsResource("snapshot", record.workspace_id, snapshot_id))
        self.send_json(record)


class SnapshotFileHandler(MlwsHandler):
    """One file of a snapshot, streamed in chunks."""

    @web.authenticated
    @authorized
    async def get(self, snapshot_id: str, path: str) -> None:
        check_id(snapshot_id, "snapshot id")
        path = check_artifact_path(path)
        self.authorize("read", MlwsResource("snapshot"))
        record = await self.call(self.store.get_snapshot, snapshot_id)
        self.authorize("read", MlwsResource("snapshot", record.workspace_id,
                                            f"{snapshot_id}/{path}"))
        stream: BinaryIO = await self.call(self.store.open_snapshot_file, snapshot_id, path)
        self.set_header("Content-Type", "application/octet-stream")
        entry = record.files.get(path) or {}
        if isinstance(entry.get("size"), int):
            self.set_header("Content-Length", str(entry["size"]))
        try:
            while True:
                chunk = await asyncio.to_thread(stream.read, CHUNK_SIZE)
                if not chunk:
                    break
                self.write(chunk)
                await self.flush()
        finally:
            await asyncio.to_thread(stream.close)
        self.finish()
