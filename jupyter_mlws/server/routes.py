"""The tornado routes of the API, generated from the operation table.

One handler class per path; each request runs the same pipeline, driven by its row:

1. ``prepare`` (before a byte of the body is read): jupyter-server's authentication and XSRF
   check, 401 for a request without a user (before anything else of it is looked at, so an
   anonymous caller gets 401 whatever its parameters), its ``Authorizer`` on resource
   ``mlws``, the body cap (``Content-Length`` above the row's ``max_body`` is 413), path and
   query validation, and the authorization point (``authz.py``) with the row's action and
   scope;
2. the body, streamed in: collected up to the cap (JSON, bytes) or handed chunk by chunk to
   an upload (``files.py``);
3. the method: the body validated by the row's model, the store method (or the server service
   or file transport the row names) called off the event loop, the answer shaped (off the loop
   too, with its JSON text, unless a listing is filtered for the caller) and sent.

A request refused before its body was read is answered from the method, after its body (if
any, and small: ``DRAIN_LIMIT_BYTES``) has been read and dropped: answering from ``prepare``
makes tornado close the connection, which a client that reuses it sees as a reset. Larger
bodies are refused at once, without reading them, with ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, ClassVar

from jupyter_core.utils import ensure_async
from tornado.web import HTTPError, stream_request_body

from ..api.operation import API_PREFIX, Operation, Request
from ..api.table import OPERATIONS
from ..api.types import PATH_PARAMS
from ..exceptions import AzureMLException
from ..store.codec import dumps
from . import datastores, files
from .authz import AUTH_RESOURCE, JUPYTER_VERBS, require_user
from .base import ApiError, MlwsHandler, api_error
from .files import Upload
from .live import LiveHandler
from .services import SERVICES

# File operations by id: downloads sent by a transport, streamed uploads.
FILE_TRANSPORTS = {**files.FILE_TRANSPORTS,
                   "downloadDatastoreFile": datastores.download_datastore_file}
UPLOADS: dict[str, type[Upload]] = {**files.UPLOADS,
                                    "uploadDatastoreFile": datastores.DatastoreUpload}

# A refused body up to this size is read and dropped before the error is answered.
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024
NO_BODY_LIMIT = 64 * 1024  # what a request without a body may still send
PARSE_INLINE_BYTES = 64 * 1024  # larger JSON bodies are parsed off the event loop


@stream_request_body
class OperationHandler(MlwsHandler):
    """The handler of one path; ``operations`` maps its HTTP methods to their rows."""

    operations: ClassVar[dict[str, Operation]] = {}
    _op: Operation | None = None
    _request: Request | None = None
    _refused: HTTPError | None = None
    _upload: Upload | None = None
    _limit = 0
    _received = 0
    _close_connection = False  # the answer comes before the body was read

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self._chunks: list[bytes] = []

    # ---- 1. before the body
    async def prepare(self) -> None:  # type: ignore[override]
        self._op = self.operations.get(self.request.method or "")
        try:
            await super().prepare()
            if self._op is not None:
                await self._admit(self._op)
        except HTTPError as exc:
            self._refuse(exc)
        except AzureMLException as exc:
            self._refuse(api_error(exc))

    async def _admit(self, op: Operation) -> None:
        user = self.current_user
        require_user(user)  # 401 first: nothing of the request is looked at for nobody
        allowed = await ensure_async(self.authorizer.is_authorized(
            self, user, JUPYTER_VERBS[op.verb], AUTH_RESOURCE))
        if not allowed:
            raise ApiError(403, f"Not allowed to {JUPYTER_VERBS[op.verb]} mlws.", "Forbidden")
        limit = (op.max_body if op.max_body is not None else self.mlws.max_upload_bytes) \
            if op.body_kind != "none" else NO_BODY_LIMIT
        self._limit = limit
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise self._too_large()
        # Chunked bodies: our own count answers 413 (data_received); tornado's limit, checked
        # per chunk header, only has to stay out of the way.
        self.request.connection.set_max_body_size(limit + 1024 * 1024)  # type: ignore[union-attr]
        names = op.path_names
        request = Request(params=op.parse_params(dict(zip(names, self.path_args, strict=True))),
                          query=op.parse_query({name: self.get_query_arguments(name)
                                                for name in self.request.query_arguments}),
                          actor=self.identity)
        self._request = request
        if op.scope != "runs":  # those name their runs in the body: checked once it is read
            await self.mlws.authz.check(user, op, request)
        if op.body_kind == "stream":
            self._upload = UPLOADS[op.id](self, request)
            await self._upload.begin()

    def _too_large(self) -> ApiError:
        return ApiError(413, f"This operation accepts bodies of at most {self._limit} bytes.",
                        "PayloadTooLarge")

    def _refuse(self, exc: HTTPError) -> None:
        """Answer ``exc`` from the method, once the (small or absent) body has been read:
        answering from ``prepare`` makes tornado close the connection, which a client reusing
        it sees as a reset. A large body is refused at once, and the connection closed."""
        length = self.request.headers.get("Content-Length")
        chunked = "chunked" in self.request.headers.get("Transfer-Encoding", "").lower()
        if (length is None and not chunked) or (
                length is not None and length.isdigit() and int(length) <= DRAIN_LIMIT_BYTES):
            self._refused = exc
            self.request.connection.set_max_body_size(DRAIN_LIMIT_BYTES)  # type: ignore[union-attr]
            return
        self._close_connection = True
        raise exc

    # ---- 2. the body
    async def data_received(self, chunk: bytes) -> None:
        if self._refused is not None or self._finished or self._op is None:
            return  # drained
        self._received += len(chunk)
        if self._received > self._limit:
            if self._upload is not None:
                await self._upload.abort("upload too large")
            self._refused = self._too_large()
            self._close_connection = True
            self.send_error(413, exc_info=(ApiError, self._refused, None))
            return
        if self._upload is not None:
            await self._upload.feed(chunk)
        else:
            self._chunks.append(chunk)

    def on_connection_close(self) -> None:
        if self._upload is not None and not self._finished:
            self._upload.abort_now("client went away")
        super().on_connection_close()

    def on_finish(self) -> None:
        if self._upload is not None:
            self._upload.close()

    # ---- store and SDK calls, off the event loop; their errors become HTTP errors
    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except AzureMLException as exc:
            raise api_error(exc) from exc

    async def call_store(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(store, *args)`` with this server's store."""
        app = self.mlws
        return await self.call(lambda: fn(app.store, *args))

    # ---- 3. the method
    async def _run(self) -> None:
        if self._finished:
            return  # already answered (413 while reading)
        if self._refused is not None:
            raise self._refused
        op, request = self._op, self._request
        assert op is not None and request is not None
        try:
            await self._answer(op, request)
        except AzureMLException as exc:
            raise api_error(exc) from exc

    async def _answer(self, op: Operation, request: Request) -> None:
        if op.body_kind == "json":
            raw = b"".join(self._chunks)
            request.body = (op.parse_body(raw) if len(raw) <= PARSE_INLINE_BYTES
                            else await asyncio.to_thread(op.parse_body, raw))
        elif op.body_kind == "bytes":
            request.body = b"".join(self._chunks)
        if op.scope == "runs" or (op.resource_name is not None and op.body_kind == "json"):
            # What the body names (its runs, a new asset's name) is checked once it is known.
            await self.mlws.authz.check(self.current_user, op, request)
        if self._upload is not None:
            self.send_json(await self._upload.finish(), status=op.status)
            return
        if op.id in FILE_TRANSPORTS:
            await FILE_TRANSPORTS[op.id](self, op, request)
            return
        if op.id in SERVICES:
            body = await SERVICES[op.id](self, request)
        else:
            app = self.mlws
            if op.item_workspace is None and op.response_kind != "empty":
                # Store call, shape and JSON text in one trip off the event loop: a large
                # answer (a million-point series) never holds up other requests.
                text = await self.call(lambda: dumps(op.invoke(app.store, request)))
                self.send_json_text(text, status=op.status)
                return
            result = await self.call(lambda: op.execute(app.store, request))
            if op.item_workspace is not None:
                result = app.authz.visible(self.current_user, op, result)
            body = op.answer(result, request)
        if op.response_kind == "empty":
            self.set_status(op.status)
            self.finish()
        else:
            self.send_json(body, status=op.status)

    async def get(self, *args: Any) -> None:
        await self._run()

    async def post(self, *args: Any) -> None:
        await self._run()

    async def put(self, *args: Any) -> None:
        await self._run()

    async def patch(self, *args: Any) -> None:
        await self._run()

    async def delete(self, *args: Any) -> None:
        await self._run()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if self._upload is not None:
            self._upload.abort_now("the request failed")
        if self._close_connection:
            self.set_header("Connection", "close")  # so no client reuses it
        size = getattr(self, "file_size", None)
        if status_code == 416 and size is not None:
            # send_error cleared the headers: tell the client the real size again (RFC 9110).
            self.set_header("Content-Range", f"bytes */{size}")
        super().write_error(status_code, **kwargs)


def route_pattern(path: str) -> str:
    """The tornado pattern of a table path: ids and names are one segment; artifact paths
    and metric names may hold '/' (they are validated, never trusted from the pattern)."""
    def group(match: re.Match[str]) -> str:
        return "(.+)" if PATH_PARAMS[match.group(1)].spans_slashes else "([^/]+)"

    # Table paths hold letters, digits, "/", "-", "_", "." and {names}: only "." is special.
    return API_PREFIX + re.sub(r"\{(\w+)\}", group, path.replace(".", r"\."))


def build_routes() -> list[tuple[str, Any]]:
    """One route per path of the table (most literal characters first, so that
    ``artifacts/zip`` wins over ``artifacts/content/(.+)``)."""
    by_path: dict[str, dict[str, Operation]] = {}
    for op in OPERATIONS:
        by_path.setdefault(op.path, {})[op.method] = op
    routes: list[tuple[str, Any]] = []
    for path, operations in by_path.items():
        if any(op.response_kind == "websocket" for op in operations.values()):
            routes.append((route_pattern(path), LiveHandler))
            continue
        name = "".join(part.title() for part in re.findall(r"[a-z]+", path)) + "Handler"
        allowed = (*operations, "OPTIONS")
        handler = type(name, (OperationHandler,), {"operations": operations,
                                                   "SUPPORTED_METHODS": allowed})
        routes.append((route_pattern(path), handler))
    routes.sort(key=lambda route: -len(re.sub(r"\(.*?\)", "", route[0])))
    return routes


def check_table() -> None:
    """Every row is served: a store method, a server service, a file transport, an upload or
    the live socket. Called at start-up, so a row nobody implements stops the server."""
    for op in OPERATIONS:
        served = (op.store is not None and op.response_kind != "file"
                  and op.body_kind != "stream") or op.id in SERVICES \
            or op.id in FILE_TRANSPORTS or op.id in UPLOADS or op.response_kind == "websocket"
        if not served:
            raise RuntimeError(f"operation {op.id} of the table has no implementation")


__all__ = ["DRAIN_LIMIT_BYTES", "OperationHandler", "build_routes", "check_table",
           "route_pattern"]
