"""Artifacts of a run: the tree, content download (with HTTP ranges) and upload, both
streamed in chunks, and the live tail of a log."""

from __future__ import annotations

import asyncio
import codecs
import mimetypes
import re
from typing import Any, BinaryIO

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.web import stream_request_body

from ..store.base import ArtifactRecord, CorruptArtifactError, InvalidInputError, StoreError
from ..store.serialize import build_tree
from .authz import MlwsResource
from .base import (
    ApiError,
    MlwsHandler,
    bad_request,
    check_artifact_path,
    check_id,
    store_error_to_http,
)
from .streams import UploadPipe, run_in_thread

CHUNK_SIZE = 512 * 1024
LOG_READ_DEFAULT = 1024 * 1024
LOG_READ_MAX = 8 * 1024 * 1024
CHUNKED_SLACK = 16 * 1024 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def prefix_param(handler: MlwsHandler) -> str | None:
    """``?prefix=`` normalized like a path; a trailing '/' (a folder) is kept."""
    from ..store.paths import normalize_prefix

    try:
        return normalize_prefix(handler.query_str("prefix"))
    except InvalidInputError as exc:
        raise bad_request(f"Invalid prefix: {exc}") from exc


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


async def list_run_artifacts(handler: MlwsHandler, workspace_id: str,
                             run_id: str) -> list[ArtifactRecord]:
    """The run's artifacts under ``?prefix=``, once the caller may read them."""
    prefix = prefix_param(handler)
    handler.authorize("read", MlwsResource("artifact", workspace_id, run_id))
    await handler.load_run(workspace_id, run_id)
    return await handler.call(handler.store.list_artifacts, run_id, prefix)


class ArtifactsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str) -> None:
        records = await list_run_artifacts(self, workspace_id, run_id)
        self.send_json({"artifacts": records, "tree": build_tree(records)})


@stream_request_body
class ArtifactContentHandler(MlwsHandler):
    """GET streams a file (Range aware); PUT streams the request body into the store."""

    _pipe: UploadPipe | None = None
    _upload: asyncio.Future[Any] | None = None
    _received = 0
    _size: int | None = None

    @property
    def content_security_policy(self) -> str:
        # Artifacts are user content served from the Jupyter origin: never let them script.
        return super().content_security_policy + "; sandbox"

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.request.method == "PUT":
            # The body has not arrived yet: reject early, before reading a byte of it.
            await self.run_upload_checks(self._begin_upload)

    async def _begin_upload(self) -> None:
        await self.require_upload_write()
        workspace_id, run_id, raw_path = self.path_args
        path = check_artifact_path(self.decode_argument(raw_path))
        self.authorize("write", MlwsResource("artifact", workspace_id, path))
        limit = self.mlws.max_upload_bytes
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise ApiError(413, f"Uploads are limited to {limit} bytes.", "PayloadTooLarge")
        await self.load_run(workspace_id, run_id)
        overwrite = self.query_bool("overwrite", False)
        # Our own count answers 413 (see data_received); tornado's limit, checked per chunk
        # header of a chunked body, only has to stay out of the way for ordinary chunk sizes.
        self.request.connection.set_max_body_size(  # type: ignore[union-attr]
            limit + CHUNKED_SLACK)
        pipe = self._pipe = UploadPipe()
        self._upload = run_in_thread(
            lambda: self.store.upload_artifact(run_id, path, pipe, overwrite=overwrite),
            on_done=pipe.consumer_done.set)
        # An aborted upload's error is expected; mark it retrieved so asyncio does not log it.
        self._upload.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def data_received(self, chunk: bytes) -> None:
        if self._pipe is None or self._finished:
            return
        self._received += len(chunk)
        if self._received > self.mlws.max_upload_bytes:
            self._pipe.abort("upload too large")
            if self._upload is not None:
                # Answer only once the store has rolled the partial upload back.
                await asyncio.wait([self._upload])
            self.send_error(413, exc_info=(ApiError, ApiError(
                413, f"Uploads are limited to {self.mlws.max_upload_bytes} bytes.",
                "PayloadTooLarge"), None))
            return
        await self._pipe.feed(chunk)

    def on_connection_close(self) -> None:
        if self._pipe is not None and not self._finished:
            self._pipe.abort("client went away")
        super().on_connection_close()

    @web.authenticated
    @authorized
    async def put(self, workspace_id: str, run_id: str, path: str) -> None:
        self.raise_deferred_upload_error()
        if self._finished or self._pipe is None or self._upload is None:
            return  # already answered (413) from data_received
        await self._pipe.finish()
        try:
            record = await self._upload
        except StoreError as exc:
            raise store_error_to_http(exc) from exc
        self.send_json(record, status=201)

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str, path: str) -> None:
        path = check_artifact_path(path)
        self.authorize("read", MlwsResource("artifact", workspace_id, path))
        await self.load_run(workspace_id, run_id)
        stream = await self.call(self.store.open_artifact, run_id, path)
        try:
            await self._send_stream(stream, run_id, path)
        finally:
            await asyncio.to_thread(stream.close)

    async def _content_type(self, run_id: str, path: str) -> tuple[str, int | None]:
        records = await self.call(self.store.list_artifacts, run_id, path)
        for record in records:
            if record.path == path:
                return record.content_type, record.size
        guessed = mimetypes.guess_type(path)[0]
        return guessed or "application/octet-stream", None

    async def _send_stream(self, stream: BinaryIO, run_id: str, path: str) -> None:
        content_type, recorded_size = await self._content_type(run_id, path)
        if content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(path)[0] or content_type
        size = await asyncio.to_thread(_stream_size, stream)
        if size is None:
            size = recorded_size or 0
        self._size = size
        byte_range = parse_range(self.request.headers.get("Range"), size)
        start, end = byte_range or (0, size)
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        if byte_range is not None:
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            await asyncio.to_thread(stream.seek, start)
        self.set_header("Content-Length", str(end - start))
        remaining = end - start
        try:
            while remaining > 0:
                chunk = await asyncio.to_thread(stream.read, min(CHUNK_SIZE, remaining))
                if not chunk:
                    break
                self.write(chunk)
                remaining -= len(chunk)
                await self.flush()
        except StreamClosedError:
            return  # the client went away mid-download
        except CorruptArtifactError as exc:
            # Found at the end (the stream checks its hash before handing out the last
            # bytes): the status is out already, so cut the body short. The client sees fewer
            # bytes than Content-Length, never the whole of a damaged file.
            self.log.error("Not serving the rest of a damaged artifact: %s", exc)
            self.request.connection.close()  # type: ignore[union-attr]
            return
        self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 416 and self._size is not None:
            # send_error cleared the headers: tell the client the real size again (RFC 9110).
            self.set_header("Content-Range", f"bytes */{self._size}")
        super().write_error(status_code, **kwargs)


class LogTailHandler(MlwsHandler):
    """``{data, offset}``: text from ``offset`` on and the offset to ask for next. A UTF-8
    sequence cut by the writer mid-flush stays for the next call instead of turning into U+FFFD."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str, path: str) -> None:
        path = check_artifact_path(path)
        offset = self.query_int("offset", 0, minimum=0) or 0
        max_bytes = self.query_int("max_bytes", LOG_READ_DEFAULT, minimum=1,
                                   maximum=LOG_READ_MAX) or LOG_READ_DEFAULT
        self.authorize("read", MlwsResource("artifact", workspace_id, path))
        check_id(run_id, "run id")
        await self.load_run(workspace_id, run_id)
        stream = await self.call(self.store.open_artifact, run_id, path)
        try:
            data, size = await asyncio.to_thread(_read_from, stream, offset, max_bytes)
        finally:
            await asyncio.to_thread(stream.close)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        text = decoder.decode(data, final=False)
        pending = len(decoder.getstate()[0])
        new_offset = min(offset, size) + len(data) - pending
        self.send_json({"data": text, "offset": new_offset, "size": size})


def _read_from(stream: BinaryIO, offset: int, max_bytes: int) -> tuple[bytes, int]:
    size = _stream_size(stream)
    if size is None:  # not seekable: read through
        content = stream.read()
        return content[offset:offset + max_bytes], len(content)
    stream.seek(min(offset, size))
    return stream.read(max_bytes), size
