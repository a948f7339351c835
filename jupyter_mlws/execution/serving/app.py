"""The scoring application of one replica: v1's ``score.py`` contract over Starlette.

Routes, as v1's: ``POST /score`` (the request body, decoded as UTF-8 text, is ``run``'s
``raw_data``; the answer is ``json.dumps`` of what it returns), ``GET /`` (health:
``Healthy``), ``GET /swagger.json``. An inference cluster's service also answers under v1's
AKS paths ``/api/v1/service/<name>/score`` and ``.../swagger.json``.

``run`` is called on the event loop (an ``async def run`` is awaited): one request at a time per
replica, as v1's synchronous workers, so a replica's busy time is the model's time and
throughput grows with replicas. Every request is recorded (:mod:`.recorder`) after its answer
is handed to the server. Errors answer JSON ``{"error": ...}``, their tracebacks go to the
replica's log (``get_logs()``).
"""

from __future__ import annotations

import hmac
import inspect
import json
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .recorder import Recorder

MAX_BODY_BYTES = 100 << 20
KEYS_CHECK_SECONDS = 0.5
_JSON = (b"content-type", b"application/json")
Send = Callable[[dict[str, Any]], Awaitable[None]]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class KeyRing:
    """The service's keys (``keys.json``: primaryKey, secondaryKey), re-read when the file
    changes (``regen_key``), checked at most every ``KEYS_CHECK_SECONDS``."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.keys: list[bytes] = []
        self.mtime: float | None = None
        self.checked = 0.0
        self._load()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            stat = os.stat(self.path)
            if stat.st_mtime_ns == self.mtime:
                return
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            self.keys = [str(data[k]).encode() for k in ("primaryKey", "secondaryKey")
                         if data.get(k)]
            self.mtime = stat.st_mtime_ns
        except (OSError, ValueError):
            pass  # keep the keys read before; a key file being replaced is read next time

    def allows(self, header: bytes | None) -> bool:
        now = time.monotonic()
        if now - self.checked > KEYS_CHECK_SECONDS:
            self.checked = now
            self._load()
        if header is None:
            return False
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer" or not given:
            return False
        return any(hmac.compare_digest(given.strip(), key) for key in self.keys)


def _swagger(run: Callable[..., Any], service: str, paths: list[str]) -> dict[str, Any]:
    """A Swagger 2.0 document; with ``inference_schema`` decorators on ``run`` (when that
    package is installed in the environment) their input and output schemas."""
    input_schema: dict[str, Any] = {"type": "string", "description": "run()'s raw_data"}
    output_schema: dict[str, Any] = {"description": "run()'s result as JSON"}
    example = None
    try:
        # optional: may be absent
        from inference_schema.schema_util import get_input_schema, get_output_schema

        found_in, found_out = get_input_schema(run), get_output_schema(run)
        if found_in:
            input_schema = found_in
            example = found_in.get("example")
        if found_out:
            output_schema = found_out
    except Exception:  # not installed, or no decorators: the generic document
        pass
    body: dict[str, Any] = {"in": "body", "name": "data", "required": True,
                            "schema": input_schema}
    if example is not None:
        body["schema"] = {**input_schema, "example": example}
    score = {"post": {"description": "Run the model on the request body",
                      "consumes": ["application/json"], "produces": ["application/json"],
                      "parameters": [body],
                      "responses": {"200": {"description": "Success",
                                            "schema": output_schema},
                                    "default": {"description": "An error",
                                                "schema": {"type": "object"}}}}}
    return {"swagger": "2.0", "info": {"title": service, "version": "1.0"},
            "schemes": ["http"], "paths": {p: score for p in paths}}


class _RawEndpoint:
    def __init__(self, handler: Callable[..., Awaitable[None]]) -> None:
        self.handler = handler

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        await self.handler(scope, receive, send)


class ScoringApp:
    """Holds the entry script's ``run`` and the replica's recorder. ``app`` is the ASGI app
    the server runs: ``POST`` to a score path goes straight to :meth:`score`; everything else
    (health, swagger, 404, 405, redirects) to a Starlette app."""

    def __init__(self, run: Callable[..., Any], recorder: Recorder, *, service: str,
                 replica: str, keys: KeyRing | None, collect: bool,
                 aks_prefix: bool) -> None:
        self.run = run
        self.is_async = inspect.iscoroutinefunction(run)
        self.recorder = recorder
        self.keys = keys
        self.collect = collect
        self.replica = replica
        score_paths = ["/score"]
        swagger_paths = ["/swagger.json"]
        if aks_prefix:
            score_paths.append(f"/api/v1/service/{service}/score")
            swagger_paths.append(f"/api/v1/service/{service}/swagger.json")
        document = _swagger(run, service, score_paths)
        swagger_body = json.dumps(document).encode()

        async def swagger(_request: Request) -> Response:
            return Response(swagger_body, media_type="application/json")

        async def health(_request: Request) -> Response:
            return PlainTextResponse("Healthy")

        routes = [Route("/", health, methods=["GET", "HEAD"])]
        # Still routed here, so other methods get Starlette's 405; an object, not a function:
        # Starlette then calls it as a raw ASGI app.
        endpoint = _RawEndpoint(self.score)
        routes += [Route(p, endpoint, methods=["POST"]) for p in score_paths]
        routes += [Route(p, swagger, methods=["GET"]) for p in swagger_paths]
        self.routes = Starlette(routes=routes)
        self._score_paths = frozenset(score_paths)

    async def app(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        # The hot path skips Starlette's middleware and router (with uvicorn's proxy-headers
        # middleware, a quarter of the server's own work per request): a score request is an
        # exact path and method.
        if scope["type"] == "http" and scope["method"] == "POST" and \
                scope["path"] in self._score_paths:
            await self.score(scope, receive, send)
        else:
            await self.routes(scope, receive, send)

    async def score(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        """A raw ASGI endpoint: the hot path builds no Request object."""
        started = time.perf_counter()
        message = await receive()
        body = message.get("body", b"")
        if message.get("more_body", False):  # a body in several chunks: join them once
            parts = [body]
            size = len(body)
            while message.get("more_body", False) and size <= MAX_BODY_BYTES:
                message = await receive()
                parts.append(message.get("body", b""))
                size += len(parts[-1])
            body = b"".join(parts)
        if len(body) > MAX_BODY_BYTES:
            await self._answer(send, started, 413, {"error": (
                f"The request body is larger than {MAX_BODY_BYTES >> 20} MB")}, body)
            return
        if self.keys is not None:
            header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
            if not self.keys.allows(header):
                await self._answer(send, started, 401, {"error": (
                    "Unauthorized: send 'Authorization: Bearer <key>' with one of the "
                    "service's keys (service.get_keys())")}, body)
                return
        try:
            raw = body.decode("utf-8")
        except UnicodeDecodeError:
            await self._answer(send, started, 400, {"error": "The request body must be UTF-8 "
                                                    "text (v1 passes it to run() as str)"},
                               body)
            return
        try:
            result = self.run(raw)
            if self.is_async:
                result = await result
        except Exception as exc:
            log(f"run() raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            await self._answer(send, started, 500, {"error": (
                f"run() raised {type(exc).__name__}: {exc}")}, body)
            return
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            log(f"run() returned a {type(result).__name__}, which is not JSON-serializable: "
                f"{exc}")
            await self._answer(send, started, 500, {"error": (
                f"run() returned a value that is not JSON-serializable "
                f"({type(result).__name__}): {exc}. Return lists, dicts, numbers or strings "
                "(e.g. array.tolist()).")}, body)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [_JSON, (b"content-length", b"%d" % len(payload))]})
        await send({"type": "http.response.body", "body": payload})
        self.recorder.record((time.perf_counter() - started) * 1000.0, 200, len(body),
                             len(payload))
        if self.collect:
            self.recorder.sample(body, payload, 200)

    async def _answer(self, send: Send, started: float, status: int, data: dict[str, Any],
                      body: bytes) -> None:
        payload = json.dumps({**data, "replica": self.replica}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [_JSON, (b"content-length", b"%d" % len(payload))]})
        await send({"type": "http.response.body", "body": payload})
        self.recorder.record((time.perf_counter() - started) * 1000.0, status, len(body),
                             len(payload))
        if self.collect and status != 401:
            self.recorder.sample(body[:1 << 16], payload, status)


__all__ = ["KeyRing", "ScoringApp", "log"]
