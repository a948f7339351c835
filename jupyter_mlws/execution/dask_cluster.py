"""The detached daemon of a compute cluster: ``python -m jupyter_mlws.execution.dask_cluster``.

A compute cluster must outlive the kernel that created it, so its Dask ``LocalCluster`` lives in
a process of its own (new session, stdin/stdout on /dev/null, stderr to ``daemon.log``). The
daemon publishes ``daemon.json`` (pid, scheduler address) once the scheduler listens, rewrites
``status.json`` (node counts) every second, and closes the cluster on SIGTERM/SIGINT.

It is also the dispatcher of its cluster's runs: every ``DISPATCH_SECONDS`` it takes the specs
the SDK left in ``queue/`` (:func:`~.dask_dispatch.enqueue`) and follows them with one
:class:`~.dask_dispatch.RunTracker` over one in-process client, so a submit costs a file write,
not a process start plus ``import distributed`` plus a client connection per run. The SDK makes
the daemon the store owner of a run before queueing it: a dead daemon means Failed runs.

Launching and probing live here too (:func:`launch`, :func:`read_info`, :func:`is_alive`,
:func:`stop`): they import neither dask nor the store, so the SDK can call them cheaply.
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

from .dask_dispatch import QUEUE_DIR, RunTracker, take_queued, warm_imports
from .supervisor import PACKAGE_PARENT

INFO_FILE = "daemon.json"
STATUS_FILE = "status.json"
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
    for name in (INFO_FILE, STATUS_FILE):
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
    """``{"pid", "create_time", "host", "address"}`` once the scheduler listens, else None."""
    return _read_json(Path(state_dir) / INFO_FILE)


def read_status(state_dir: str | os.PathLike) -> dict[str, Any] | None:
    return _read_json(Path(state_dir) / STATUS_FILE)


def log_tail(state_dir: str | os.PathLike, lines: int = 15) -> str:
    try:
        text = (Path(state_dir) / LOG_FILE).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def is_alive(pid: int | None, create_time: float | None) -> bool:
    """The process ``pid`` still runs and is the one that was started (not a reused pid)."""
    if not pid:
        return False
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(proc.create_time() - create_time) < 0.05
    except psutil.Error:
        return False


def stop(pid: int | None, create_time: float | None, timeout: float = 20.0) -> bool:
    """SIGTERM the daemon (it closes its workers), SIGKILL its tree after ``timeout``.
    Returns True once it is gone."""
    if not is_alive(pid, create_time):
        return True
    import psutil

    assert pid is not None
    try:
        proc = psutil.Process(pid)
        family = proc.children(recursive=True)
        proc.terminate()
        proc.wait(timeout)
    except psutil.TimeoutExpired:
        for member in [proc, *family]:
            with contextlib.suppress(psutil.Error):
                member.kill()
    except psutil.Error:
        pass
    _gone, alive = psutil.wait_procs(family, timeout=5)
    for member in alive:  # workers that outlived a clean close
        with contextlib.suppress(psutil.Error):
            member.kill()
    return not is_alive(pid, create_time)


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


def serve(state_dir: Path, min_nodes: int, max_nodes: int, idle_seconds: float,
          memory_limit: int | None) -> int:
    import dask
    import psutil

    # A lost worker fails the run instead of silently running the script again.
    dask.config.set({"distributed.scheduler.allowed-failures": 0,
                     # one task per one-thread worker: queued runs stay on the scheduler,
                     # where they can be canceled and where adapt() sees them
                     "distributed.scheduler.worker-saturation": 1.0})
    from distributed import Client, LocalCluster

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
    me = psutil.Process()
    _write_json(state_dir / INFO_FILE, {
        "pid": me.pid, "create_time": me.create_time(), "host": socket.gethostname(),
        "address": cluster.scheduler_address, "min_nodes": min_nodes, "max_nodes": max_nodes})
    warm_imports()
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
            tracker.wait(DISPATCH_SECONDS)
    finally:
        stopped = "The compute cluster was stopped before the run started; submit it again."
        for spec in take_queued(state_dir):  # queued meanwhile: failed now, not left waiting
            _fail_spec(spec, "ClusterStopped", stopped, owner=tracker.owner)
        tracker.shutdown("ClusterStopped", stopped)
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)
        for name in (INFO_FILE, STATUS_FILE):
            with contextlib.suppress(FileNotFoundError):
                (state_dir / name).unlink()
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
    from .executor import _open_store

    with contextlib.suppress(Exception):
        store = _open_store(spec)
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
