"""The one store poller per server behind the live channel (``live.py``).

Writers are other processes (kernels, scripts, run supervisors) writing straight into the
database, so the server cannot be told about changes: it looks. One asyncio task per server,
not per client, wakes every ``POLL_INTERVAL`` seconds while at least one subscription exists,
reads what the subscriptions watch (each distinct store read once per tick, whatever the number
of subscribers) in a worker thread because store calls block, and hands each subscription the
deltas since what it was last sent. With no subscription left the task ends.

All cursor state of a subscription is only touched by the tick (one at a time), so the worker
thread needs no lock; the event loop only adds subscriptions and flips ``active``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..store.base import (
    ACTIVE_STATUSES,
    ArtifactRecord,
    MetricInfo,
    MetricSeries,
    NotFoundError,
    RunQuery,
    RunRecord,
    Store,
    StoreError,
)
from ..store.codec import dumps, encode_values, json_safe
from ..store.logs import LOG_READ_DEFAULT

POLL_INTERVAL = 0.25  # seconds between looks at the store
NEWEST_RUNS = 50  # newest runs of a watched experiment/workspace compared each tick
ACTIVE_RUNS = 500  # active runs of a watched experiment/workspace compared each tick
MAX_POINTS_PER_MESSAGE = 5000  # a long catch-up travels as several metric messages

Message = dict[str, Any]


class Delivery(Protocol):
    """What the poller needs of a connected client."""

    def deliver(self, sub: Subscription, message: Message) -> None: ...

    def ended(self, sub: Subscription) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One ``subscribe`` of one client, with the cursors of what it was already sent."""

    client: Delivery
    sub_id: str
    workspace_id: str
    run_id: str | None = None
    experiment_id: str | None = None
    include_children: bool = False
    metrics: frozenset[str] | None = None  # None: every scalar series
    metric_cursors: dict[str, int] = field(default_factory=dict)  # name -> last seq sent
    log_offsets: dict[str, int] = field(default_factory=dict)  # path -> next byte to send
    files: dict[str, tuple[int, float]] = field(default_factory=dict)  # path -> (size, time)
    run_fingerprint: str | None = None
    # Collections: run id -> (status, fingerprint) of the runs compared each tick.
    runs: dict[str, tuple[str, str]] = field(default_factory=dict)
    started: bool = False  # baseline taken and "subscribed" sent
    active: bool = True  # False once unsubscribed or its client is gone
    finished: bool = False  # the watched asset disappeared: the tick dropped it


def run_fingerprint(record: RunRecord) -> str:
    """What makes a run "changed" for a browser; the heartbeat alone does not."""
    body = record.to_dict()
    body.pop("heartbeat_time", None)
    return dumps(body)


def run_json(record: RunRecord) -> dict[str, Any]:
    """The run as the REST run route serializes it."""
    return json_safe(record)


class _TickReads:
    """Store reads of one tick, memoized so that N subscribers cost one read."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _once(self, key: tuple[Any, ...], fn: Callable[[], Any]) -> Any:
        if key not in self._memo:
            try:
                self._memo[key] = fn()
            except StoreError as exc:
                self._memo[key] = exc
        value = self._memo[key]
        if isinstance(value, StoreError):
            raise value
        return value

    def run(self, run_id: str) -> RunRecord:
        return self._once(("run", run_id), lambda: self.store.get_run(run_id))

    def metrics(self, run_id: str) -> list[MetricInfo]:
        return self._once(("metrics", run_id), lambda: self.store.list_metrics(run_id))

    def series(self, run_id: str, name: str, since: int) -> MetricSeries:
        return self._once(("series", run_id, name, since),
                          lambda: self.store.get_metric_series(run_id, name, since=since))

    def artifacts(self, run_id: str) -> list[ArtifactRecord]:
        return self._once(("artifacts", run_id), lambda: self.store.list_artifacts(run_id))

    def log(self, run_id: str, path: str, offset: int) -> tuple[str, int]:
        return self._once(("log", run_id, path, offset),
                          lambda: self._read_log(run_id, path, offset))

    def _read_log(self, run_id: str, path: str, offset: int) -> tuple[str, int]:
        """Text from ``offset`` and the next offset (the one tailer, ``store/logs.py``)."""
        chunk = self.store.tail_log(run_id, path, offset, LOG_READ_DEFAULT)
        return chunk.data, chunk.offset

    def collection(self, workspace_id: str, experiment_id: str | None,
                   include_children: bool) -> dict[str, RunRecord]:
        """The newest runs and every active run of an experiment or workspace, by id."""
        def read() -> dict[str, RunRecord]:
            newest = self.store.list_runs(workspace_id, RunQuery(
                experiment_id=experiment_id, include_children=include_children,
                order_by="created_time", descending=True, limit=NEWEST_RUNS))
            active = self.store.list_runs(workspace_id, RunQuery(
                experiment_id=experiment_id, include_children=include_children,
                status=sorted(ACTIVE_STATUSES), order_by="created_time", descending=True,
                limit=ACTIVE_RUNS))
            return {record.id: record for record in [*active, *newest]}

        return self._once(("collection", workspace_id, experiment_id, include_children), read)


def _poll_run(reads: _TickReads, sub: Subscription) -> list[Message]:
    run_id = sub.run_id
    assert run_id is not None
    out: list[Message] = []
    record = reads.run(run_id)
    fingerprint = run_fingerprint(record)
    if fingerprint != sub.run_fingerprint:
        sub.run_fingerprint = fingerprint
        out.append({"type": "run", "sub": sub.sub_id, "run": run_json(record)})
    for info in reads.metrics(run_id):
        wanted = info.kind == "scalar" if sub.metrics is None else info.name in sub.metrics
        cursor = sub.metric_cursors.get(info.name, 0)
        if not wanted or info.count <= cursor:
            continue
        series = reads.series(run_id, info.name, cursor)
        for start in range(0, len(series.seq), MAX_POINTS_PER_MESSAGE):
            end = start + MAX_POINTS_PER_MESSAGE
            out.append({"type": "metric", "sub": sub.sub_id, "run_id": run_id,
                        "name": info.name, "kind": series.kind, "seq": series.seq[start:end],
                        "step": series.step[start:end], "time": series.time[start:end],
                        "value": encode_values(series.value[start:end])[0]})
        if series.seq:
            sub.metric_cursors[info.name] = series.seq[-1]
    artifacts = reads.artifacts(run_id)
    changed = [a for a in artifacts if sub.files.get(a.path) != (a.size, a.created_time)]
    sub.files = {a.path: (a.size, a.created_time) for a in artifacts}
    if changed:
        out.append({"type": "files", "sub": sub.sub_id, "run_id": run_id,
                    "artifacts": [a.to_dict() for a in changed]})
    sizes = {a.path: a.size for a in artifacts}
    for path, offset in sub.log_offsets.items():
        if sizes.get(path, 0) <= offset:
            continue
        text, next_offset = reads.log(run_id, path, offset)
        if next_offset > offset:
            sub.log_offsets[path] = next_offset
            out.append({"type": "log", "sub": sub.sub_id, "run_id": run_id, "path": path,
                        "offset": offset, "next_offset": next_offset, "data": text})
    return out


def _poll_collection(reads: _TickReads, sub: Subscription) -> list[Message]:
    current = reads.collection(sub.workspace_id, sub.experiment_id, sub.include_children)
    seen = {run_id: (record.status, run_fingerprint(record))
            for run_id, record in current.items()}
    if not sub.started:
        sub.runs = seen  # the baseline: only what changes from now on is sent
        return []
    changed = [record for run_id, record in current.items()
               if sub.runs.get(run_id) != seen[run_id]]
    # A run seen active that left both lists ended (it is no longer active) but may be older
    # than the newest page: look it up alone so its final status is not missed.
    for run_id, (status, fingerprint) in sub.runs.items():
        if run_id in current or status not in ACTIVE_STATUSES:
            continue
        try:
            record = reads.run(run_id)
        except NotFoundError:
            continue  # deleted: nothing left to report
        if record.workspace_id != sub.workspace_id:
            continue
        seen[run_id] = (record.status, run_fingerprint(record))
        if seen[run_id][1] != fingerprint:
            changed.append(record)
    sub.runs = seen
    changed.sort(key=lambda r: (r.created_time, r.number))
    return [{"type": "run", "sub": sub.sub_id, "run": run_json(record)} for record in changed]


class LivePoller:
    """Polls the store for every subscription of one server and fans out the deltas."""

    def __init__(self, store: Callable[[], Store], log: logging.Logger | None = None,
                 interval: float = POLL_INTERVAL) -> None:
        self._store = store
        self._log = log or logging.getLogger(__name__)
        self.interval = interval
        self._subs: list[Subscription] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def add(self, sub: Subscription) -> None:
        """Start watching; the baseline is taken on the next tick, which starts now."""
        self._subs.append(sub)
        self._wake.set()
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def remove(self, sub: Subscription) -> None:
        sub.active = False
        if sub in self._subs:
            self._subs.remove(sub)

    async def _loop(self) -> None:
        while self._subs:
            self._wake.clear()
            subs = list(self._subs)
            try:
                results = await asyncio.to_thread(self._tick, subs)
            except Exception:  # a broken tick must not end live updates for everyone
                self._log.exception("jupyter_mlws live poller tick failed")
                results = []
            for sub, message in results:
                if sub.active:
                    sub.client.deliver(sub, message)
            for sub in subs:
                if sub.finished and sub.active:
                    self.remove(sub)
                    sub.client.ended(sub)
            if not self._subs:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
        self._task = None

    def _tick(self, subs: list[Subscription]) -> list[tuple[Subscription, Message]]:
        """One look at the store for every subscription (runs in a worker thread)."""
        reads = _TickReads(self._store())
        out: list[tuple[Subscription, Message]] = []
        for sub in subs:
            if not sub.active:
                continue
            try:
                poll = _poll_run if sub.run_id else _poll_collection
                out.extend((sub, message) for message in poll(reads, sub))
            except NotFoundError as exc:
                sub.finished = True
                out.append((sub, {"type": "error", "sub": sub.sub_id, "message": str(exc)}))
                continue
            except StoreError as exc:  # transient (a locked database...): try next tick
                self._log.warning("jupyter_mlws live poll of %s failed: %s", sub.sub_id, exc)
                continue
            except Exception:  # one broken subscription must not starve the others
                self._log.exception("jupyter_mlws live poll of %s failed", sub.sub_id)
                continue
            if not sub.started:
                sub.started = True
                out.append((sub, {"type": "subscribed", "sub": sub.sub_id}))
        return out
