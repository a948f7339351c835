"""The front of a service whose replicas run on other machines (:mod:`.remote_daemon`): the
service's one scoring URI, spreading requests over the replicas (the counterpart of AKS's
``azureml-fe`` ingress).

An ASGI app on uvicorn, in a thread of the service daemon, on the service's listening socket.
Each request goes to the routable replica with the fewest requests in flight (ties in
turn) (the daemon sets
the routes: ready replicas that are not draining). A replica the request could not reach, or
that closed the connection without answering (a stale keep-alive connection, a replica that
died), is left out and the request goes to another one, up to ``ATTEMPTS`` times; when no
replica is routable the request waits up to ``WAIT_FOR_REPLICA_SECONDS`` for one, then gets
503. Every ``HEALTH_SECONDS`` each routed replica's health route (``GET /``) is probed; one that
fails ``HEALTH_FAILURES`` probes in a row gets no requests until a probe passes again (a
readiness probe: restarting replicas is the daemon's business, on their process state).

The daemon drains a replica only once the front has no request in flight to it
(:meth:`Front.in_flight`), after taking it off the routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import socket
import threading
import time
from typing import Any

ATTEMPTS = 3
WAIT_FOR_REPLICA_SECONDS = 10.0
HEALTH_SECONDS = 2.0
HEALTH_FAILURES = 3
SCORING_TIMEOUT_SECONDS = 90.0
CONNECTIONS_PER_REPLICA = 8
MAX_BODY_BYTES = 100 << 20
# Hop-by-hop headers (RFC 9110 7.6.1) are the front's own business, not forwarded.
_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
                  b"transfer-encoding", b"upgrade", b"host", b"content-length"})


class Front:
    """Routes and counters shared by the daemon's thread (:meth:`set_routes`,
    :meth:`in_flight`) and the front's event loop."""

    def __init__(self) -> None:
        self.routes: dict[str, str] = {}  # slot -> base URL, replaced whole (atomic)
        self.inflight: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        self.server: Any = None
        self.thread: threading.Thread | None = None
        self.clients: dict[str, Any] = {}  # base URL -> its connection pool
        self.inflight_to: dict[str, int] = {}  # base URL -> requests in flight
        self.prober: Any = None
        self.turn = 0

    # ---- the daemon's side
    def set_routes(self, routes: dict[str, str]) -> None:
        if routes != self.routes:
            self.failures = {s: n for s, n in self.failures.items() if s in routes}
            self.routes = dict(routes)

    def in_flight(self, slot: str) -> int:
        return self.inflight.get(slot, 0)

    def start(self, sock: Any) -> None:
        import uvicorn  # uvicorn on use

        front = self

        class Server(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets=sockets)
                # Kept: the loop holds tasks weakly.
                front.prober = asyncio.get_running_loop().create_task(front._probe_forever())

        self.server = Server(uvicorn.Config(
            self.app, interface="asgi3", http="httptools", lifespan="off",
            loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            proxy_headers=False, access_log=False, log_level="warning", timeout_keep_alive=5,
            timeout_graceful_shutdown=30, server_header=False))
        # A socket made from its descriptor knows it is TCP (proto 6), so asyncio sets
        # TCP_NODELAY on the connections it accepts; made with proto 0 it does not, and each
        # answer (headers and body written apart) waits for the client's delayed ACK, ~40 ms.
        listener = socket.socket(fileno=os.dup(sock.fileno()))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [listener]},
                                       name="mlws-front", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(35)

    # ---- the event loop's side
    def _client(self, base: str) -> Any:
        """The connection pool to one replica. One per replica, of at most
        ``CONNECTIONS_PER_REPLICA`` connections: a replica scores one request at a time, and
        httpcore's pool scans all its connections on every request (a large shared pool
        made the front slower the more clients it had)."""
        client = self.clients.get(base)
        if client is None:
            import httpx  # httpx on use

            # TCP_NODELAY: a request's headers and body are written apart. keepalive_expiry
            # below the replicas' keep-alive timeout (5 s): never reuse a connection the
            # replica is closing.
            transport = httpx.AsyncHTTPTransport(
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
                limits=httpx.Limits(max_connections=CONNECTIONS_PER_REPLICA,
                                    max_keepalive_connections=CONNECTIONS_PER_REPLICA,
                                    keepalive_expiry=1.0))
            client = self.clients[base] = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(SCORING_TIMEOUT_SECONDS, connect=5.0,
                                      pool=SCORING_TIMEOUT_SECONDS))
        return client

    async def _close_unrouted(self) -> None:
        """Close the pools of replicas no longer routed, once nothing is in flight to them."""
        routed = set(self.routes.values())
        for base in [b for b in self.clients if b not in routed
                     and not self.inflight_to.get(b)]:
            client = self.clients.pop(base)
            with contextlib.suppress(Exception):
                await client.aclose()

    def _pick(self, tried: set[str]) -> tuple[str, str] | None:
        routes = self.routes
        healthy = [s for s in routes if s not in tried
                   and self.failures.get(s, 0) < HEALTH_FAILURES]
        candidates = healthy or [s for s in routes if s not in tried]
        if not candidates:
            return None
        # Fewest in flight; ties taken in turn, so sequential requests spread too.
        self.turn += 1
        start = self.turn % len(candidates)
        rotated = candidates[start:] + candidates[:start]
        slot = min(rotated, key=lambda s: self.inflight.get(s, 0))
        return slot, routes[slot]

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY_BYTES:
                await _json(send, 413, {"error": f"The request body is larger than "
                                                 f"{MAX_BODY_BYTES >> 20} MB"})
                return
        import httpx  # httpx on use

        path = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            path += b"?" + scope["query_string"]
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP]
        tried: set[str] = set()
        deadline = time.monotonic() + WAIT_FOR_REPLICA_SECONDS
        last_error = "no replica is ready"
        while len(tried) < ATTEMPTS:
            picked = self._pick(tried)
            if picked is None:
                if tried or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)  # waiting for the daemon to route a replica
                continue
            slot, base = picked
            self.inflight[slot] = self.inflight.get(slot, 0) + 1
            self.inflight_to[base] = self.inflight_to.get(base, 0) + 1
            try:
                client = self._client(base)
                request = client.build_request(
                    scope["method"], base + path.decode("latin-1"), headers=headers,
                    content=body)
                response = await client.send(request, stream=True)
                try:
                    payload = b"".join([chunk async for chunk in response.aiter_raw()])
                finally:
                    await response.aclose()
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError,
                    httpx.ReadError, httpx.WriteError) as exc:
                # Not answered: the replica is gone or the connection was stale.
                tried.add(slot)
                last_error = f"replica {slot}: {type(exc).__name__}: {exc}"
                continue
            except httpx.TimeoutException:
                await _json(send, 504, {"error": f"Replica {slot} did not answer within "
                                                 f"{SCORING_TIMEOUT_SECONDS:g} s"})
                return
            finally:
                self.inflight[slot] -= 1
                self.inflight_to[base] -= 1
            out = [(k.lower(), v) for k, v in response.headers.raw
                   if k.lower() not in _HOP]
            out.append((b"content-length", str(len(payload)).encode()))
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": out})
            await send({"type": "http.response.body", "body": payload})
            return
        await _json(send, 503, {"error": f"No replica of the service could take the request "
                                         f"({last_error})"})

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_SECONDS)
            with contextlib.suppress(Exception):
                await asyncio.gather(*(self._probe(s, u) for s, u in self.routes.items()))
                await self._close_unrouted()

    async def _probe(self, slot: str, base: str) -> None:
        try:
            response = await self._client(base).get(base + "/", timeout=5.0)
            ok = response.status_code == 200
        except Exception:
            ok = False
        self.failures[slot] = 0 if ok else self.failures.get(slot, 0) + 1


async def _json(send: Any, status: int, data: dict[str, Any]) -> None:
    payload = json.dumps(data).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


__all__ = ["Front"]
