"""Running a script run on a Dask scheduler (a compute cluster or an attached scheduler).

:func:`launch` starts ``python -m jupyter_mlws.execution.dask_launch <spec>``: the run's
detached supervisor for Dask, the counterpart of :mod:`.supervisor` for local runs. It owns the
run while it waits (status ``Queued``), submits :func:`run_task` (which calls
:func:`~.executor.execute_run`) as one task keyed by the run id, and follows it:

- the task takes over ownership and writes Preparing/Running/... itself;
- cancel goes through the store (``CancelRequested`` + the cancel property), which the executor
  honours; a run still queued is dropped from the scheduler; a script that does not stop is
  killed on its worker with ``client.run`` (``future.cancel()`` alone never stops a script);
- a lost worker fails the run (``NodeLost``); :func:`run_task` refuses to start a run a second
  time even on a scheduler that retries tasks of lost workers;
- the future is released as soon as the final status is known, so adapt() can scale down.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from .cancel import cancel_requested
from .supervisor import PACKAGE_PARENT, remove_spec, write_spec

POLL_SECONDS = 0.25
KILL_AFTER_SECONDS = 3.0
HEARTBEAT_SECONDS = 30.0


def connect_timeout() -> str:
    """How long to try reaching a scheduler (``MLWS_DASK_CONNECT_TIMEOUT``, default 20s)."""
    return os.environ.get("MLWS_DASK_CONNECT_TIMEOUT", "20s")

_WAITING = frozenset({"NotStarted", "Starting", "Queued"})
_TERMINAL = frozenset({"Completed", "Failed", "Canceled"})


def launch(spec: dict[str, Any], address: str, directory: str) -> subprocess.Popen:
    """Write ``spec`` (with the scheduler ``address``) and start its Dask supervisor."""
    spec_path = write_spec({**spec, "dask_address": address}, directory)
    with open(os.path.join(directory, "supervisor.log"), "ab") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlws.execution.dask_launch", spec_path],
            cwd=PACKAGE_PARENT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=errors, start_new_session=True, close_fds=True)


# --------------------------------------------------------------------------- on the worker


def _node_lost(spec: dict[str, Any]) -> dict[str, Any]:
    return {"error": {
        "code": "NodeLost",
        "message": f"The compute node (Dask worker) running run {spec['run_id']} was lost "
                   "while the run was executing; the run was not retried. Check the "
                   "worker's memory limit and logs, then submit the run again."}}


def run_task(spec: dict[str, Any]) -> dict[str, Any]:
    """The Dask task of a run: :func:`execute_run`, unless this run was already started once
    (a scheduler re-running the task of a lost worker), which fails it instead."""
    from .executor import _open_store, execute_run

    store = _open_store(spec)
    record = store.get_run(spec["run_id"])
    cancel = cancel_requested(record)
    if record.status not in _WAITING and not (cancel and record.status == "CancelRequested"):
        store.update_run(spec["run_id"], status="Failed", error=_node_lost(spec),
                         only_if_active=True)
        return {"status": "Failed", "exit_code": None, "rerun_refused": True}
    return execute_run(spec)


def kill_run_processes(run_id: str) -> int:
    """Kill, on this worker, every process group of the script of ``run_id`` (found by its
    ``MLWS_RUN_ID``); returns how many processes matched. Run through ``client.run``."""
    import psutil

    me = psutil.Process()
    matched = 0
    for proc in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("MLWS_RUN_ID") == run_id:
                matched += 1
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
    return matched


# --------------------------------------------------------------------------- the supervisor


class _DaskRun:
    def __init__(self, spec: dict[str, Any]) -> None:
        from ..store.liveness import current_owner
        from .executor import _open_store

        self.spec = spec
        self.run_id: str = spec["run_id"]
        self.store = _open_store(spec)
        self.owner = current_owner()

    def set_status(self, status: str, error: dict[str, Any] | None = None) -> Any:
        return self.store.update_run(self.run_id, status=status, error=error,
                                     only_if_active=True)

    def cancel_requested(self, record: Any) -> bool:
        return (record.status == "CancelRequested"
                or cancel_requested(record))

    def run(self) -> str:
        self.store.update_run(self.run_id, owner=self.owner, heartbeat=True)
        if self.cancel_requested(self.store.get_run(self.run_id)):
            return self.set_status("Canceled").status
        # Queued before submitting: once submitted, the task's own writes must win.
        self.set_status("Queued")
        from distributed import Client

        try:
            # The default client of this process: distributed.wait() looks it up.
            client = Client(self.spec["dask_address"], timeout=connect_timeout())
        except Exception as exc:
            return self.set_status("Failed", {"error": {
                "code": "ComputeUnreachable",
                "message": f"Could not connect to the Dask scheduler at "
                           f"{self.spec['dask_address']}: {type(exc).__name__}: {exc}"}}).status
        try:
            return self._follow(client)
        except Exception as exc:
            return self.set_status("Failed", {"error": {
                "code": "ExecutionError",
                "message": f"Following the run on {self.spec['dask_address']} failed: "
                           f"{type(exc).__name__}: {exc}"}}).status
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=5)

    def _follow(self, client: Any) -> str:
        from distributed import wait

        future = client.submit(run_task, self.spec, key=self.run_id, pure=False)
        cancel_seen: float | None = None
        killed = False
        last_beat = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                wait([future], timeout=POLL_SECONDS)
            if future.done():
                break
            record = self.store.get_run(self.run_id)
            now = time.monotonic()
            if record.owner == self.owner and now - last_beat > HEARTBEAT_SECONDS:
                last_beat = now
                self.store.update_run(self.run_id, heartbeat=True)
            if not self.cancel_requested(record):
                continue
            if record.owner == self.owner:
                # The task never started: drop it. Should it start anyway, execute_run sees
                # the request first thing and ends Canceled without running the script.
                future.cancel()
                del future
                return self.set_status("Canceled").status
            cancel_seen = cancel_seen or now
            if not killed and now - cancel_seen > KILL_AFTER_SECONDS:
                killed = True
                with contextlib.suppress(Exception):
                    client.run(kill_run_processes, self.run_id)
        return self._record_result(future)

    def _record_result(self, future: Any) -> str:
        try:
            result = future.result()
            error = None
        except Exception as exc:
            from distributed import KilledWorker

            result = None
            error = (_node_lost(self.spec) if isinstance(exc, KilledWorker) else {"error": {
                "code": "ExecutionError",
                "message": f"The Dask task of the run failed: {type(exc).__name__}: {exc}"}})
        finally:
            future.release()  # results held by the client keep workers from retiring
        record = self.store.get_run(self.run_id)
        if record.status in _TERMINAL and error is None:
            return record.status
        if error is not None:
            return self.set_status("Failed", error).status
        return self.set_status(result["status"] if result else "Failed").status


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m jupyter_mlws.execution.dask_launch <spec.json>",
              file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as handle:
            spec = json.load(handle)
        status = _DaskRun(spec).run()
    finally:
        remove_spec(args[0])  # it may hold the server token
    return 0 if status in _TERMINAL else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["kill_run_processes", "launch", "run_task"]
