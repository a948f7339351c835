"""The live channel: a WebSocket under the API prefix through which a browser subscribes to a
workspace, an experiment or a run and receives status changes, new runs, metric deltas, new
files and new log lines. The protocol is documented in docs/internals.md ("Live channel") and
the OpenAPI document; the store polling behind it is ``live_poller.py``.

Authentication is jupyter-server's, as for its own kernel WebSockets: token (header or
``?token=``) or login cookie, the Origin checked for cookie-authenticated connections (the
WebSocket form of XSRF protection), then jupyter-server's Authorizer on resource ``mlws``.
The upgrade and each subscription then pass the one authorization point
(``authz.AuthorizationPoint``) with the actions of the table's rows reading the same data;
client messages are validated by the table's models (``api/live.py``).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import ValidationError
from tornado.web import HTTPError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..api.live import LiveClientMessage, LiveSubscribe
from ..api.operation import Request, describe
from ..api.table import operation
from ..store.base import StoreError
from ..store.codec import dumps
from .authz import AUTH_RESOURCE, AuthorizationError, MlwsResource
from .base import error_body
from .live_poller import LivePoller, Message, Subscription

MAX_QUEUED_BYTES = 16 * 1024 * 1024  # a client this far behind is disconnected
MAX_QUEUED_MESSAGES = 10_000
MAX_SUBSCRIPTIONS = 64  # per connection
CLOSE_TOO_SLOW = 1008  # policy violation: the client does not keep up
_POLLER_SETTING = "jupyter_mlws_live_poller"


class SendQueue:
    """Messages waiting for one WebSocket, bounded in bytes and count.

    Each write is awaited before the next one starts, so the backlog is visible here instead
    of growing unseen in the socket's buffer; ``put`` returns False once a bound is crossed and
    the caller disconnects the slow client."""

    def __init__(self, write: Callable[[str], Awaitable[None]],
                 max_bytes: int = MAX_QUEUED_BYTES,
                 max_messages: int = MAX_QUEUED_MESSAGES) -> None:
        self._write = write
        self.max_bytes = max_bytes
        self.max_messages = max_messages
        self._items: deque[str] = deque()
        self.queued_bytes = 0
        self._ready = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._drain())

    def put(self, text: str) -> bool:
        if (self.queued_bytes + len(text) > self.max_bytes
                or len(self._items) >= self.max_messages):
            return False
        self._items.append(text)
        self.queued_bytes += len(text)
        self._ready.set()
        return True

    async def _drain(self) -> None:
        while True:
            await self._ready.wait()
            while self._items:
                text = self._items.popleft()
                self.queued_bytes -= len(text)
                try:
                    await self._write(text)
                except WebSocketClosedError:
                    return
            self._ready.clear()

    def close(self) -> None:
        self._task.cancel()
        self._items.clear()
        self.queued_bytes = 0


def poller_of(settings: dict[str, Any], make: Callable[[], LivePoller]) -> LivePoller:
    """The one poller of this server, kept in the tornado application settings."""
    poller = settings.get(_POLLER_SETTING)
    if poller is None:
        poller = settings[_POLLER_SETTING] = make()
    return poller


class SubscribeError(Exception):
    """A subscribe/unsubscribe request the client gets an ``error`` message for."""


class LiveHandler(WebSocketMixin, WebSocketHandler, ExtensionHandlerMixin,  # type: ignore[misc]
                  JupyterHandler):
    """``GET {base_url}mlws/api/v1/live`` upgraded to a WebSocket."""

    auth_resource = AUTH_RESOURCE
    _queue: SendQueue | None = None
    _subs: dict[str, Subscription]

    def set_default_headers(self) -> None:
        """JupyterHandler's HTML/CSP headers mean nothing on a WebSocket upgrade."""

    def get_compression_options(self) -> dict[str, Any] | None:
        return self.settings.get("websocket_compression_options", None)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Refused upgrades answer JSON like every REST route."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(error_body(status_code, exc)))

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        allowed = await ensure_async(self.authorizer.is_authorized(
            self, self.current_user, "read", self.auth_resource))
        if not allowed:
            raise HTTPError(403, "Not allowed to read mlws.")
        # The one authorization point, with the live channel's row of the table.
        await self.extensionapp.authz.check(self.current_user, operation("liveChannel"),
                                            Request(params={}))  # type: ignore[attr-defined]
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            raise HTTPError(400, 'This route only upgrades to "WebSocket".')
        await ensure_async(super().get(*args, **kwargs))

    @property
    def poller(self) -> LivePoller:
        app = self.extensionapp
        return poller_of(self.settings, lambda: LivePoller(lambda: app.store, log=self.log))

    # ---- connection
    def open(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().open(*args, **kwargs)
        self._subs = {}
        self._queue = SendQueue(self.write_message)  # type: ignore[arg-type]

    def on_close(self) -> None:
        for sub in getattr(self, "_subs", {}).values():
            self.poller.remove(sub)
        self._subs = {}
        if self._queue is not None:
            self._queue.close()

    def send(self, message: Message) -> None:
        if self._queue is None or self.ws_connection is None:
            return
        if not self._queue.put(dumps(message)):
            self.log.warning("jupyter_mlws live client too slow: disconnecting")
            self.on_close()  # stop producing before the close handshake completes
            self.close(CLOSE_TOO_SLOW, "client too slow")

    # ---- Delivery (called by the poller on the event loop)
    def deliver(self, sub: Subscription, message: Message) -> None:
        if self._subs.get(sub.sub_id) is sub:
            self.send(message)

    def ended(self, sub: Subscription) -> None:
        if self._subs.get(sub.sub_id) is sub:
            del self._subs[sub.sub_id]

    # ---- client messages
    async def on_message(self, message: str | bytes) -> None:
        sub_id: Any = None
        try:
            try:
                request = json.loads(message)
            except (ValueError, RecursionError) as exc:
                raise SubscribeError("Message is not valid JSON.") from exc
            if isinstance(request, dict) and isinstance(request.get("id"), str) and \
                    0 < len(request["id"]) <= 128:
                sub_id = request["id"]  # errors about the rest go to this subscription
            try:
                parsed = LiveClientMessage.model_validate(request).root
            except ValidationError as exc:
                raise SubscribeError(describe(exc, "message")) from None
            if isinstance(parsed, LiveSubscribe):
                await self._subscribe(parsed)
            else:
                sub = self._subs.pop(parsed.id, None)
                if sub is None:
                    raise SubscribeError(f"No subscription {parsed.id!r}.")
                self.poller.remove(sub)
                self.send({"type": "unsubscribed", "sub": parsed.id})
        except SubscribeError as exc:
            self.send({"type": "error", "sub": sub_id, "message": str(exc)})

    async def _subscribe(self, request: LiveSubscribe) -> None:
        sub_id, workspace_id, run_id = request.id, request.workspace_id, request.run_id
        if sub_id in self._subs:
            raise SubscribeError(f"Subscription {sub_id!r} exists already.")
        if len(self._subs) >= MAX_SUBSCRIPTIONS:
            raise SubscribeError(f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection.")
        sub = Subscription(client=self, sub_id=sub_id, workspace_id=workspace_id,
                           run_id=run_id, include_children=request.include_children,
                           metrics=frozenset(request.metrics) if request.metrics is not None
                           else None, metric_cursors=dict(request.since or {}))
        if run_id:
            # What the same reads over REST need: the run, its metrics, its files and logs.
            self._authorize("getRun", "run", workspace_id, run_id)
            self._authorize("listMetrics", "metric", workspace_id, run_id)
            self._authorize("listArtifacts", "artifact", workspace_id, run_id)
            for path in request.logs or []:
                self._authorize("tailLog", "artifact", workspace_id, path)
            record = await self._store_call(lambda s: s.get_run(run_id, workspace_id))
            if record.workspace_id != workspace_id:
                raise SubscribeError(f"Run {run_id} not found in workspace {workspace_id}.")
            offsets = request.log_offsets or {}
            sub.log_offsets = {path: offsets.get(path, 0) for path in request.logs or []}
        elif request.experiment:
            experiment = request.experiment
            self._authorize("getExperiment", "experiment", workspace_id, experiment)
            self._authorize("searchRuns", "run", workspace_id, None)
            record = await self._store_call(
                lambda s: s.get_experiment_by_name(workspace_id, experiment))
            sub.experiment_id = record.id
        else:
            self._authorize("getWorkspace", "workspace", workspace_id, None)
            self._authorize("searchRuns", "run", workspace_id, None)
            await self._store_call(lambda s: s.get_workspace_by_id(workspace_id))
        if self.ws_connection is None or sub_id in self._subs:
            return  # closed, or the same id subscribed while the store was being asked
        self._subs[sub_id] = sub
        self.poller.add(sub)

    def _authorize(self, operation_id: str, kind: str, workspace_id: str,
                   name: str | None) -> None:
        op = operation(operation_id)
        resource = MlwsResource(kind, workspace_id, name, op.full_action, op.id)
        try:
            self.extensionapp.authz.check_resource(  # type: ignore[attr-defined]
                self.current_user, op.verb, resource)
        except AuthorizationError as exc:
            raise SubscribeError(exc.message) from exc

    async def _store_call(self, fn: Callable[[Any], Any]) -> Any:
        store_app = self.extensionapp
        try:
            return await asyncio.to_thread(lambda: fn(store_app.store))
        except StoreError as exc:
            raise SubscribeError(str(exc)) from exc
