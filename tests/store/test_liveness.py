"""Runs whose owner process died are reconciled to Failed/RunInterrupted; live ones never,
whatever the wall clock does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from jupyter_mlws.store import RunQuery
from jupyter_mlws.store.liveness import (
    STALE_HEARTBEAT_SECONDS,
    boot_id,
    current_owner,
    is_owner_alive,
    is_process_alive,
    is_run_stale,
    parse_owner,
    process_identity,
)
from tests.helpers import step_wall_clock

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
    _host, pid, identity = me.rsplit(":", 2)
    assert pid == str(os.getpid()) and identity == process_identity(os.getpid())
    assert is_owner_alive(me) is True
    assert is_owner_alive("some-other-host:1:1.00") is None
    assert not is_run_stale("some-other-host:1:1.00", time.time())
    assert is_run_stale("some-other-host:1:1.00", time.time() - STALE_HEARTBEAT_SECONDS - 1)
    assert not is_run_stale(None, 0.0)


@pytest.mark.skipif(boot_id() is None, reason="needs Linux /proc")
def test_identity_is_start_ticks_and_boot_id() -> None:
    host, pid, identity = current_owner().rsplit(":", 2)
    ticks, boot = identity.split("@")
    assert boot == boot_id() and int(ticks) > 0
    assert is_owner_alive(f"{host}:{pid}:{int(ticks) + 1}@{boot}") is False  # pid reused
    assert is_owner_alive(f"{host}:{pid}:{ticks}@{'0' * 8}-0000-0000-0000-{'0' * 12}") is False
    assert is_process_alive(int(pid), identity=identity)
    assert not is_process_alive(int(pid), identity=f"{int(ticks) + 1}@{boot}")


def test_owner_strings_of_the_previous_release_are_understood() -> None:
    host = current_owner().rsplit(":", 2)[0]
    created = psutil.Process().create_time()
    legacy = f"{host}:{os.getpid()}:{created:.2f}"
    assert parse_owner(legacy).create_time == pytest.approx(created, abs=0.01)
    assert is_owner_alive(legacy) is True
    assert is_owner_alive(f"{host}:{os.getpid()}:{created - 100:.2f}") is False  # pid reused
    assert is_process_alive(os.getpid(), create_time=created)
    assert not is_process_alive(os.getpid(), create_time=created - 100)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="psutil's Linux clock")
@pytest.mark.parametrize("step", [36.0, -36.0, 3600.0])
def test_live_owner_survives_a_wall_clock_step(store, ws, exp, store_settings, monkeypatch,
                                               step) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store_settings.home), store_settings.database_url,
         store_settings.storage_root, ws.id, exp.id], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        step_wall_clock(monkeypatch, step)
        assert store.get_run("owned").status == "Running"
        assert [r.id for r in store.list_runs(ws.id, RunQuery(status=["Running"]))] == [
            "owned"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert store.get_run("owned").status == "Failed"  # and death is still seen


def test_a_heartbeat_seen_advancing_outweighs_the_wall_clock() -> None:
    far = "elsewhere:5:1.00"
    beat = time.time() - 10
    assert not is_run_stale(far, beat, run_id="hb-run")
    # The judging process's clock jumps an hour ahead: the old beat looks stale ...
    later = beat + STALE_HEARTBEAT_SECONDS + 3600
    assert is_run_stale(far, beat, now=later, run_id="hb-run")
    # ... but once the owner is seen beating again, it is alive whatever that clock says.
    assert not is_run_stale(far, beat + 30, now=later + 3600, run_id="hb-run")
    assert not is_run_stale(far, beat + 30, now=later + 3600, run_id="hb-run")


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
