"""HTTP plumbing of the HTTP store: one pooled keep-alive client, the token header, errors
mapped back onto store exceptions, and streamed bodies in both directions.

httpx is used because its ``Client`` is thread-safe: the metric writer thread and user code
share one pool of connections.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

import httpx

from ...exceptions import AuthenticationException, ServiceException
from ..base import ConflictError, CorruptArtifactError, InvalidInputError, NotFoundError

CHUNK = 1024 * 1024
API_SUFFIX = "/api/v1"
TIMEOUT_SECONDS = 120.0


def api_base(tracking_uri: str) -> str:
    """The REST root for a tracking URI: ``http://host:8888/mlws`` (as documented), the
    API root itself, or a bare server URL."""
    base = tracking_uri.rstrip("/")
    if base.endswith(API_SUFFIX):
        return base
    if base.endswith("/mlws"):
        return base + API_SUFFIX
    return base + "/mlws" + API_SUFFIX


# The inverse of the server's one mapping (StoreError.status_code); a too-large body or an
# unsatisfiable range is bad input here.
_ERRORS: dict[int, type[Exception]] = {cls.status_code: cls for cls in (
    NotFoundError, ConflictError, InvalidInputError)} | {413: InvalidInputError,
                                                         416: InvalidInputError,
                                                         422: InvalidInputError}


def error_for(status: int, body: bytes, method: str, url_path: str) -> Exception:
    """The store exception a server error response stands for."""
    message = reason = ""
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            message = str(data.get("message") or "")
            reason = str(data.get("reason") or "")
    except ValueError:
        message = body[:300].decode("utf-8", "replace")
    message = message or f"{method} {url_path} failed with HTTP {status}"
    if status == 500 and reason == CorruptArtifactError.reason:
        return CorruptArtifactError(message)
    error = _ERRORS.get(status)
    if error is not None:
        return error(message)
    if status in (401, 403):
        return AuthenticationException(
            f"The jupyter_mlws server refused the request (HTTP {status}): {message}. Check "
            "MLWS_TOKEN (or 'token' in config.json / mlws.json).")
    return ServiceException(f"{method} {url_path}: HTTP {status}: {message}", status_code=status)


class Transport:
    """Requests against one server's REST root; reopened lazily after :meth:`close`."""

    def __init__(self, tracking_uri: str, token: str | None) -> None:
        self.base = api_base(tracking_uri)
        # Kept private and never put into messages: errors name the URL path only.
        self._headers = {"Authorization": f"token {token}"} if token else {}
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = httpx.Client(
                        headers=self._headers, timeout=httpx.Timeout(TIMEOUT_SECONDS,
                                                                     connect=15.0),
                        limits=httpx.Limits(max_connections=16,
                                            max_keepalive_connections=8),
                        trust_env=False)
                client = self._client
        return client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def send(self, method: str, path: str, *, stream: bool = False, **kwargs: Any) -> Any:
        try:
            request = self.client.build_request(method, self.base + path, **kwargs)
            response = self.client.send(request, stream=stream)
        except httpx.HTTPError as exc:
            raise ServiceException(
                f"Cannot reach the jupyter_mlws server at {self.base} ({method} "
                f"{path.split('?')[0]}): {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            body = response.read()
            response.close()
            raise error_for(response.status_code, body, method, path.split("?")[0])
        return response

    def json(self, method: str, path: str, *, params: Any = None,
             content: bytes | None = None, content_type: str = "application/json") -> Any:
        """Send ``content`` (if any) and decode the JSON answer (None if empty)."""
        headers = {"Content-Type": content_type} if content is not None else {}
        response = self.send(method, path, params=params, content=content, headers=headers)
        if not response.content:
            return None
        return response.json()

    def upload(self, path: str, source: str | BinaryIO, *, params: Any = None) -> Any:
        """PUT a file path or binary stream in chunks; the whole file is never in memory."""
        headers = {"Content-Type": "application/octet-stream"}
        if isinstance(source, str):
            headers["Content-Length"] = str(os.path.getsize(source))
            content: Any = _file_chunks(source)
        else:
            content = _stream_chunks(source)
        response = self.send("PUT", path, params=params, content=content, headers=headers)
        return response.json() if response.content else None

    def download(self, path: str, *, params: Any = None) -> BinaryIO:
        """A readable stream of a response body, fetched in chunks as it is read."""
        response = self.send("GET", path, params=params, stream=True)
        return io.BufferedReader(ResponseReader(response, f"GET {path.split('?')[0]}"),
                                 buffer_size=CHUNK)


def _file_chunks(local_path: str) -> Iterator[bytes]:
    with open(local_path, "rb") as source:
        yield from iter(lambda: source.read(CHUNK), b"")


def _stream_chunks(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        yield bytes(chunk) if not isinstance(chunk, bytes) else chunk


class ResponseReader(io.RawIOBase):
    """A raw stream over a streamed httpx response; closing it releases the connection."""

    def __init__(self, response: Any, what: str = "the download") -> None:
        super().__init__()
        self._response = response
        self._chunks = response.iter_bytes(CHUNK)
        self._buffer = memoryview(b"")
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = memoryview(next(self._chunks))
            except StopIteration:
                return 0
            except httpx.HTTPError as exc:
                # e.g. a body cut short: the server stops sending a file it finds damaged
                raise ServiceException(f"{self._what} ended before the whole file arrived "
                                       f"({type(exc).__name__}: {exc})") from None
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


__all__ = ["Transport", "api_base", "error_for"]
