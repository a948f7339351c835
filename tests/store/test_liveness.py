"""Runs whose owner process died are reconciled to Failed/RunInterrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from jupyter_mlws.store import RunQuery
from jupyter_mlws.store.liveness import (
    STALE_HEARTBEAT_SECONDS,
    current_owner,
    is_owner_alive,
    is_run_stale,
)

CHILD = textwrap.dedent("""
    import sys, time
    from jupyter_mlws.store.liveness import current_owner
    from jupyter_mlws.store.settings import StoreSettings
    from jupyter_mlws.store.sql import SqlStore
    from pathlib import Path
    store = SqlStore(StoreSettings(home=Path(sys.argv[1]), database_url=sys.argv[2],
                                   storage_root=sys.argv[3]))
    store.create_run(sys.argv[4], sys.argv[5], run_id="owned", status="Running",
                     owner=current_owner())
    print("ready", flush=True)
    time.sleep(600)
""")


def test_owner_helpers() -> None:
    me = current_owner()
    assert me.rsplit(":", 2)[1] == str(os.getpid())
    assert is_owner_alive(me) is True
    host, pid, created = me.rsplit(":", 2)
    assert is_owner_alive(f"{host}:{pid}:{float(created) - 100:.2f}") is False  # pid reused
    assert is_owner_alive("some-other-host:1:1.00") is None
    assert not is_run_stale("some-other-host:1:1.00", time.time())
    assert is_run_stale("some-other-host:1:1.00", time.time() - STALE_HEARTBEAT_SECONDS - 1)
    assert not is_run_stale(None, 0.0)


def test_killed_owner_run_becomes_failed(store, ws, exp, store_settings) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store_settings.home), store_settings.database_url,
         store_settings.storage_root, ws.id, exp.id], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        assert store.get_run("owned").status == "Running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    run = store.get_run("owned")
    assert run.status == "Failed" and run.end_time is not None
    assert run.error is not None and run.error["error"]["code"] == "RunInterrupted"


def test_list_runs_reconciles_before_filtering(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    host = current_owner().rsplit(":", 2)[0]
    store.create_run(ws.id, exp.id, run_id="dead", status="Running", owner=f"{host}:1:1.00")
    store.create_run(ws.id, exp.id, run_id="alive", status="Running", owner=current_owner())
    store.create_run(ws.id, exp.id, run_id="far", status="Running", owner="elsewhere:5:1.00")
    store.create_run(ws.id, exp.id, run_id="done", status="Completed", owner=f"{host}:1:1.00")
    running = store.list_runs(ws.id, RunQuery(status=["Running"]))
    assert sorted(r.id for r in running) == ["alive", "far"]
    assert store.get_run("dead").error["error"]["code"] == "RunInterrupted"
    assert store.get_run("done").error is None
