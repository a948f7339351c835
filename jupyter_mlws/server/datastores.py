"""Datastores over REST: the list (records without credentials), the write-only secret, and
the files of a datastore (list, info, ranged download, streamed upload, delete), which is how
the HTTP store reaches datastore files: credentials never leave the server.

Authorization: resource kind ``datastore`` named by the datastore, actions ``read`` (list,
info, download), ``write`` (upload, secret), ``delete``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.web import stream_request_body

from ..store.base import StoreError
from ..store.data import files as data_files
from ..store.data import registry
from .authz import MlwsResource
from .base import ApiError, MlwsHandler, bad_request, check_fields, check_id, store_error_to_http
from .files import CHUNK_SIZE, CHUNKED_SLACK, parse_range
from .streams import UploadPipe, run_in_thread


def check_datastore(value: str) -> str:
    try:
        return registry.check_datastore_name(value)
    except StoreError as exc:
        raise bad_request(str(exc)) from exc


def public_spec(spec: dict[str, Any], default: str) -> dict[str, Any]:
    """A datastore record as REST shows it: never a credential (those are not in specs)."""
    shown = {k: v for k, v in spec.items() if k not in ("storage_options", "subpath")}
    shown["is_default"] = spec.get("name", "").casefold() == default
    return shown


class DatastoresHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize("read", MlwsResource("datastore", workspace_id, None))
        await self.load_workspace(workspace_id)
        specs = await self.call(registry.list_datastore_specs, self.store, workspace_id)
        default = await self.call(registry.default_datastore_name, self.store, workspace_id)
        self.send_json({"datastores": [public_spec(s, default) for s in specs],
                        "default": default})


class DatastoreSecretHandler(MlwsHandler):
    """PUT stores the credentials (write-only: nothing ever reads them back over REST)."""

    @web.authenticated
    @authorized
    async def put(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        check_datastore(name)
        body = self.json_body()
        check_fields(body, {"secret"})
        self.authorize("write", MlwsResource("datastore", workspace_id, name))
        await self.load_workspace(workspace_id)
        await self.call(self.store.put_datastore_secret, workspace_id, name, body.get("secret"))
        self.set_status(204)
        self.finish()

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        check_datastore(name)
        self.authorize("delete", MlwsResource("datastore", workspace_id, name))
        await self.call(self.store.delete_datastore_secret, workspace_id, name)
        self.set_status(204)
        self.finish()


class DatastoreFilesHandler(MlwsHandler):
    """``?path=`` (a file or folder), ``recursive=``, or ``?glob=``: ``{"files": [...]}``."""

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        check_datastore(name)
        path = self.query_str("path", "") or ""
        glob = self.query_str("glob")
        recursive = self.query_bool("recursive", False)
        self.authorize("read", MlwsResource("datastore", workspace_id, name))
        dfs = await self.call(self.store.datastore_filesystem, workspace_id, name)
        entries = await self.call(data_files.list_entries, dfs, path, recursive=recursive,
                                  glob=glob)
        self.send_json({"files": entries})


class DatastoreFileInfoHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        check_datastore(name)
        path = self.query_str("path", "") or ""
        self.authorize("read", MlwsResource("datastore", workspace_id, name))
        dfs = await self.call(self.store.datastore_filesystem, workspace_id, name)
        self.send_json(await self.call(data_files.file_info, dfs, path))


@stream_request_body
class DatastoreFileHandler(MlwsHandler):
    """GET streams a file (Range aware), PUT streams the body into it, DELETE removes it."""

    _pipe: UploadPipe | None = None
    _upload: asyncio.Future[Any] | None = None
    _received = 0
    _size: int | None = None

    @property
    def content_security_policy(self) -> str:
        return super().content_security_policy + "; sandbox"

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.request.method == "PUT":
            await self.run_upload_checks(self._begin_upload)

    async def _begin_upload(self) -> None:
        await self.require_upload_write()
        workspace_id, name, raw_path = self.path_args
        check_id(workspace_id, "workspace id")
        check_datastore(self.decode_argument(name))
        path = self.decode_argument(raw_path)
        self.authorize("write", MlwsResource("datastore", workspace_id, name))
        limit = self.mlws.max_upload_bytes
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise ApiError(413, f"Uploads are limited to {limit} bytes.", "PayloadTooLarge")
        dfs = await self.call(self.store.datastore_filesystem, workspace_id, name)
        overwrite = self.query_bool("overwrite", False)
        self.request.connection.set_max_body_size(  # type: ignore[union-attr]
            limit + CHUNKED_SLACK)
        pipe = self._pipe = UploadPipe()
        self._upload = run_in_thread(
            lambda: data_files.write_file(dfs, path, pipe, overwrite=overwrite),
            on_done=pipe.consumer_done.set)
        self._upload.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def data_received(self, chunk: bytes) -> None:
        if self._pipe is None or self._finished:
            return
        self._received += len(chunk)
        if self._received > self.mlws.max_upload_bytes:
            self._pipe.abort("upload too large")
            if self._upload is not None:
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
    async def put(self, workspace_id: str, name: str, path: str) -> None:
        self.raise_deferred_upload_error()
        if self._finished or self._pipe is None or self._upload is None:
            return
        await self._pipe.finish()
        try:
            entry = await self._upload
        except StoreError as exc:
            raise store_error_to_http(exc) from exc
        self.send_json(entry, status=201)

    @web.authenticated
    @authorized
    async def delete(self, workspace_id: str, name: str, path: str) -> None:
        check_id(workspace_id, "workspace id")
        check_datastore(name)
        self.authorize("delete", MlwsResource("datastore", workspace_id, name))
        dfs = await self.call(self.store.datastore_filesystem, workspace_id, name)
        await self.call(data_files.delete_file, dfs, path)
        self.set_status(204)
        self.finish()

    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str, path: str) -> None:
        check_id(workspace_id, "workspace id")
        check_datastore(name)
        self.authorize("read", MlwsResource("datastore", workspace_id, name))
        dfs = await self.call(self.store.datastore_filesystem, workspace_id, name)
        stream, size = await self.call(data_files.open_file, dfs, path)
        try:
            self._size = size
            byte_range = parse_range(self.request.headers.get("Range"), size)
            start, end = byte_range or (0, size)
            self.set_header("Accept-Ranges", "bytes")
            self.set_header("Content-Type", "application/octet-stream")
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
                return
            self.finish()
        finally:
            await asyncio.to_thread(stream.close)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 416 and self._size is not None:
            self.set_header("Content-Range", f"bytes */{self._size}")
        super().write_error(status_code, **kwargs)
