"""v1 names the tutorials touch first: ``azureml.core.VERSION``, ``Workspace.environments``
and the curated environments (``Environment.get(ws, "AzureML-...")``), on both stores."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_mlws.core
from jupyter_mlws.core import Environment
from jupyter_mlws.core.conda_dependencies import DEFAULT_PYTHON_VERSION, CondaDependencies
from jupyter_mlws.core.curated_environments import CATALOGUE
from jupyter_mlws.exceptions import UserErrorException

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
TUTORIAL_NAMES = ("AzureML-Minimal", "AzureML-Tutorial",
                  "AzureML-sklearn-0.24-ubuntu18.04-py37-cpu",
                  "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu",
                  "AzureML-lightgbm-3.2-ubuntu18.04-py37-cpu", "AzureML-PyTorch-1.6-CPU",
                  "AzureML-TensorFlow-2.3-GPU")


def test_core_version_is_the_package_version_in_a_fresh_interpreter():
    # The first cell of most v1 tutorials: print("SDK version:", azureml.core.VERSION).
    out = subprocess.run([sys.executable, "-c", "import jupyter_mlws.core as c; "
                          "print(c.VERSION)"], capture_output=True, text=True, check=True)
    version = re.search(r'(?m)^version = "([^"]+)"', PYPROJECT.read_text()).group(1)
    assert out.stdout.strip() == version == importlib.metadata.version("jupyter_mlws")
    from jupyter_mlws import __version__
    from jupyter_mlws.core import VERSION

    assert VERSION == __version__ == version
    assert "VERSION" in jupyter_mlws.core.__all__


def _pip(env: Environment) -> list[str]:
    return list(env.python.conda_dependencies.pip_packages)


def test_curated_environments_of_the_tutorials_map_to_pip_specs(workspace):
    for name in TUTORIAL_NAMES:
        env = Environment.get(workspace, name)
        assert env.name == name and env.version == "1"
        # Built for this machine's Python, never the py37/py38 of the image name.
        assert env.python.conda_dependencies.get_python_version() == DEFAULT_PYTHON_VERSION
        assert not env.python.user_managed_dependencies
        assert env._build_spec()["type"] == "uv"
    assert _pip(Environment.get(workspace, "AzureML-Minimal")) == []
    sklearn = _pip(Environment.get(workspace, "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu"))
    assert {"scikit-learn>=1.0", "pandas", "numpy"} <= set(sklearn)
    lightgbm = _pip(Environment.get(workspace, "AzureML-lightgbm-3.2-ubuntu18.04-py37-cpu"))
    assert "lightgbm>=3.2" in lightgbm and "scikit-learn" in lightgbm
    assert any(p.startswith("torch") for p in _pip(Environment.get(workspace,
                                                                   "AzureML-PyTorch-1.6-CPU")))
    assert Environment.get(workspace, "AzureML-Minimal", version="1").version == "1"
    assert Environment.get(workspace, "AzureML-Minimal", version=1).name == "AzureML-Minimal"


def test_unknown_curated_name_version_or_label_is_a_clear_error(workspace):
    with pytest.raises(UserErrorException) as info:
        Environment.get(workspace, "AzureML-Chainer-5.1.0-GPU")
    message = str(info.value)
    assert "'AzureML-Chainer-5.1.0-GPU' was not found" in message
    assert all(name in message for name in CATALOGUE)
    with pytest.raises(UserErrorException, match="only version 1"):
        Environment.get(workspace, "AzureML-Minimal", version="2")
    with pytest.raises(UserErrorException, match="no labels"):
        Environment.get(workspace, "AzureML-Minimal", label="latest")


def test_list_and_workspace_environments_hold_curated_and_registered(workspace):
    mine = Environment("my-env")
    mine.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"])
    mine.register(workspace)
    mine.register(workspace)
    for listed in (Environment.list(workspace), workspace.environments):
        assert set(CATALOGUE) | {"my-env"} == set(listed)
        assert listed["my-env"].version == "2" and isinstance(listed["my-env"], Environment)
        assert listed["AzureML-Minimal"] == Environment.get(workspace, "AzureML-Minimal")


def test_curated_environments_are_read_only(workspace):
    env = Environment.get(workspace, "AzureML-Tutorial")
    with pytest.raises(UserErrorException, match=r"curated environment.*read-only.*clone"):
        env.register(workspace)
    env.python.conda_dependencies.add_pip_package("six")
    # Changed in memory: refused where it would be built, never run under the curated name.
    with pytest.raises(UserErrorException, match=r"was changed.*read-only"):
        env._build_spec()
    copy = env.clone("my-tutorial").register(workspace)
    assert copy.name == "my-tutorial" and copy.version == "1" and "six" in _pip(copy)
    # The catalogue itself is untouched by the change of one object.
    assert "six" not in _pip(Environment.get(workspace, "AzureML-Tutorial"))
    assert Environment.get(workspace, "AzureML-Tutorial")._build_spec()["type"] == "uv"
