"""The detached daemon of a compute cluster: ``python -m jupyter_mlws.execution.dask_cluster``.

A compute cluster must outlive the kernel that created it, so its Dask ``LocalCluster`` lives in
a process of its own (new session, stdin/stdout on /dev/null, stderr to ``daemon.log``). The
daemon publishes ``daemon.json`` (pid, scheduler address) once the scheduler listens, rewrites
``status.json`` (node counts) every second, and closes the cluster on SIGTERM/SIGINT.

With ``min_nodes=0`` it scales to zero: Adaptive retires nodes idle for
``idle_seconds_before_scaledown``, and once the daemon itself has had no node, no queued and no
running run for that long it exits cleanly, leaving ``stopped.json`` (reason ``idle``) so the
cluster reads as scaled to zero, not failed; the next submit starts it again. A stop by SIGTERM
leaves ``stopped.json`` with reason ``stopped``.

It is also the dispatcher of its cluster's runs: every ``DISPATCH_SECONDS`` it takes the specs
the SDK left in ``queue/`` (:func:`~.dask_dispatch.enqueue`) and follows them with one
:class:`~.dask_dispatch.RunTracker` over one in-process client, so a submit costs a file write,
not a process start plus ``import distributed`` plus a client connection per run. The SDK makes
the daemon the store owner of a run before queueing it: a dead daemon means Failed runs.

Launching and probing live here too (:func:`launch`, :func:`read_info`, :func:`is_alive`,
:func:`stop`): they import neither dask nor the store's engines, so the SDK calls them
cheaply. The daemon is identified by its process identity (start ticks and boot id, see
:mod:`jupyter_mlws.store.liveness`), which no wall-clock step moves.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..store.liveness import is_process_alive, process_identity
from .dask_dispatch import (
    QUEUE_DIR,
    RunTracker,
    has_queued,
    queue_lock,
    take_queued,
    warm_imports,
)
from .process import terminate_daemon
from .supervisor import PACKAGE_PARENT

INFO_FILE = "daemon.json"
STATUS_FILE = "status.json"
STOPPED_FILE = "stopped.json"
LOG_FILE = "daemon.log"
STATUS_SECONDS = 1.0
DISPATCH_SECONDS = 0.1


def _write_json(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def adapt_settings(idle_seconds: float) -> dict[str, Any]:
    """``idle_seconds_before_scaledown`` as Adaptive's interval and wait_count: a worker is
    retired after ``wait_count`` consecutive checks that found it unneeded."""
    idle = max(0.5, float(idle_seconds))
    interval = min(1.0, idle / 2)
    return {"interval": interval, "wait_count": max(1, math.ceil(idle / interval))}


def launch(state_dir: str | os.PathLike, *, min_nodes: int, max_nodes: int,
           idle_seconds: float, memory_limit: int | None = None) -> subprocess.Popen:
    """Start the daemon detached; its files go into ``state_dir`` (old ones are removed)."""
    folder = Path(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name in (INFO_FILE, STATUS_FILE, STOPPED_FILE):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    # Specs left by a previous daemon belong to runs it owned: they are Failed already.
    shutil.rmtree(folder / QUEUE_DIR, ignore_errors=True)
    argv = [sys.executable, "-m", "jupyter_mlws.execution.dask_cluster", "--state-dir",
            str(folder), "--min-nodes", str(min_nodes), "--max-nodes", str(max_nodes),
            "--idle-seconds", str(idle_seconds)]
    if memory_limit:
        argv += ["--memory-limit", str(int(memory_limit))]
    with open(folder / LOG_FILE, "ab") as log:
        return subprocess.Popen(argv, cwd=PACKAGE_PARENT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=log,
                                start_new_session=True, close_fds=True)


def read_info(state_dir: str | os.PathLike) -> dict[str, Any] | None:
    """``{"pid", "identity", "host", "address", ...}`` once the scheduler listens, else
    None."""
    return _read_json(Path(state_dir) / INFO_FILE)


def read_status(state_dir: str | os.PathLike) -> dict[str, Any] | None:
    return _read_json(Path(state_dir) / STATUS_FILE)


def read_stopped(state_dir: str | os.PathLike) -> dict[str, Any] | None:
    """``{"pid", "identity", "reason": "idle" | "stopped", "time"}`` of a daemon that ended
    cleanly, else None."""
    return _read_json(Path(state_dir) / STOPPED_FILE)


def log_tail(state_dir: str | os.PathLike, lines: int = 15) -> str:
    try:
        text = (Path(state_dir) / LOG_FILE).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def is_alive(pid: int | None, identity: str | None = None,
             create_time: float | None = None) -> bool:
    """The process ``pid`` still runs and is the one that was started (not a reused pid):
    by its ``identity``, or the ``create_time`` recorded by earlier releases."""
    return is_process_alive(pid, identity=identity, create_time=create_time)


def stop(pid: int | None, identity: str | None = None, create_time: float | None = None,
         timeout: float = 20.0) -> bool:
    """SIGTERM the daemon (it closes its workers), SIGKILL its tree after ``timeout``.
    Returns True once it is gone."""
    if not is_alive(pid, identity, create_time):
        return True
    assert pid is not None
    terminate_daemon(pid, timeout)
    return not is_alive(pid, identity, create_time)


# --------------------------------------------------------------------------- the daemon


def _node_counts(cluster: Any) -> dict[str, Any]:
    scheduler = cluster.scheduler
    try:
        workers = list(scheduler.workers.values())
    except RuntimeError:  # changed size while read from this thread; next tick retries
        return {}
    running = sum(1 for w in workers if w.processing)
    # One entry per node in v1's list_nodes() shape; runIds are the runs it executes (task
    # keys are run ids, see dask_dispatch).
    nodes = []
    for w in workers:
        host, _, port = str(w.address).rpartition(":")
        nodes.append({"nodeId": str(w.name), "port": int(port) if port.isdigit() else None,
                      "privateIpAddress": host.split("//")[-1], "publicIpAddress": None,
                      "nodeState": "running" if w.processing else "idle",
                      "runIds": sorted(str(t.key) for t in w.processing)})
    return {
        "nodes": nodes,
        "current_node_count": len(workers),
        "target_node_count": len(cluster.worker_spec),
        "node_state_counts": {"idle": len(workers) - running, "running": running,
                              "preparing": max(0, len(cluster.worker_spec) - len(workers)),
                              "unusable": 0, "leaving": 0, "preempted": 0},
        "queued_tasks": len(scheduler.queued) + len(scheduler.unrunnable),
        "allocation_state": ("Resizing" if len(cluster.worker_spec) != len(workers)
                             else "Steady"),
        "time": time.time(),
    }


class _Idle:
    """How long the cluster has had nothing: no node (live or starting), no run dispatched,
    none queued. Measured on the monotonic clock."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.since: float | None = None

    def expired(self, cluster: Any, tracker: Any, state_dir: Path) -> bool:
        try:
            busy = bool(tracker.runs or cluster.worker_spec or cluster.scheduler.workers
                        or cluster.scheduler.tasks or has_queued(state_dir))
        except RuntimeError:  # a collection changed size while read: busy for this tick
            busy = True
        now = time.monotonic()
        if busy:
            self.since = None
            return False
        if self.since is None:
            self.since = now
        return now - self.since >= self.seconds


def _retire_if_idle(state_dir: Path, me: dict[str, Any]) -> bool:
    """Under the queue lock: nothing was queued meanwhile, so record the clean stop and take
    the daemon's files away; submitters then start a new daemon. True when retired."""
    with queue_lock(state_dir):
        if has_queued(state_dir):
            return False
        _write_json(state_dir / STOPPED_FILE, {**me, "reason": "idle", "time": time.time()})
        _remove_own(state_dir, me["pid"])
    return True


def _remove_own(state_dir: Path, pid: int) -> None:
    """Remove daemon.json/status.json if they are still this daemon's (a new daemon may
    already have written its own)."""
    info = read_info(state_dir)
    if info is not None and info.get("pid") != pid:
        return
    for name in (INFO_FILE, STATUS_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()


def serve(state_dir: Path, min_nodes: int, max_nodes: int, idle_seconds: float,
          memory_limit: int | None) -> int:
    import dask  # Dask on use
    import psutil  # psutil on use

    # A lost worker fails the run instead of silently running the script again.
    dask.config.set({"distributed.scheduler.allowed-failures": 0,
                     # one task per one-thread worker: queued runs stay on the scheduler,
                     # where they can be canceled and where adapt() sees them
                     "distributed.scheduler.worker-saturation": 1.0})
    from distributed import Client, LocalCluster  # Dask on use

    cluster = LocalCluster(n_workers=min_nodes, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1", scheduler_port=0,
                           memory_limit=memory_limit or "auto",
                           preload=["jupyter_mlws.execution.dask_dispatch"])
    # target_duration tiny: every queued run asks for its own node (up to max_nodes); runs are
    # long and opaque, so Dask's duration estimates would under-provision.
    cluster.adapt(minimum=min_nodes, maximum=max_nodes, target_duration="1ms",
                  **adapt_settings(idle_seconds))
    stopping = threading.Event()
    client = Client(cluster, set_as_default=False)
    tracker = RunTracker(client)

    def on_signal(*_: Any) -> None:
        stopping.set()
        tracker.wake()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    pid = psutil.Process().pid
    me = {"pid": pid, "identity": process_identity(pid)}
    _write_json(state_dir / INFO_FILE, {
        **me, "host": socket.gethostname(), "address": cluster.scheduler_address,
        "min_nodes": min_nodes, "max_nodes": max_nodes, "idle_seconds": idle_seconds})
    warm_imports()
    idle = _Idle(idle_seconds) if min_nodes == 0 else None
    retired = False
    try:
        last_status = 0.0
        while not stopping.is_set():
            _dispatch(state_dir, tracker)
            now = time.monotonic()
            if now - last_status >= STATUS_SECONDS:
                last_status = now
                counts = _node_counts(cluster)
                if counts:
                    counts["dispatched_runs"] = len(tracker.runs)
                    _write_json(state_dir / STATUS_FILE, counts)
            if idle is not None and idle.expired(cluster, tracker, state_dir):
                retired = _retire_if_idle(state_dir, me)
                if retired:
                    print(f"[mlws] idle for {idle_seconds:g} s with no node and no run: "
                          "scaled to zero", file=sys.stderr)
                    break
                idle.since = None  # a run arrived meanwhile
            tracker.wait(DISPATCH_SECONDS)
    finally:
        if not retired:
            stopped = "The compute cluster was stopped before the run started; submit it again."
            for spec in take_queued(state_dir):  # queued meanwhile: failed now, not left
                _fail_spec(spec, "ClusterStopped", stopped, owner=tracker.owner)
            tracker.shutdown("ClusterStopped", stopped)
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)
        if not retired:
            if stopping.is_set():  # asked to stop (delete, restart, stop): a clean stop
                _write_json(state_dir / STOPPED_FILE, {**me, "reason": "stopped",
                                                       "time": time.time()})
            _remove_own(state_dir, pid)
    return 0


def _dispatch(state_dir: Path, tracker: Any) -> None:
    """Submit newly queued runs and record the ones that ended; one bad run never stops the
    dispatcher of the others."""
    for spec in take_queued(state_dir):
        try:
            tracker.add(spec)
        except Exception as exc:
            print(f"[mlws] could not dispatch run {spec.get('run_id')}: {exc}",
                  file=sys.stderr)
            _fail_spec(spec, "ExecutionError",
                       f"The cluster could not submit the run: {type(exc).__name__}: {exc}")
    try:
        tracker.tick()
    except Exception as exc:
        print(f"[mlws] following runs: {type(exc).__name__}: {exc}", file=sys.stderr)


def _fail_spec(spec: dict[str, Any], code: str, message: str, owner: str | None = None) -> None:
    """Fail the run of a spec that was never submitted (only if ``owner`` still owns it)."""
    from .executor import open_run_store  # on use: loads 6 more modules

    with contextlib.suppress(Exception):
        store = open_run_store(spec)
        if owner is None or store.get_run(spec["run_id"]).owner == owner:
            store.update_run(spec["run_id"], status="Failed", only_if_active=True,
                             error={"error": {"code": code, "message": message}})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_mlws.execution.dask_cluster")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--min-nodes", type=int, default=0)
    parser.add_argument("--max-nodes", type=int, required=True)
    parser.add_argument("--idle-seconds", type=float, default=1800)
    parser.add_argument("--memory-limit", type=int, default=None)
    args = parser.parse_args(argv)
    return serve(Path(args.state_dir), args.min_nodes, args.max_nodes, args.idle_seconds,
                 args.memory_limit)


if __name__ == "__main__":
    sys.exit(main())
