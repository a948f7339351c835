"""The live channel: a WebSocket under the API prefix through which a browser subscribes to a
workspace, an experiment or a run and receives status changes, new runs, metric deltas, new
files and new log lines. The protocol is documented in docs/internals.md ("Live channel") and
the OpenAPI document; the store polling behind it is ``live_poller.py``.

Authentication is jupyter-server's, as for its own kernel WebSockets: token (header or
``?token=``) or login cookie, the Origin checked for cookie-authenticated connections (the
WebSocket form of XSRF protection), then jupyter-server's Authorizer on resource ``mlws``.
Each subscription then passes the same :func:`~jupyter_mlws.server.authz.authorize` as every
REST route.
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
from tornado.web import HTTPError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..store.base import InvalidInputError, StoreError
from ..store.serialize import dumps
from .authz import AUTH_RESOURCE, AuthorizationError, MlwsResource, authorize
from .base import EXPERIMENT_NAME_RE, ID_RE, METRIC_NAME_MAX
from .live_poller import LivePoller, Message, Subscription

MAX_QUEUED_BYTES = 16 * 1024 * 1024  # a client this far behind is disconnected
MAX_QUEUED_MESSAGES = 10_000
MAX_SUBSCRIPTIONS = 64  # per connection
MAX_NAMES = 1000  # metric names or log paths of one subscription
MAX_SUB_ID = 128
CLOSE_TOO_SLOW = 1008  # policy violation: the client does not keep up
_POLLER_SETTING = "jupyter_mlws_live_poller"
_SUBSCRIBE_FIELDS = {"op", "id", "workspace_id", "experiment", "run_id", "metrics", "logs",
                     "since", "log_offsets", "include_children"}


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
        message = (exc.log_message if isinstance(exc, HTTPError) and exc.log_message
                   else "Forbidden" if status_code == 403 else "Error")
        reason = getattr(exc, "error_reason", None) or {
            400: "InvalidInput", 401: "Unauthorized", 403: "Forbidden"}.get(status_code, "Error")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message, "reason": reason}))

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        allowed = await ensure_async(self.authorizer.is_authorized(
            self, self.current_user, "read", self.auth_resource))
        if not allowed:
            raise HTTPError(403, "Not allowed to read mlws.")
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
            except ValueError as exc:
                raise SubscribeError("Message is not valid JSON.") from exc
            if not isinstance(request, dict):
                raise SubscribeError("Message must be a JSON object.")
            sub_id = request.get("id")
            if not isinstance(sub_id, str) or not 0 < len(sub_id) <= MAX_SUB_ID:
                sub_id = None
                raise SubscribeError(f"'id' must be a string of 1-{MAX_SUB_ID} characters.")
            op = request.get("op")
            if op == "subscribe":
                await self._subscribe(request, sub_id)
            elif op == "unsubscribe":
                sub = self._subs.pop(sub_id, None)
                if sub is None:
                    raise SubscribeError(f"No subscription {sub_id!r}.")
                self.poller.remove(sub)
                self.send({"type": "unsubscribed", "sub": sub_id})
            else:
                raise SubscribeError("'op' must be subscribe or unsubscribe.")
        except SubscribeError as exc:
            self.send({"type": "error", "sub": sub_id, "message": str(exc)})

    async def _subscribe(self, request: dict[str, Any], sub_id: str) -> None:
        unknown = sorted(set(request) - _SUBSCRIBE_FIELDS)
        if unknown:
            raise SubscribeError(f"Unknown field(s): {', '.join(unknown)}.")
        if sub_id in self._subs:
            raise SubscribeError(f"Subscription {sub_id!r} exists already.")
        if len(self._subs) >= MAX_SUBSCRIPTIONS:
            raise SubscribeError(f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection.")
        workspace_id = _match(request.get("workspace_id"), ID_RE, "workspace_id", True)
        experiment = _match(request.get("experiment"), EXPERIMENT_NAME_RE, "experiment")
        run_id = _match(request.get("run_id"), ID_RE, "run_id")
        if experiment and run_id:
            raise SubscribeError("Give 'experiment' or 'run_id', not both.")
        include_children = request.get("include_children", False)
        if not isinstance(include_children, bool):
            raise SubscribeError("'include_children' must be true or false.")
        metrics = _names(request.get("metrics"), "metrics", _metric_name)
        logs = _names(request.get("logs"), "logs", _log_path)
        since = _cursors(request.get("since"), "since", _metric_name)
        log_offsets = _cursors(request.get("log_offsets"), "log_offsets", _log_path)
        assert workspace_id is not None
        if (metrics or logs or since or log_offsets) and not run_id:
            raise SubscribeError("'metrics', 'logs', 'since' and 'log_offsets' need 'run_id'.")

        sub = Subscription(client=self, sub_id=sub_id, workspace_id=workspace_id,
                           run_id=run_id, include_children=include_children,
                           metrics=frozenset(metrics) if metrics is not None else None,
                           metric_cursors=since)
        if run_id:
            self._authorize(MlwsResource("run", workspace_id, run_id))
            self._authorize(MlwsResource("metric", workspace_id, run_id))
            self._authorize(MlwsResource("artifact", workspace_id, run_id))
            for path in logs or []:
                self._authorize(MlwsResource("artifact", workspace_id, path))
            record = await self._store_call(lambda s: s.get_run(run_id, workspace_id))
            if record.workspace_id != workspace_id:
                raise SubscribeError(f"Run {run_id} not found in workspace {workspace_id}.")
            sub.log_offsets = {path: log_offsets.get(path, 0) for path in logs or []}
        elif experiment:
            self._authorize(MlwsResource("experiment", workspace_id, experiment))
            self._authorize(MlwsResource("run", workspace_id))
            record = await self._store_call(
                lambda s: s.get_experiment(workspace_id, experiment))
            sub.experiment_id = record.id
        else:
            self._authorize(MlwsResource("workspace", workspace_id))
            self._authorize(MlwsResource("run", workspace_id))
            await self._store_call(lambda s: s.get_workspace_by_id(workspace_id))
        if self.ws_connection is None or sub_id in self._subs:
            return  # closed, or the same id subscribed while the store was being asked
        self._subs[sub_id] = sub
        self.poller.add(sub)

    def _authorize(self, resource: MlwsResource) -> None:
        try:
            authorize(self.current_user, "read", resource,
                      self.extensionapp.authorization_policy)  # type: ignore[attr-defined]
        except AuthorizationError as exc:
            raise SubscribeError(exc.log_message or "Forbidden") from exc

    async def _store_call(self, fn: Callable[[Any], Any]) -> Any:
        store_app = self.extensionapp
        try:
            return await asyncio.to_thread(lambda: fn(store_app.store))
        except StoreError as exc:
            raise SubscribeError(str(exc)) from exc


# --------------------------------------------------------------------------- validation


def _match(value: Any, pattern: Any, name: str, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise SubscribeError(f"'{name}' is required.")
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise SubscribeError(f"Invalid '{name}'.")
    return value


def _metric_name(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= METRIC_NAME_MAX or "\x00" in value:
        raise SubscribeError("Invalid metric name.")
    return value


def _log_path(value: Any) -> str:
    from ..store.paths import normalize_artifact_path

    if not isinstance(value, str):
        raise SubscribeError("Log paths must be strings.")
    try:
        return normalize_artifact_path(value)
    except (InvalidInputError, ValueError) as exc:
        raise SubscribeError(f"Invalid log path: {exc}") from exc


def _names(value: Any, name: str, check: Callable[[Any], str]) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_NAMES:
        raise SubscribeError(f"'{name}' must be a list of at most {MAX_NAMES} strings.")
    return [check(item) for item in value]


def _cursors(value: Any, name: str, check: Callable[[Any], str]) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_NAMES:
        raise SubscribeError(f"'{name}' must be an object of at most {MAX_NAMES} entries.")
    cursors: dict[str, int] = {}
    for key, cursor in value.items():
        if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
            raise SubscribeError(f"'{name}' values must be integers >= 0.")
        cursors[check(key)] = cursor
    return cursors
