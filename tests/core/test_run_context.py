"""Run.get_context(): inside a submitted run (MLWS_RUN_ID) and the local default run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from jupyter_mlws.core import Experiment, Run, Workspace
from jupyter_mlws.core.metric_buffer import get_buffer
from jupyter_mlws.core.status import RunStatus
from jupyter_mlws.exceptions import RunEnvironmentException


@pytest.fixture
def work(work_dir):
    """The test's folder; afterwards the writers of every workspace the test (or a script it
    ran) created are closed."""
    yield work_dir
    for ws in Workspace.list("local").values():
        get_buffer(ws[0]._store).close()


def run_script(directory, name: str, body: str, **env: str) -> subprocess.CompletedProcess:
    script = directory / name
    script.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script)], cwd=directory, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


def test_allow_offline_false_outside_a_run_raises(work):
    with pytest.raises(RunEnvironmentException, match="MLWS_RUN_ID"):
        Run.get_context(allow_offline=False)
    with pytest.raises(RunEnvironmentException):
        Run.get_submitted_run()


def test_inside_a_submitted_run(work):
    ws = Workspace.create("subws", show_output=False)
    exp = Experiment(ws, "submitted")
    run = exp.start_logging(snapshot_directory=None)
    result = run_script(work, "job.py", """
        from jupyter_mlws.core import Run
        run = Run.get_context()
        assert Run.get_context() is run and Run.get_context(allow_offline=False) is run
        run.log("x", 1)
        run.log_list("l", [1, 2])
        run.complete()          # flushes, but the executor owns the status
        run.cancel()            # only warns
        with Run.get_context() as same:
            same.log("x", 2)
        print("CONTEXT", run.id, run.experiment.name, run.experiment.workspace.name)
    """, MLWS_RUN_ID=run.id)
    assert result.returncode == 0, result.stderr
    assert f"CONTEXT {run.id} submitted subws" in result.stdout
    assert "recording run" not in result.stdout
    assert run.get_status() == RunStatus.RUNNING
    assert run.get_metrics() == {"x": [1, 2], "l": [1, 2]}
    run.complete()


def test_azureml_variable_names_work_too(work):
    ws = Workspace.create("subws", show_output=False)
    run = Experiment(ws, "v1names").start_logging(snapshot_directory=None)
    result = run_script(work, "job.py", """
        from jupyter_mlws.core import Run
        Run.get_context(allow_offline=False).log("y", 3)
    """, AZUREML_RUN_ID=run.id)
    assert result.returncode == 0, result.stderr
    assert run.get_metrics() == {"y": 3}
    run.complete()


def test_outside_a_run_records_into_the_default_workspace(work):
    result = run_script(work, "train_model.py", """
        from jupyter_mlws.core import Run
        run = Run.get_context()
        assert Run.get_context() is run
        run.log("acc", 0.9)
        run.tag("t", "v")
        print("ID", run.id)
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    run_id = lines[-1].split()[1]
    assert len([line for line in lines if "recording run" in line]) == 1
    assert run_id in lines[0] and "'default'" in lines[0] and "'train_model'" in lines[0]
    ws = Workspace.get("default", subscription_id="local", resource_group="local")
    run = ws.get_run(run_id)
    assert run.experiment.name == "train_model"
    assert run.get_status() == RunStatus.COMPLETED
    assert run.get_metrics() == {"acc": 0.9} and run.tags == {"t": "v"}


def test_offline_run_fails_when_the_script_dies(work):
    result = run_script(work, "crash.py", """
        from jupyter_mlws.core import Run
        run = Run.get_context()
        print("ID", run.id, flush=True)
        run.log("before", 1)
        raise RuntimeError("boom")
    """)
    assert result.returncode == 1 and "boom" in result.stderr
    run_id = result.stdout.splitlines()[-1].split()[1]
    run = Workspace.get("default").get_run(run_id)
    assert run.get_status() == RunStatus.FAILED
    assert "boom" in run.get_details()["error"]["error"]["message"]
    assert run.get_metrics() == {"before": 1}


def test_notebook_like_entry_uses_offline_experiment(work):
    result = subprocess.run(
        [sys.executable, "-c", "from jupyter_mlws.core import Run\n"
         "print('ID', Run.get_context().experiment.name)"],
        cwd=work, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "ID offline"
