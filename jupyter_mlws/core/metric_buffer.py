"""The in-process metric buffer: ``run.log`` appends, one daemon thread per store writes.

Why: a training loop must never wait on the database. ``run.log`` appends a tuple to a deque
(atomic in CPython, so no lock on the hot path) and returns. A writer thread per Store drains the
deque through ``Store.append_metrics`` at least every ``FLUSH_INTERVAL`` seconds, immediately on
:meth:`MetricBuffer.flush`, and at interpreter exit. The same thread refreshes the heartbeat of
the runs this process owns, so other processes can tell a live run from a dead one.

Guarantees:
- Order: one drainer at a time (``_write_lock``), so points reach the store in logging order.
- Nothing is dropped: a batch the store rejects stays in ``_pending`` and is retried first; a
  persistent failure is raised by :meth:`flush` (and therefore by complete/fail/cancel).
- Bounded memory: when the deque holds ``max_points`` points, ``log`` waits until the writer
  has made room (backpressure). ``MLWS_METRIC_QUEUE_LIMIT`` overrides the default.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections import deque
from typing import Any

from ..exceptions import AzureMLException

FLUSH_INTERVAL = 0.5  # seconds between background writes
HEARTBEAT_INTERVAL = 30.0  # seconds between heartbeats of owned runs
DEFAULT_MAX_POINTS = 200_000  # points queued before ``log`` waits (~35 MB of tuples)
CHUNK = 50_000  # points per store call: bounds one transaction's size
FLUSH_ATTEMPTS = 3  # store failures tolerated by one flush() before it raises


class MetricWriteError(AzureMLException):
    """The store kept failing; the points are still buffered and will be retried."""


class MetricBuffer:
    """Metric points waiting for one store, and the thread that writes them."""

    def __init__(self, store: Any, max_points: int | None = None) -> None:
        self._store = store
        self.queue: deque = deque()
        env_limit = os.environ.get("MLWS_METRIC_QUEUE_LIMIT")
        self.max_points = max_points or (int(env_limit) if env_limit else DEFAULT_MAX_POINTS)
        self._pending: list = []  # taken from the queue, not stored yet (retried first)
        self._write_lock = threading.Lock()
        self._room = threading.Condition()
        self._wake = threading.Event()
        self._failures = 0
        self._last_error: BaseException | None = None
        self._owned: set[str] = set()
        self._owned_lock = threading.Lock()
        self._last_heartbeat = time.monotonic()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="mlws-metric-writer", daemon=True)
        self._thread.start()

    # ---- producer side
    def wait_for_room(self) -> None:
        """Backpressure: block the caller until the queue is below ``max_points``."""
        self._wake.set()
        with self._room:
            while len(self.queue) >= self.max_points and not self._closed:
                self._wake.set()
                self._room.wait(1.0)

    def pending_count(self) -> int:
        """Points logged but not yet stored."""
        return len(self.queue) + len(self._pending)

    # ---- heartbeat bookkeeping
    def own(self, run_id: str) -> None:
        """Keep refreshing this run's heartbeat until :meth:`disown`."""
        with self._owned_lock:
            self._owned.add(run_id)

    def disown(self, run_id: str) -> None:
        with self._owned_lock:
            self._owned.discard(run_id)

    # ---- writing
    def _drain(self, limit: int | None) -> None:
        """Store pending points, then up to ``limit`` queued ones (all if None).
        The caller holds ``_write_lock``; raises the store's error, keeping the batch."""
        remaining = len(self.queue) if limit is None else limit
        queue = self.queue
        while True:
            if not self._pending:
                take = min(CHUNK, remaining, len(queue))
                if take <= 0:
                    return
                popleft = queue.popleft
                self._pending = [popleft() for _ in range(take)]
                remaining -= take
            try:
                self._store.append_metrics(self._pending)
            except BaseException as exc:
                self._failures += 1
                self._last_error = exc
                raise
            self._pending = []
            self._failures = 0
            self._last_error = None
            with self._room:
                self._room.notify_all()

    def flush(self, timeout_seconds: float = 300) -> None:
        """Store every point logged before this call; raise if the store keeps failing."""
        deadline = time.monotonic() + timeout_seconds
        # Points logged by other threads after this call are not waited for, so a busy
        # logger elsewhere cannot make flush() run forever.
        target = len(self.queue)
        attempts = 0
        while True:
            remaining = deadline - time.monotonic()
            if not self._write_lock.acquire(timeout=max(remaining, 0)):
                raise MetricWriteError(
                    f"Timed out after {timeout_seconds} s waiting to store "
                    f"{self.pending_count()} metric points; they stay buffered.")
            try:
                before = len(self.queue)
                self._drain(target)
                return
            except Exception as exc:
                attempts += 1
                # Points the failed attempt took from the queue are in _pending now.
                target = max(0, target - (before - len(self.queue)))
                if attempts >= FLUSH_ATTEMPTS or time.monotonic() >= deadline:
                    raise MetricWriteError(
                        f"Could not store {self.pending_count()} metric points: {exc}. They "
                        "stay buffered and are retried in the background; call flush() again "
                        "once the store is reachable.", inner_exception=exc) from exc
            finally:
                self._write_lock.release()
            # Back off before retrying a failing store (a retry delay, not synchronization).
            time.sleep(min(0.1 * 2 ** attempts, max(deadline - time.monotonic(), 0)))

    def _heartbeat(self) -> None:
        with self._owned_lock:
            owned = list(self._owned)
        for run_id in owned:
            try:
                self._store.update_run(run_id, heartbeat=True)
            except Exception:  # a deleted run or an unreachable store: try again next time
                continue
        self._last_heartbeat = time.monotonic()

    def _run(self) -> None:
        while not self._closed:
            # Back off while the store fails, but never longer than 5 s.
            delay = FLUSH_INTERVAL if not self._failures else min(5.0, FLUSH_INTERVAL * 2 **
                                                                   self._failures)
            self._wake.wait(delay)
            self._wake.clear()
            if self._write_lock.acquire(timeout=delay):
                try:
                    self._drain(None)
                except Exception:  # kept in _pending; flush() reports it to the user
                    pass
                finally:
                    self._write_lock.release()
            if time.monotonic() - self._last_heartbeat >= HEARTBEAT_INTERVAL:
                self._heartbeat()

    def close(self, timeout_seconds: float = 30) -> None:
        """Flush and stop the writer thread (used at exit and for tests)."""
        try:
            self.flush(timeout_seconds)
        finally:
            self._closed = True
            self._wake.set()
            with self._room:
                self._room.notify_all()


_buffers: dict[int, MetricBuffer] = {}
_buffers_lock = threading.Lock()


def get_buffer(store: Any) -> MetricBuffer:
    """The process-wide buffer of ``store`` (created, with its thread, on first use)."""
    buffer = _buffers.get(id(store))
    if buffer is not None and buffer._store is store:
        return buffer
    with _buffers_lock:
        buffer = _buffers.get(id(store))
        if buffer is None or buffer._store is not store or buffer._closed:
            buffer = MetricBuffer(store)
            _buffers[id(store)] = buffer
        return buffer


def flush_all(timeout_seconds: float = 300) -> None:
    """Flush every buffer of this process; raise the first failure after trying all."""
    errors: list[BaseException] = []
    for buffer in list(_buffers.values()):
        try:
            buffer.flush(timeout_seconds)
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def _flush_at_exit() -> None:
    for buffer in list(_buffers.values()):
        try:
            buffer.close(timeout_seconds=60)
        except Exception as exc:  # nobody is left to raise to: tell the user what was lost
            print(f"jupyter_mlws: {exc}", file=sys.stderr)


def _forget_after_fork() -> None:
    # The writer threads do not exist in a forked child; it starts its own buffers.
    _buffers.clear()


atexit.register(_flush_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


__all__ = ["DEFAULT_MAX_POINTS", "FLUSH_INTERVAL", "HEARTBEAT_INTERVAL", "MetricBuffer",
           "MetricWriteError", "flush_all", "get_buffer"]
