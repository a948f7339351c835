"""The per-run Dask supervisor of an attached scheduler:
``python -m jupyter_mlws.execution.dask_launch <spec>``.

An attached scheduler has no daemon of ours to dispatch its runs, so each run submitted to one
gets this detached process (the counterpart of :mod:`.supervisor` for local runs). It owns the
run while it waits (status ``Queued``), connects a ``Client`` and follows the run with a
:class:`~.dask_dispatch.RunTracker`, the same logic the compute cluster daemons use for all of
their runs (see :mod:`.dask_dispatch` for cancel, lost workers and releasing futures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from ..store.liveness import current_owner
from .cancel import cancel_requested
from .dask_dispatch import RunTracker, kill_run_processes, run_task
from .supervisor import launch as start_supervisor
from .supervisor import run_spec_file


def connect_timeout() -> str:
    """How long to try reaching a scheduler (``MLWS_DASK_CONNECT_TIMEOUT``, default 20s)."""
    return os.environ.get("MLWS_DASK_CONNECT_TIMEOUT", "20s")


def launch(spec: dict[str, Any], address: str, directory: str) -> subprocess.Popen:
    """Write ``spec`` (with the scheduler ``address``) and start its Dask supervisor."""
    return start_supervisor({**spec, "dask_address": address}, directory,
                            module="jupyter_mlws.execution.dask_launch")


def _failed(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def supervise(spec: dict[str, Any]) -> str:
    """Own, submit and follow the run of ``spec``; returns its final status."""
    from .executor import open_run_store  # on use: executor pulls environments

    run_id, address = spec["run_id"], spec["dask_address"]
    store = open_run_store(spec)
    owner = current_owner()
    store.update_run(run_id, owner=owner, heartbeat=True)
    record = store.get_run(run_id)
    if record.status == "CancelRequested" or cancel_requested(record):
        return store.update_run(run_id, status="Canceled", only_if_active=True).status
    # Queued before submitting: once submitted, the task's own writes must win.
    store.update_run(run_id, status="Queued", only_if_active=True)
    from distributed import Client  # optional: distributed is the [dask] extra

    try:
        client = Client(address, timeout=connect_timeout(), set_as_default=False)
    except Exception as exc:
        return store.update_run(run_id, status="Failed", only_if_active=True, error=_failed(
            "ComputeUnreachable", f"Could not connect to the Dask scheduler at {address}: "
                                  f"{type(exc).__name__}: {exc}")).status
    try:
        tracker = RunTracker(client, owner)
        status = tracker.add(spec)
        while status is None:
            tracker.wait(0.25)
            status = dict(tracker.tick()).get(run_id)
        return status
    except Exception as exc:
        return store.update_run(run_id, status="Failed", only_if_active=True, error=_failed(
            "ExecutionError", f"Following the run on {address} failed: "
                              f"{type(exc).__name__}: {exc}")).status
    finally:
        try:
            client.close(timeout=5)
        except Exception as exc:  # the run's status is recorded already
            print(f"[mlws] closing the Dask client: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    return run_spec_file(argv, "jupyter_mlws.execution.dask_launch", supervise)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["kill_run_processes", "launch", "run_task", "supervise"]
