"""Cancel, timeouts and the run's life outside the submitting process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from jupyter_mlws.core import Run, ScriptRunConfig
from jupyter_mlws.core.status import RunStatus
from tests.helpers import step_wall_clock, wait_until

# Starts a child process, records both pids, then waits forever.
SPAWNER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(os.environ["PID_FILE"] + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
os.replace(os.environ["PID_FILE"] + ".tmp", os.environ["PID_FILE"])
print("started", flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _spawner_config(src, pid_file, **kwargs) -> ScriptRunConfig:
    config = ScriptRunConfig(src, "spawn.py", **kwargs)
    config.run_config.environment_variables["PID_FILE"] = str(pid_file)
    return config


def _pids(pid_file) -> list[int]:
    return [int(p) for p in pid_file.read_text().split()]


def _running_spawner(exp, make_source, tmp_path) -> tuple[Run, list[int]]:
    """Submit SPAWNER; once it runs, the run and the pids (script, its child)."""
    src = make_source(files={"spawn.py": SPAWNER})
    pid_file = tmp_path / "pids"
    run = exp.submit(_spawner_config(src, pid_file))
    wait_until(pid_file.exists)
    wait_until(lambda: run.get_status() == RunStatus.RUNNING)
    return run, _pids(pid_file)


def test_cancel_kills_the_process_tree_and_marks_canceled(exp, make_source, tmp_path):
    run, (script_pid, child_pid) = _running_spawner(exp, make_source, tmp_path)
    started = time.monotonic()
    run.cancel()
    assert run.get_status() == RunStatus.CANCELED
    assert time.monotonic() - started < 1.5
    wait_until(lambda: _gone(script_pid) and _gone(child_pid), timeout=2)
    assert "started" in run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()


def test_a_wall_clock_step_does_not_interrupt_a_submitted_run(exp, make_source, tmp_path,
                                                              monkeypatch):
    run, (script_pid, _child) = _running_spawner(exp, make_source, tmp_path)
    for step in (36.0, -36.0):
        with monkeypatch.context() as clock:
            step_wall_clock(clock, step)
            assert run.get_status() == RunStatus.RUNNING  # its supervisor is alive
            assert [r.id for r in exp.get_runs(include_children=True)] == [run.id]
    assert not _gone(script_pid)
    run.cancel()
    assert run.get_status() == RunStatus.CANCELED


def test_max_run_duration_fails_with_run_timeout(exp, make_source, tmp_path):
    src = make_source(files={"spawn.py": SPAWNER})
    pid_file = tmp_path / "pids"
    run = exp.submit(_spawner_config(src, pid_file, max_run_duration_seconds=1))
    details = run.wait_for_completion(raise_on_error=False, wait_post_processing=True)
    assert details["status"] == RunStatus.FAILED
    assert details["error"]["error"]["code"] == "RunTimeout"
    assert all(_gone(pid) for pid in _pids(pid_file))


def test_run_survives_the_submitting_process(exp, make_source, mlws_home):
    src = make_source(files={"slow.py": """
        import time
        from jupyter_mlws.core import Run
        time.sleep(1.5)
        Run.get_context().log("survived", 1)
        print("finished")
    """})
    submitter = textwrap.dedent(f"""
        from jupyter_mlws.core import Experiment, ScriptRunConfig, Workspace
        ws = Workspace.get("execws")
        run = Experiment(ws, "exec").submit(ScriptRunConfig({str(src)!r}, "slow.py"))
        print(run.id)
    """)
    done = subprocess.run([sys.executable, "-c", submitter], capture_output=True, text=True,
                          timeout=60, check=True)
    run_id = done.stdout.strip().splitlines()[-1]
    run = Run.get(exp.workspace, run_id)
    assert run.get_status() in (RunStatus.STARTING, RunStatus.RUNNING)  # submitter is gone
    wait_until(lambda: run.get_status() == RunStatus.COMPLETED, timeout=60, interval=0.1)
    assert run.get_metrics() == {"survived": 1}


def test_killed_supervisor_kills_script_and_run_is_reconciled(exp, make_source, tmp_path):
    run, (script_pid, child) = _running_spawner(exp, make_source, tmp_path)
    supervisor = psutil.Process(script_pid).parent()
    assert "jupyter_mlws.execution.supervisor" in " ".join(supervisor.cmdline())
    os.kill(supervisor.pid, signal.SIGKILL)
    wait_until(lambda: _gone(script_pid), timeout=5)  # PR_SET_PDEATHSIG
    wait_until(lambda: run.get_status() == RunStatus.FAILED, timeout=5)
    assert run.get_details()["error"]["error"]["code"] == "RunInterrupted"
    # The script's own child has no death signal (it left with its parent's group intact).
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signal.SIGKILL)


@pytest.mark.parametrize("status", [RunStatus.CANCEL_REQUESTED])
def test_executor_honours_cancel_recorded_in_store(exp, make_source, tmp_path, status):
    """Another process (the studio, the REST API) cancels by writing the status only."""
    run, pids = _running_spawner(exp, make_source, tmp_path)
    run._store.update_run(run.id, status=status)
    wait_until(lambda: run.get_status() == RunStatus.CANCELED, timeout=2)
    assert all(_gone(pid) for pid in pids)
