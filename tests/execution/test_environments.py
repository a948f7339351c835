"""Environments built with uv: one build for concurrent runs, reuse, resolver failures, and
the cache as a registry. These download the tiny pure-Python package ``six`` from PyPI."""

from __future__ import annotations

import pytest

from jupyter_mlws.core import Environment, ScriptRunConfig
from jupyter_mlws.core.conda_dependencies import CondaDependencies
from jupyter_mlws.core.status import RunStatus
from jupyter_mlws.exceptions import ActivityFailedException, UserErrorException
from jupyter_mlws.execution import environments
from jupyter_mlws.store import NotFoundError

USES_SIX = """
import six, sys
from jupyter_mlws.core import Run
print("six from", six.__file__)
print("python", sys.executable)
Run.get_context().log("six", six.__version__)
"""


def _env(*pip: str) -> Environment:
    env = Environment("with-six")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=list(pip))
    return env


def _log(run, path: str) -> str:
    return run._store.open_artifact(run.id, path).read().decode()


def _build_log(run) -> str:
    try:
        return _log(run, "azureml-logs/20_image_build_log.txt")
    except NotFoundError:
        return ""


def test_environment_builds_once_for_concurrent_runs_and_is_reused(exp, make_source,
                                                                   mlws_home):
    from filelock import FileLock

    from tests.helpers import wait_until

    src = make_source(files={"six_user.py": USES_SIX})
    root = environments.envs_root(mlws_home)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / f"{environments.env_hash(_env('six')._build_spec())}.lock"))
    # Both runs reach the build while the lock is held here, so they are truly concurrent
    # (with a warm download cache one build can otherwise end before the second run starts).
    with lock:
        first, second = (exp.submit(ScriptRunConfig(src, "six_user.py",
                                                    environment=_env("six")))
                         for _ in range(2))
        wait_until(lambda: all("waiting for the build lock" in _build_log(r)
                               for r in (first, second)), 120, 0.1, "both runs at the lock")
    for run in (first, second):
        assert run.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    built = environments.list_built(mlws_home)
    assert len(built) == 1
    env_dir = built[0]["path"]
    for run in (first, second):
        log = _log(run, "user_logs/std_log.txt")
        assert f"six from {env_dir}" in log and f"python {env_dir}/bin/python" in log
        assert run.get_metrics()["six"]
    build_logs = [_log(r, "azureml-logs/20_image_build_log.txt") for r in (first, second)]
    assert sum("Building environment" in log for log in build_logs) == 1
    assert sum("built by another run" in log for log in build_logs) == 1
    third = exp.submit(ScriptRunConfig(src, "six_user.py", environment=_env("six")))
    assert third.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    assert "azureml-logs/20_image_build_log.txt" not in third.get_file_names()
    info = environments.inspect(built[0]["hash"][:10], mlws_home)
    assert any(p.startswith("six-") for p in info["packages"]) and info["size_bytes"] > 0
    # The environment keeps its own build log (what both runs wrote while waiting/building).
    assert built[0]["has_build_log"]
    kept = environments.build_log(built[0]["hash"][:12], mlws_home)
    assert kept.count("Building environment") == 1 and "six" in kept
    assert environments.build_log("0" * 64, mlws_home) is None
    assert environments.build_log("../etc", mlws_home) is None
    assert environments.prune(mlws_home, unused_for_seconds=3600) == []
    assert environments.prune(mlws_home) == [built[0]["hash"]]
    assert environments.list_built(mlws_home) == []
    assert environments.build_log(built[0]["hash"], mlws_home) is None  # pruned with it


def test_unsatisfiable_requirement_fails_with_resolver_message(exp, make_source):
    src = make_source(files={"six_user.py": USES_SIX})
    run = exp.submit(ScriptRunConfig(src, "six_user.py",
                                     environment=_env("six==0.0.0.999")))
    with pytest.raises(ActivityFailedException) as info:
        run.wait_for_completion(wait_post_processing=True)
    assert run.get_status() == RunStatus.FAILED
    error = run.get_details()["error"]["error"]
    assert error["code"] == "EnvironmentBuildError"
    assert "six==0.0.0.999" in error["message"] and "six" in str(info.value)
    assert "user_logs/std_log.txt" not in run.get_file_names()


def test_conda_only_package_is_rejected_at_submit(exp, make_source):
    src = make_source(files={"six_user.py": USES_SIX})
    env = Environment("cuda")
    env.python.conda_dependencies = CondaDependencies.create(conda_packages=["cudatoolkit=11"])
    with pytest.raises(UserErrorException, match="conda package 'cudatoolkit' has no pip "
                                                 "equivalent"):
        exp.submit(ScriptRunConfig(src, "six_user.py", environment=env))


def test_a_python_that_is_not_installed_fails_at_submit_in_one_line(exp, make_source):
    from jupyter_mlws.execution.pythons import host_version

    src = make_source(files={"six_user.py": USES_SIX})
    env = _env("six")
    env.python.conda_dependencies.set_python_version("3.6.2")  # as in v1 tutorials
    with pytest.raises(UserErrorException) as info:
        exp.submit(ScriptRunConfig(src, "six_user.py", environment=env))
    first = str(info.value).splitlines()[0]
    assert "Python 3.6.2" in first and "not installed" in first
    assert f"available: {host_version()}" in first or f", {host_version()}" in first
    assert list(exp.get_runs()) == []  # nothing started, nothing built
    assert environments.list_built() == []


def test_a_package_that_cannot_build_is_named_with_the_python_versions(exp, make_source):
    from jupyter_mlws.execution.pythons import host_version

    src = make_source(files={"six_user.py": USES_SIX})
    run = exp.submit(ScriptRunConfig(src, "six_user.py",
                                     environment=_env("six==0.0.0.999")))
    details = run.wait_for_completion(raise_on_error=False, wait_post_processing=True)
    first = details["error"]["error"]["message"].splitlines()[0]
    assert first.startswith("EnvironmentBuildError: package six==0.0.0.999 could not be "
                            f"installed on Python {host_version()}")
    assert "Python versions available here:" in first and host_version() in first


def test_user_managed_environment_uses_the_given_interpreter(exp, make_source):
    import sys

    src = make_source(files={"py.py": "import sys; print('python', sys.executable)"})
    env = Environment("mine")
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = sys.executable
    run = exp.submit(ScriptRunConfig(src, "py.py", environment=env))
    assert run.wait_for_completion(wait_post_processing=True)["status"] == "Completed"
    assert f"python {sys.executable}" in _log(run, "user_logs/std_log.txt")
