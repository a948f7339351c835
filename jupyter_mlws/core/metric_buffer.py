"""The in-process metric buffer: ``run.log`` appends, one daemon thread per store writes.

Why: a training loop must never wait on the database. ``run.log`` appends a tuple to a deque
(atomic in CPython, so no lock on the hot path) and returns. A writer thread per Store takes
the queued points in batches, turns each batch into per-series columns
(:mod:`metric_batches`) and hands them to ``Store.append_metrics`` as one
:class:`~jupyter_mlws.store.columns.MetricBatch`: at least every ``FLUSH_INTERVAL`` seconds,
back to back while points keep coming, immediately on :meth:`MetricBuffer.flush`, and at
interpreter exit. The same thread refreshes the heartbeat of the runs this process owns, so
other processes can tell a live run from a dead one.

Guarantees:
- Order: one drainer at a time (``_write_lock``), so a series reaches the store in logging
  order.
- Durability: ``log`` waits while a point logged more than ``MAX_LAG`` seconds ago is not
  stored yet, and while ``max_points`` points are queued (``MLWS_METRIC_QUEUE_LIMIT``). So a
  crash loses at most about ``MAX_LAG`` plus one batch's write of points, and memory stays
  bounded. While the store fails outright only the queue limit applies (waiting could not
  make anything durable); a wait that sees no progress for ``LOG_WAIT_SECONDS`` raises.
- A batch the store rejects (:func:`is_rejection`: invalid values, a deleted run) is split
  until the offending points are isolated; everything else is stored, the lost points are
  recorded on their run and raised by that run's next ``flush()`` (see
  :mod:`metric_losses` for the status the run then ends with). Nothing is dropped silently.
- Other failures (store unreachable, disk full) keep the batch in ``_pending`` to be retried
  first; a persistent failure is raised by :meth:`flush` (and so by complete/fail/cancel).
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import sys
import threading
import time
import warnings
from collections import deque
from typing import Any

from ..exceptions import AzureMLException
from ..store.base import InvalidInputError, NotFoundError
from ..store.columns import MetricBatch, SeriesChunk
from .metric_batches import KIND, TIME, SeriesKey, chunks_of
from .metric_losses import LOST_PROPERTY, LostPoints, describe_losses

FLUSH_INTERVAL = 0.2  # seconds between background writes while points trickle in
MAX_LAG = 0.5  # log() waits while a point older than this (seconds) is not stored yet
HEARTBEAT_INTERVAL = 30.0  # seconds between heartbeats of owned runs
DEFAULT_MAX_POINTS = 500_000  # points queued before ``log`` waits (~60 MB of tuples)
BATCH = 100_000  # points per store call: bounds one transaction's size
BUSY = 20_000  # queued points that make the writer go again without waiting
FLUSH_ATTEMPTS = 3  # store failures tolerated by one flush() before it raises
LOG_WAIT_SECONDS = 300.0  # a full queue with no progress for this long makes log() raise


class MetricWriteError(AzureMLException):
    """Metric points could not be stored: the store keeps failing (they stay buffered and are
    retried), or it rejected some points (those are lost, the message says which)."""


def is_rejection(exc: BaseException) -> bool:
    """True when the store refused the data itself, so retrying the same points cannot help
    (bad values, a run that no longer exists); False for failures of the store (unreachable,
    locked, disk full), after which the same batch is retried."""
    return isinstance(exc, (InvalidInputError, NotFoundError, ValueError, TypeError,
                            OverflowError, UnicodeError))


class MetricBuffer:
    """Metric points waiting for one store, and the thread that writes them."""

    def __init__(self, store: Any, max_points: int | None = None) -> None:
        self._store = store
        self.queue: deque = deque()
        env_limit = os.environ.get("MLWS_METRIC_QUEUE_LIMIT")
        self.max_points = max_points or (int(env_limit) if env_limit else DEFAULT_MAX_POINTS)
        # log() waits once time.time() passes this: the log time of the oldest point not yet
        # stored, plus MAX_LAG (inf while nothing is taken from the queue).
        self.deadline = math.inf
        self._pending: list[SeriesChunk] = []  # taken from the queue, not stored yet
        self._stored = 0  # points stored (or given up) so far: progress for waiters
        self._keys: dict[tuple[str, str], SeriesKey] = {}
        self._keys_lock = threading.Lock()
        self._lost: dict[str, list[LostPoints]] = {}
        self._reported: dict[str, int] = {}  # losses of a run already raised by flush()
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
    def series_key(self, run_id: str, name: str, kind: str, description: str) -> SeriesKey:
        """The one key of (run, metric) in this buffer (the first description is kept)."""
        key = self._keys.get((run_id, name))
        if key is None or key[KIND] != kind:
            with self._keys_lock:
                key = self._keys.get((run_id, name))
                if key is None or key[KIND] != kind:
                    key = self._keys[(run_id, name)] = (run_id, name, kind, description or "")
        return key

    def wait_for_room(self) -> None:
        """Backpressure: block the caller while the queue is full or an old point is still
        unstored; MetricWriteError when the writer makes no progress for LOG_WAIT_SECONDS."""
        self._wake.set()
        mark, since = self._stored, time.monotonic()
        with self._room:
            while (len(self.queue) >= self.max_points or time.time() > self.deadline) \
                    and not self._closed:
                self._wake.set()
                self._room.wait(0.1)
                if self._stored != mark:
                    mark, since = self._stored, time.monotonic()
                elif time.monotonic() - since > LOG_WAIT_SECONDS:
                    raise MetricWriteError(
                        f"No metric points could be stored for {LOG_WAIT_SECONDS:.0f} s "
                        f"({self.pending_count()} are waiting): {self._last_error}. The point "
                        "was not logged.", inner_exception=self._last_error)

    def enqueue(self, points: list[tuple]) -> None:
        """Queue several validated points, waiting for room as ``log`` does."""
        queue = self.queue
        for point in points:
            if len(queue) >= self.max_points or point[TIME] > self.deadline:
                self.wait_for_room()
            queue.append(point)

    def record_empty(self, chunk: SeriesChunk) -> None:
        """Record a metric without points (``log_list(name, [])``) with the next write."""
        with self._write_lock:
            self._pending.append(chunk)
        self._wake.set()

    def pending_count(self) -> int:
        """Points logged but not yet stored."""
        return len(self.queue) + sum(len(c) for c in self._pending)

    def failing(self) -> bool:
        """True while the last write failed and points wait to be retried."""
        return self._last_error is not None and bool(self._pending or self.queue)

    # ---- heartbeat bookkeeping and losses
    def own(self, run_id: str) -> None:
        """Keep refreshing this run's heartbeat until :meth:`disown`."""
        with self._owned_lock:
            self._owned.add(run_id)

    def disown(self, run_id: str) -> None:
        with self._owned_lock:
            self._owned.discard(run_id)

    def lost_points(self, run_id: str) -> list[LostPoints]:
        """Points of ``run_id`` the store refused so far (in this process)."""
        return list(self._lost.get(run_id, ()))

    def _record_loss(self, chunk: SeriesChunk, exc: BaseException) -> None:
        reason = str(exc)[:500]
        losses = self._lost.setdefault(chunk.run_id, [])
        reported = self._reported.get(chunk.run_id, 0)
        for loss in losses[reported:]:  # same metric, same reason, not reported yet: add up
            if loss.name == chunk.name and loss.reason == reason:
                loss.count += len(chunk) or 1
                return
        loss = LostPoints(chunk.run_id, chunk.name, len(chunk) or 1, reason)
        losses.append(loss)
        message = describe_losses(chunk.run_id, [loss])
        warnings.warn(f"jupyter_mlws: {message}", RuntimeWarning, stacklevel=2)
        # Visible to every reader of the run at once, not only to this process; fails when
        # already set (properties are add-only) or when the run is gone.
        with contextlib.suppress(Exception):
            self._store.add_run_properties(chunk.run_id, {LOST_PROPERTY: message[:1000]})

    # ---- writing
    def _store_pending(self) -> None:
        """Store ``_pending``; isolate and record points the store rejects. The caller holds
        ``_write_lock``; a store failure is raised with what is left kept in ``_pending``."""
        work: deque[list[SeriesChunk]] = deque([self._pending])
        while work:
            group = work[0]
            try:
                self._store.append_metrics(MetricBatch(group))
            except Exception as exc:
                if not is_rejection(exc):
                    self._pending = [chunk for part in work for chunk in part]
                    self._failures += 1
                    self._last_error = exc
                    # While the store fails, waiting in log() cannot make points durable:
                    # only the queue limit holds (flush() reports the failure).
                    self.deadline = math.inf
                    raise
                work.popleft()
                if len(group) > 1:  # halve by series, then by points
                    work.appendleft(group[len(group) // 2:])
                    work.appendleft(group[:len(group) // 2])
                elif len(group[0]) > 1:
                    first, second = group[0].split(len(group[0]) // 2)
                    work.appendleft([second])
                    work.appendleft([first])
                else:
                    self._record_loss(group[0], exc)
                    self._stored += len(group[0])
                continue
            work.popleft()
            self._stored += sum(len(chunk) for chunk in group)
        self._pending = []
        self._failures = 0
        self._last_error = None

    def _drain(self, limit: int | None) -> None:
        """Store pending points, then up to ``limit`` queued ones (all if None).
        The caller holds ``_write_lock``; raises the store's error, keeping the batch."""
        remaining = len(self.queue) if limit is None else limit
        queue = self.queue
        while True:
            if self._pending:
                self._store_pending()
                self._after_write()
            take = min(BATCH, remaining, len(queue))
            if take <= 0:
                return
            popleft = queue.popleft
            batch = [popleft() for _ in range(take)]
            remaining -= take
            self.deadline = batch[0][TIME] + MAX_LAG
            self._pending = chunks_of(batch)
            with self._room:
                self._room.notify_all()  # the queue has room again

    def _after_write(self) -> None:
        try:
            self.deadline = self.queue[0][TIME] + MAX_LAG
        except IndexError:
            self.deadline = math.inf
        with self._room:
            self._room.notify_all()

    def flush(self, timeout_seconds: float = 300, run_id: str | None = None) -> None:
        """Store every point logged before this call; raise if the store keeps failing, or
        (with ``run_id``) if points of that run were refused since the last report."""
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
                break
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
        if run_id is not None:
            self._report(run_id)

    def _report(self, run_id: str) -> None:
        losses = self._lost.get(run_id, [])
        new = losses[self._reported.get(run_id, 0):]
        if new:
            self._reported[run_id] = len(losses)
            raise MetricWriteError(describe_losses(run_id, new))

    def forget(self, run_id: str) -> None:
        """Drop what this buffer remembers of a finished run (its keys and losses)."""
        self._lost.pop(run_id, None)
        self._reported.pop(run_id, None)
        with self._keys_lock:
            for key in [k for k in self._keys if k[0] == run_id]:
                del self._keys[key]

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
            if len(self.queue) < BUSY or self._failures:
                # Back off while the store fails, but never longer than 5 s.
                delay = FLUSH_INTERVAL if not self._failures else min(
                    5.0, FLUSH_INTERVAL * 2 ** min(self._failures, 8))
                self._wake.wait(delay)
                self._wake.clear()
            if self._write_lock.acquire(timeout=1.0):
                try:
                    self._drain(None)
                except Exception:
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


__all__ = ["DEFAULT_MAX_POINTS", "FLUSH_INTERVAL", "HEARTBEAT_INTERVAL", "MAX_LAG",
           "MetricBuffer", "MetricWriteError", "flush_all", "get_buffer", "is_rejection"]
