"""Moving bytes between the event loop and blocking store calls without holding a whole
file in memory: a pipe the store reads an upload from, and a queue a worker thread writes a
download (e.g. a zip being built) into."""

from __future__ import annotations

import asyncio
import io
import queue
import threading
from collections.abc import Callable
from typing import Any

_EOF = object()


class UploadAborted(Exception):
    """The request body was cut short (client gone, size limit); the store upload fails."""


class UploadPipe(io.RawIOBase):
    """A readable stream fed chunk by chunk from the event loop; blocks the reading thread
    until data arrives. Bounded so a slow store applies backpressure to the client."""

    def __init__(self, max_chunks: int = 16) -> None:
        super().__init__()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_chunks)
        self._buffer = memoryview(b"")
        self._eof = False
        self.consumer_done = threading.Event()

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            if self._eof:
                return 0
            item = self._queue.get()
            if item is _EOF:
                self._eof = True
                return 0
            if isinstance(item, BaseException):
                self._eof = True
                raise item
            self._buffer = memoryview(item)
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def _put_blocking(self, item: Any) -> None:
        # Give up once the consumer has stopped (store error): nobody will read any more.
        while not self.consumer_done.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    async def feed(self, chunk: bytes) -> None:
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            await asyncio.to_thread(self._put_blocking, chunk)

    async def finish(self) -> None:
        await asyncio.to_thread(self._put_blocking, _EOF)

    def abort(self, reason: str) -> None:
        """Make the reader fail; never blocks (called from the event loop)."""
        self.consumer_done.set()  # stop any pending feed
        try:
            self._queue.put_nowait(UploadAborted(reason))
        except queue.Full:
            # Drop queued data so the error gets through to a reader waiting on the queue.
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._queue.put_nowait(UploadAborted(reason))


def run_in_thread(fn: Callable[[], Any], on_done: Callable[[], None] | None = None
                  ) -> asyncio.Future[Any]:
    """Run ``fn`` on its own thread (not the shared executor, which it could starve while
    blocked on a pipe) and return a future of its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:
            result, error = None, exc
        finally:
            if on_done is not None:
                on_done()
        loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name="mlws-stream", daemon=True).start()
    return future


class ThreadWriter(io.RawIOBase):
    """A writable stream for a worker thread whose bytes come out of :meth:`chunks` on the
    event loop, in pieces of about ``chunk_size``; ``write`` blocks while the loop is behind."""

    def __init__(self, loop: asyncio.AbstractEventLoop, chunk_size: int = 256 * 1024,
                 max_chunks: int = 8) -> None:
        super().__init__()
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max_chunks)
        self._pending = bytearray()
        self._chunk_size = chunk_size
        self._position = 0
        self.cancelled = threading.Event()

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def write(self, data: Any) -> int:
        if self.cancelled.is_set():
            raise UploadAborted("client went away")
        self._pending += data
        self._position += len(data)
        if len(self._pending) >= self._chunk_size:
            self._push(bytes(self._pending))
            self._pending.clear()
        return len(data)

    def _push(self, item: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._queue.put(item), self._loop).result()

    def close_writer(self, error: BaseException | None = None) -> None:
        """Called by the worker thread when done: flush what is left, then signal the end."""
        if self._pending and error is None and not self.cancelled.is_set():
            self._push(bytes(self._pending))
        self._pending.clear()
        self._push(error if error is not None else _EOF)

    async def chunks(self) -> Any:
        """Async iterator of byte chunks; raises the worker's error, if any."""
        while True:
            item = await self._queue.get()
            if item is _EOF:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def cancel(self) -> None:
        """Stop the worker (its next write raises) and drain until it has signalled the end."""
        self.cancelled.set()
        while True:
            item = await self._queue.get()
            if item is _EOF or isinstance(item, BaseException):
                return
