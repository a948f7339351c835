"""Curated environments submitted for real, ``Run.get_environment`` and
``ScriptRun.get_details_with_logs`` (v1 sections 4.7, 4.10, 6.1)."""

from __future__ import annotations

import subprocess

import pytest

from jupyter_mlws.core import Environment, ScriptRunConfig
from jupyter_mlws.core.conda_dependencies import CondaDependencies
from jupyter_mlws.core.curated_environments import CATALOGUE
from jupyter_mlws.exceptions import UserErrorException
from jupyter_mlws.execution.environments import find_uv, host_python_version, list_built

PRINTS = """
import sys
from jupyter_mlws.core import Run
print("hello from", sys.prefix)
Run.get_context().log("done", 1)
"""

USES_SKLEARN = """
import numpy, pandas, sklearn
from jupyter_mlws.core import Run
print("sklearn from", sklearn.__file__)
Run.get_context().log("sklearn", sklearn.__version__)
"""


def test_minimal_curated_environment_runs_and_is_the_runs_environment(exp, make_source):
    src = make_source(files={"hello.py": PRINTS})
    curated = Environment.get(exp.workspace, "AzureML-Minimal")
    run = exp.submit(ScriptRunConfig(src, "hello.py", environment=curated))
    details = run.wait_for_completion(wait_post_processing=True)
    assert details["status"] == "Completed", details.get("error")
    assert run.get_environment() == curated
    assert run.get_environment().version == "1"

    with_logs = run.get_details_with_logs()
    assert set(with_logs["logFiles"]) == set(details["logFiles"])
    std_log = with_logs["logFiles"]["user_logs/std_log.txt"]
    assert isinstance(std_log, str) and "hello from" in std_log
    assert {k: v for k, v in with_logs.items() if k != "logFiles"} == {
        k: v for k, v in details.items() if k != "logFiles"}


def test_get_environment_of_registered_unregistered_and_interactive_runs(exp, make_source):
    src = make_source(files={"hello.py": PRINTS})
    env = Environment("hello-env")
    env.python.user_managed_dependencies = True
    registered = env.register(exp.workspace)
    env.environment_variables = {"CHANGED": "after registering"}
    env.register(exp.workspace)  # version 2: the run keeps naming version 1
    run = exp.submit(ScriptRunConfig(src, "hello.py", environment=registered))
    run.wait_for_completion(wait_post_processing=True)
    got = run.get_environment()
    assert (got.name, got.version) == ("hello-env", "1") and got == registered

    unregistered = Environment("adhoc")
    unregistered.python.user_managed_dependencies = True
    unregistered.environment_variables = {"ADHOC": "1"}
    run = exp.submit(ScriptRunConfig(src, "hello.py", environment=unregistered))
    run.wait_for_completion(wait_post_processing=True)
    got = run.get_environment()
    assert got.name == "adhoc" and got.version is None
    assert got.environment_variables == {"ADHOC": "1"}

    interactive = exp.start_logging(snapshot_directory=None, outputs=False)
    interactive.complete()
    with pytest.raises(UserErrorException, match="no environment"):
        interactive.get_environment()


@pytest.mark.parametrize("packages", sorted({e.pip_packages for e in CATALOGUE.values()}),
                         ids=lambda p: "+".join(p) or "minimal")
def test_every_curated_specification_resolves_on_this_python(packages, tmp_path):
    # Resolution only (no download of wheels): each spec is installable on this Python.
    requirements = tmp_path / "requirements.in"
    requirements.write_text("\n".join(packages) + "\n")
    proc = subprocess.run([find_uv(), "pip", "compile", str(requirements), "--python-version",
                           host_python_version(), "--no-header", "-q"],
                          capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr
    for package in packages:
        name = package.split(">")[0]
        assert f"\n{name}==" in f"\n{proc.stdout}", (name, proc.stdout)


@pytest.mark.slow
def test_sklearn_curated_environment_builds_with_its_packages(exp, make_source, mlws_home):
    src = make_source(files={"uses_sklearn.py": USES_SKLEARN})
    env = Environment.get(exp.workspace, "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu")
    run = exp.submit(ScriptRunConfig(src, "uses_sklearn.py", environment=env))
    details = run.wait_for_completion(wait_post_processing=True)
    assert details["status"] == "Completed", run.get_details_with_logs()["logFiles"]
    log = run.get_details_with_logs()["logFiles"]["user_logs/std_log.txt"]
    built = {item["path"] for item in list_built(mlws_home)}
    assert any(f"sklearn from {path}" in log for path in built), (built, log)
    assert int(run.get_metrics()["sklearn"].split(".")[0]) >= 1


def test_modified_curated_environment_is_refused_at_submit(exp, make_source):
    src = make_source(files={"hello.py": PRINTS})
    env = Environment.get(exp.workspace, "AzureML-Minimal")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"])
    with pytest.raises(UserErrorException, match="read-only"):
        exp.submit(ScriptRunConfig(src, "hello.py", environment=env))
    assert list(exp.get_runs()) == []
