"""Script runs as Dask tasks: the task function, and the tracker that submits runs through one
``Client`` and records how they end.

Two processes follow runs with a :class:`RunTracker`:

- the daemon of a compute cluster (:mod:`.dask_cluster`) is the *dispatcher* of its cluster:
  the SDK drops a run's spec into the cluster's queue folder (:func:`enqueue`, one 0600 file,
  removed once read) after making the daemon the run's store owner, and the daemon submits it
  within ~0.1 s. One process, one imported ``distributed``, one connected client for every run;
- the per-run supervisor of an attached scheduler (:mod:`.dask_launch`), with one run.

What the tracker guarantees, whoever drives it:

- a run is submitted as one task keyed by its run id; the task (:func:`run_task`) takes over
  ownership and writes Preparing/Running/... itself (:func:`~.executor.execute_run`);
- cancel goes through the store (``CancelRequested`` + the cancel property). A run whose task
  has not started (still owned by the tracker) is dropped from the scheduler and ends
  ``Canceled`` without starting; a running one is stopped by its executor, and killed on its
  worker with ``client.run`` if it does not stop (``future.cancel()`` never stops a script);
- a lost worker fails the run (``NodeLost``); :func:`run_task` refuses to start a run twice even
  on a scheduler that retries tasks of lost workers;
- futures are released as soon as the final status is known, so adapt() can scale down.

Nothing here imports dask or the store at module level: the SDK imports :func:`enqueue`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store.base import RunQuery
from ..store.liveness import current_owner
from ..store.status import TERMINAL_STATUSES as TERMINAL
from .cancel import CANCEL_PROPERTY, cancel_requested

POLL_SECONDS = 0.25  # how often cancel requests are looked up (one query per workspace)
KILL_AFTER_SECONDS = 3.0
HEARTBEAT_SECONDS = 30.0
QUEUE_DIR = "queue"

WAITING = frozenset({"NotStarted", "Starting", "Queued"})
_ACTIVE_FOR_CANCEL = ("NotStarted", "Starting", "Queued", "Preparing", "Running",
                      "Finalizing", "CancelRequested")


# --------------------------------------------------------------------------- the queue folder


def queue_dir(state_dir: str | os.PathLike) -> Path:
    return Path(state_dir) / QUEUE_DIR


@contextlib.contextmanager
def queue_lock(state_dir: str | os.PathLike) -> Iterator[None]:
    """Exclusive hold of a cluster's queue: a submitter checks the daemon and enqueues under
    it, and an idle daemon retires under it, so no spec is ever left for a daemon that is
    going away (an advisory ``flock``, released if its holder dies)."""
    folder = Path(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "queue.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def has_queued(state_dir: str | os.PathLike) -> bool:
    try:
        return any(e.name.endswith(".json") for e in os.scandir(queue_dir(state_dir)))
    except FileNotFoundError:
        return False


def enqueue(state_dir: str | os.PathLike, spec: dict[str, Any]) -> Path:
    """Hand ``spec`` to the cluster daemon of ``state_dir``: an atomic 0600 file (the spec may
    hold the server token), picked up and removed by the daemon."""
    folder = queue_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec['run_id']}.json"
    partial = folder / f".{spec['run_id']}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with open(fd, "w", encoding="utf-8") as handle:
        json.dump(spec, handle)
    os.replace(partial, path)
    return path


def take_queued(state_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """Read and remove every spec waiting in the queue folder, oldest first."""
    folder = queue_dir(state_dir)
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".json")]
    except FileNotFoundError:
        return []
    specs = []
    for entry in sorted(entries, key=lambda e: e.stat().st_mtime_ns):
        try:
            with open(entry.path, encoding="utf-8") as handle:
                specs.append(json.load(handle))
        except (OSError, ValueError) as exc:
            print(f"[mlws] unreadable queued spec {entry.name}: {exc}", file=sys.stderr)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
    return specs


# --------------------------------------------------------------------------- on the worker


def warm_imports() -> None:
    """Import the executor and the store now rather than on a process's first run (the
    store's SQL stack costs ~0.5 s or more on a busy machine)."""
    try:
        from ..store import sql  # noqa: F401
        from . import executor  # noqa: F401
    except Exception as exc:  # the first run reports what is wrong, with its run id
        print(f"[mlws] warming imports: {exc}", file=sys.stderr)


def dask_setup(worker: Any) -> None:
    """Dask preload hook (cluster workers load this module with ``preload=``): a node's first
    run starts as fast as its later ones."""
    warm_imports()


def node_lost(spec: dict[str, Any]) -> dict[str, Any]:
    return {"error": {
        "code": "NodeLost",
        "message": f"The compute node (Dask worker) running run {spec['run_id']} was lost "
                   "while the run was executing; the run was not retried. Check the "
                   "worker's memory limit and logs, then submit the run again."}}


def run_task(spec: dict[str, Any]) -> dict[str, Any]:
    """The Dask task of a run: :func:`execute_run`, unless this run was already started once
    (a scheduler re-running the task of a lost worker), which fails it instead."""
    from .executor import (  # on use: runs on a Dask worker, imports there
        execute_run,
        open_run_store,
    )

    store = open_run_store(spec)
    record = store.get_run(spec["run_id"])
    cancel = cancel_requested(record)
    if record.status not in WAITING and not (cancel and record.status == "CancelRequested"):
        store.update_run(spec["run_id"], status="Failed", error=node_lost(spec),
                         only_if_active=True)
        return {"status": "Failed", "exit_code": None, "rerun_refused": True}
    return execute_run(spec)


def kill_run_processes(run_id: str) -> int:
    """Kill, on this worker, every process group of the script of ``run_id`` (found by its
    ``MLWS_RUN_ID``); returns how many processes matched. Run through ``client.run``."""
    import psutil  # psutil on use

    me = psutil.Process()
    matched = 0
    for proc in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("MLWS_RUN_ID") == run_id:
                matched += 1
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
    return matched


# --------------------------------------------------------------------------- the tracker


@dataclass
class _Tracked:
    spec: dict[str, Any]
    store: Any
    future: Any
    cancel_seen: float | None = None
    killed: bool = False


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class RunTracker:
    """Runs submitted through ``client`` and followed until they end. One thread drives it
    (:meth:`add`, :meth:`wait`, :meth:`tick`); futures' done callbacks only wake that thread."""

    def __init__(self, client: Any, owner: str | None = None) -> None:
        self.client = client
        self.owner = owner or current_owner()
        self.runs: dict[str, _Tracked] = {}
        self._wake = threading.Event()
        self._last_cancel_poll = 0.0
        self._last_beat = time.monotonic()

    # ---- driving
    def wake(self) -> None:
        self._wake.set()

    def wait(self, timeout: float) -> None:
        """Until a run's task ends, :meth:`wake` is called, or ``timeout`` passes."""
        self._wake.wait(timeout)
        self._wake.clear()

    def add(self, spec: dict[str, Any]) -> str | None:
        """Submit the run of ``spec``; returns its final status when it ended at once
        (canceled before submission, already terminal, not ours), else None."""
        from .executor import open_run_store  # on use: executor pulls environments

        run_id = spec["run_id"]
        store = open_run_store(spec)
        record = store.get_run(run_id)
        if record.status in TERMINAL:
            return record.status
        if record.owner != self.owner:
            # Handed to an earlier dispatcher (or taken over): not ours to start.
            return record.status
        if record.status == "CancelRequested" or cancel_requested(record):
            return self._set(store, run_id, "Canceled")
        if record.status != "Queued":
            self._set(store, run_id, "Queued")
        future = self.client.submit(run_task, spec, key=run_id, pure=False)
        self.runs[run_id] = _Tracked(spec, store, future)
        future.add_done_callback(lambda _future: self._wake.set())
        return None

    def tick(self) -> list[tuple[str, str]]:
        """Record ended tasks, honour cancel requests, beat; returns ``(run id, final
        status)`` of the runs that left the tracker."""
        ended = [(run_id, self._finish(run_id)) for run_id, tracked in list(self.runs.items())
                 if tracked.future.done()]
        now = time.monotonic()
        if self.runs and now - self._last_cancel_poll >= POLL_SECONDS:
            self._last_cancel_poll = now
            for run_id in self._cancel_requests():
                status = self._cancel(run_id, now)
                if status is not None:
                    ended.append((run_id, status))
        if now - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = now
            self._heartbeat()
        return ended

    def shutdown(self, code: str, message: str) -> None:
        """Fail the runs whose task has not started (their owner, this process, is going
        away) and release every future."""
        for run_id, tracked in list(self.runs.items()):
            with contextlib.suppress(Exception):
                tracked.future.cancel()
                if tracked.store.get_run(run_id).owner == self.owner:
                    self._set(tracked.store, run_id, "Failed", _error(code, message))
            self._drop(run_id)

    # ---- internals
    def _set(self, store: Any, run_id: str, status: str,
             error: dict[str, Any] | None = None) -> str:
        return store.update_run(run_id, status=status, error=error, only_if_active=True).status

    def _drop(self, run_id: str) -> None:
        tracked = self.runs.pop(run_id, None)
        if tracked is not None:
            with contextlib.suppress(Exception):
                tracked.future.release()  # results held by a client keep workers busy

    def _finish(self, run_id: str) -> str:
        tracked = self.runs[run_id]
        try:
            result = tracked.future.result()
            error = None
        except Exception as exc:
            from distributed import KilledWorker  # optional: distributed is the [dask] extra

            result = None
            error = (node_lost(tracked.spec) if isinstance(exc, KilledWorker) else _error(
                "ExecutionError", f"The Dask task of the run failed: {type(exc).__name__}: "
                                  f"{exc}"))
        finally:
            self._drop(run_id)
        record = tracked.store.get_run(run_id)
        if record.status in TERMINAL and error is None:
            return record.status
        if error is not None:
            return self._set(tracked.store, run_id, "Failed", error)
        return self._set(tracked.store, run_id, result["status"] if result else "Failed")

    def _cancel_requests(self) -> set[str]:
        """Tracked runs with a cancel request: two queries per workspace, whatever the
        number of runs (the status, and the property that survives racing status writes)."""

        groups: dict[tuple[int, str], tuple[Any, set[str]]] = {}
        for run_id, tracked in self.runs.items():
            key = (id(tracked.store), tracked.spec["workspace_id"])
            groups.setdefault(key, (tracked.store, set()))[1].add(run_id)
        found: set[str] = set()
        for (_store_id, workspace_id), (store, ids) in groups.items():
            queries = (RunQuery(status=["CancelRequested"], include_children=True),
                       RunQuery(status=list(_ACTIVE_FOR_CANCEL), include_children=True,
                                properties={CANCEL_PROPERTY: "true"}))
            for query in queries:
                try:
                    found.update(r.id for r in store.list_runs(workspace_id, query)
                                 if r.id in ids)
                except Exception as exc:  # a store hiccup must not stop the dispatcher
                    print(f"[mlws] cancel lookup failed: {exc}", file=sys.stderr)
        return found

    def _cancel(self, run_id: str, now: float) -> str | None:
        tracked = self.runs[run_id]
        record = tracked.store.get_run(run_id)
        if record.owner == self.owner or record.status in TERMINAL:
            # The task never started: drop it. Should it start anyway, run_task sees a
            # terminal run and execute_run is never called.
            tracked.future.cancel()
            self._drop(run_id)
            return self._set(tracked.store, run_id, "Canceled")
        tracked.cancel_seen = tracked.cancel_seen or now
        if not tracked.killed and now - tracked.cancel_seen > KILL_AFTER_SECONDS:
            tracked.killed = True  # the executor did not stop the script: kill it
            with contextlib.suppress(Exception):
                self.client.run(kill_run_processes, run_id)
        return None

    def _heartbeat(self) -> None:
        for run_id, tracked in list(self.runs.items()):
            with contextlib.suppress(Exception):
                if tracked.store.get_run(run_id).owner == self.owner:
                    tracked.store.update_run(run_id, heartbeat=True)


__all__ = ["RunTracker", "enqueue", "kill_run_processes", "node_lost", "run_task",
           "take_queued"]
