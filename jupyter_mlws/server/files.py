"""File transports of the table's file operations: downloads streamed out in chunks (HTTP
ranges honoured), a run's files as a zip built while it is sent, and uploads streamed in
(artifacts through a pipe into the store, blobs through a temporary file). Neither a file nor
an archive is ever held whole in memory. Validation and authorization happened before
(``routes.py``); these only move bytes."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from tornado.iostream import StreamClosedError

from ..api.files import artifact_content_type
from ..api.operation import Operation, Request
from ..store.base import ArtifactRecord, CorruptArtifactError, Store, StoreError
from .base import ApiError, api_error
from .streams import ThreadWriter, UploadPipe, run_in_thread

if TYPE_CHECKING:
    from .routes import OperationHandler

CHUNK_SIZE = 512 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Already compressed: deflating them again costs CPU and gains nothing.
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip", ".gz", ".bz2", ".xz",
                    ".zst", ".7z", ".pkl.gz", ".npz", ".parquet", ".mp4", ".whl")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single byte range; None to serve the whole file.
    Raises 416 when the range lies outside the file."""
    if not header:
        return None
    match = _RANGE_RE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # multi-range or malformed: RFC 9110 lets us ignore it
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0:
            raise ApiError(416, "Empty suffix range.", "RangeNotSatisfiable")
        return max(size - length, 0), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        raise ApiError(416, f"Range outside the file of {size} bytes.", "RangeNotSatisfiable")
    return start, end


def _stream_size(stream: BinaryIO) -> int | None:
    try:
        size = stream.seek(0, 2)
        stream.seek(0)
        return size
    except (OSError, ValueError, AttributeError):
        return None


async def _off_loop(handler: OperationHandler, fn: Callable[[Store], Any]) -> Any:
    app = handler.mlws
    return await asyncio.to_thread(lambda: fn(app.store))


async def send_stream(handler: OperationHandler, stream: BinaryIO, content_type: str,
                      recorded_size: int | None, ranges: bool) -> None:
    """Stream ``stream`` out in chunks; a single ``Range`` is honoured when ``ranges``."""
    try:
        size = await asyncio.to_thread(_stream_size, stream)
        if size is None:
            size = recorded_size or 0
        handler.file_size = size
        byte_range = parse_range(handler.request.headers.get("Range"), size) if ranges else None
        start, end = byte_range or (0, size)
        handler.set_header("Content-Type", content_type)
        handler.set_header("X-Content-Type-Options", "nosniff")
        if ranges:
            handler.set_header("Accept-Ranges", "bytes")
        if byte_range is not None:
            handler.set_status(206)
            handler.set_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            await asyncio.to_thread(stream.seek, start)
        handler.set_header("Content-Length", str(end - start))
        remaining = end - start
        try:
            while remaining > 0:
                chunk = await asyncio.to_thread(stream.read, min(CHUNK_SIZE, remaining))
                if not chunk:
                    break
                handler.write(chunk)
                remaining -= len(chunk)
                await handler.flush()
        except StreamClosedError:
            return  # the client went away mid-download
        except CorruptArtifactError as exc:
            if not handler._headers_written:
                raise
            # Found at the end (the stream checks its hash before handing out the last
            # bytes): the status is out already, so cut the body short. The client sees fewer
            # bytes than Content-Length, never the whole of a damaged file.
            handler.log.error("Not serving the rest of a damaged artifact: %s", exc)
            handler.request.connection.close()  # type: ignore[union-attr]
            return
        handler.finish()
    finally:
        await asyncio.to_thread(stream.close)


async def download_artifact(handler: OperationHandler, op: Operation, request: Request) -> None:
    run_id, path = request.params["run_id"], request.params["path"]
    # Artifacts are user content served from the Jupyter origin: never let them script.
    handler.set_header("Content-Security-Policy", handler.content_security_policy + "; sandbox")
    stream = await _off_loop(handler, lambda s: op.execute(s, request))
    content_type, size = await _off_loop(handler,
                                         lambda s: artifact_content_type(s, run_id, path))
    await send_stream(handler, stream, content_type, size, ranges=True)


async def download_snapshot_file(handler: OperationHandler, op: Operation,
                                 request: Request) -> None:
    stream = await _off_loop(handler, lambda s: op.execute(s, request))
    await send_stream(handler, stream, "application/octet-stream", None, ranges=False)


def write_zip(store: Store, run_id: str, records: list[ArtifactRecord],
              sink: ThreadWriter) -> None:
    """Runs on a worker thread; ``sink`` hands bytes to the event loop."""
    error: BaseException | None = None
    try:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=1) as archive:
            for record in records:
                stored = record.path.lower().endswith(_STORED_SUFFIXES)
                info = zipfile.ZipInfo(
                    record.path, time.localtime(record.created_time or time.time())[:6])
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                info.file_size = record.size  # lets zipfile pick zip64 up front for big files
                with store.open_artifact(run_id, record.path) as source, \
                        archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, CHUNK_SIZE)
    except BaseException as exc:
        error = exc
    sink.close_writer(error)


async def download_zip(handler: OperationHandler, op: Operation, request: Request) -> None:
    run_id = request.params["run_id"]
    prefix = request.query.prefix  # type: ignore[union-attr]
    records = await _off_loop(handler, lambda s: s.list_artifacts(run_id, prefix))
    app = handler.mlws
    sink = ThreadWriter(asyncio.get_running_loop())
    done = run_in_thread(lambda: write_zip(app.store, run_id, records, sink))
    handler.set_header("Content-Type", "application/zip")
    handler.set_header("Content-Disposition", f'attachment; filename="{run_id}.zip"')
    chunks: Any = sink.chunks()
    try:
        async for chunk in chunks:
            handler.write(chunk)
            await handler.flush()
    except StreamClosedError:
        await sink.cancel()
        await done
        return
    except Exception as exc:
        # Headers and part of the body may be out already: all we can do is cut the
        # response short so the client sees a truncated (invalid) zip, not a valid one.
        handler.log.warning("Building the zip of run %s failed: %s", run_id, exc)
        await done
        if handler._headers_written:
            handler.request.connection.close()  # type: ignore[union-attr]
            return
        if isinstance(exc, StoreError):
            raise api_error(exc) from exc
        raise
    await done
    handler.finish()


FileTransport = Callable[["OperationHandler", Operation, Request], Awaitable[None]]
FILE_TRANSPORTS: dict[str, FileTransport] = {
    "downloadArtifact": download_artifact,
    "getSnapshotFile": download_snapshot_file,
    "downloadArtifactsZip": download_zip,
}


# --------------------------------------------------------------------------- uploads


class Upload:
    """A streamed request body on its way into the store: ``begin`` before the first chunk
    (in ``prepare``), ``feed`` per chunk, ``finish`` for the answer's body; ``abort`` when the
    body is cut short (size limit, client gone), ``close`` when the request ends."""

    def __init__(self, handler: OperationHandler, request: Request) -> None:
        self.handler = handler
        self.request = request
        self.received = 0

    async def begin(self) -> None: ...

    async def feed(self, chunk: bytes) -> None: ...

    async def finish(self) -> Any: ...

    async def abort(self, reason: str) -> None:
        self.abort_now(reason)

    def abort_now(self, reason: str) -> None: ...

    def close(self) -> None: ...


class ArtifactUpload(Upload):
    """Chunks go through a bounded pipe that ``Store.upload_artifact`` reads on its own
    thread, so a slow store slows the client down instead of filling memory."""

    _pipe: UploadPipe | None = None
    _future: asyncio.Future[Any] | None = None

    def write(self, store: Store, source: BinaryIO) -> Any:
        """The store call that reads the pipe (on its own thread)."""
        params = self.request.params
        return store.upload_artifact(params["run_id"], params["path"], source,
                                     overwrite=bool(getattr(self.request.query, "overwrite",
                                                            False)))

    async def begin(self) -> None:
        app = self.handler.mlws
        pipe = self._pipe = UploadPipe()
        self._future = run_in_thread(lambda: self.write(app.store, pipe),
                                     on_done=pipe.consumer_done.set)
        # An aborted upload's error is expected; mark it retrieved so asyncio does not log it.
        self._future.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def feed(self, chunk: bytes) -> None:
        assert self._pipe is not None
        await self._pipe.feed(chunk)

    async def finish(self) -> Any:
        assert self._pipe is not None and self._future is not None
        await self._pipe.finish()
        try:
            return await self._future
        except StoreError as exc:
            raise api_error(exc) from exc

    async def abort(self, reason: str) -> None:
        self.abort_now(reason)
        if self._future is not None:
            # Answer only once the store has rolled the partial upload back.
            await asyncio.wait([self._future])

    def abort_now(self, reason: str) -> None:
        if self._pipe is not None and not self._pipe.consumer_done.is_set():
            self._pipe.abort(reason)


class BlobUpload(Upload):
    """The blob goes to a temporary file, then ``Store.put_snapshot_blob`` checks it against
    its name while storing it."""

    _file: Any = None

    async def begin(self) -> None:
        # Closed and removed by close(), not by a with-block: it spans callbacks.
        self._file = tempfile.NamedTemporaryFile(prefix="mlws-blob-", delete=False)  # noqa: SIM115

    async def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        self._file.write(chunk)

    async def finish(self) -> Any:
        if self._file is None:
            raise ApiError(400, "The upload was aborted.")
        self._file.close()
        workspace_id, sha = self.request.params["workspace_id"], self.request.params["sha256"]
        name = self._file.name

        def put(store: Store) -> None:
            with open(name, "rb") as stream:
                store.put_snapshot_blob(workspace_id, sha, stream)

        await _off_loop(self.handler, put)
        return {"sha256": sha, "size": self.received}

    def abort_now(self, reason: str) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            os.unlink(self._file.name)
            self._file = None


UPLOADS: dict[str, type[Upload]] = {"uploadArtifact": ArtifactUpload, "uploadBlob": BlobUpload}


__all__ = ["CHUNK_SIZE", "FILE_TRANSPORTS", "UPLOADS", "ArtifactUpload", "BlobUpload",
           "Upload", "parse_range", "send_stream", "write_zip"]
