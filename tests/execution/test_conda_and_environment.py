"""CondaDependencies -> pip translation, and the Environment definition/registry round trips."""

from __future__ import annotations

import json
import sys
import types

import pytest

from jupyter_mlws.core import Environment
from jupyter_mlws.core.conda_dependencies import CondaDependencies
from jupyter_mlws.core.environment import PythonSection
from jupyter_mlws.exceptions import UserErrorException
from jupyter_mlws.execution.conda import EnvironmentBuildError, translate

HOST = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize(("conda", "pip"), [
    ("numpy=1.26", "numpy==1.26.*"),
    ("numpy=1.26.4=py311h1234_0", "numpy==1.26.4.*"),
    ("numpy==1.26.4", "numpy==1.26.4"),
    ("numpy>=1.2,<2", "numpy>=1.2,<2"),
    ("numpy", "numpy"),
    ("conda-forge::pandas=2.1", "pandas==2.1.*"),
    ("pytorch=2.1", "torch==2.1.*"),
    ("py-xgboost", "xgboost"),
    ("matplotlib-base=3.8", "matplotlib==3.8.*"),
    ("scikit-learn 1.3", "scikit-learn==1.3.*"),
])
def test_conda_package_translation(conda, pip):
    assert translate([conda], [], emit_warnings=False).requirements == [pip]


def test_translation_drops_tooling_and_sdk_and_reads_python():
    result = translate(["python=3.10", "pip=23", "setuptools", "wheel"],
                       ["azureml-defaults", "azureml-core==1.5", "six>=1"], ["anaconda"],
                       emit_warnings=False)
    assert result.requirements == ["six>=1"] and result.python_version == "3.10"


def test_build_string_is_dropped_with_a_warning():
    with pytest.warns(UserWarning, match="build string 'py38_0' dropped"):
        translate(["numpy=1.2=py38_0"], [])


@pytest.mark.parametrize("package", ["cudatoolkit=11.8", "mkl", "libgcc-ng", "r-base", "nodejs",
                                     "r-ggplot2"])
def test_conda_only_packages_get_a_clear_error(package):
    name = package.split("=")[0]
    with pytest.raises(EnvironmentBuildError, match=f"conda package '{name}' has no pip "
                                                    "equivalent and no conda backend"):
        translate([package], [])


def test_conda_dependencies_api_matches_v1():
    deps = CondaDependencies.create(conda_packages=["numpy=1.26"], pip_packages=["six"],
                                    python_version="3.11")
    assert isinstance(deps.pip_packages, types.GeneratorType)
    assert isinstance(deps.conda_packages, types.GeneratorType)
    assert list(deps.pip_packages) == ["six"] and list(deps.conda_packages) == ["numpy=1.26"]
    deps.add_pip_package("requests>=2")
    deps.add_pip_package("six==1.16.0")  # replaces the existing entry, moved to the end
    assert list(deps.pip_packages) == ["requests>=2", "six==1.16.0"]
    deps.remove_pip_package("requests")
    deps.add_conda_package("python=3.10")
    assert deps.get_python_version() == "3.10"
    deps.add_channel("pytorch")
    assert list(deps.conda_channels) == ["anaconda", "conda-forge", "pytorch"]
    deps.set_pip_option("--extra-index-url https://example.invalid/simple")
    assert list(deps.pip_options) == ["--extra-index-url https://example.invalid/simple"]
    with pytest.raises(UserErrorException):
        deps.add_pip_package("--pre")
    with pytest.raises(UserErrorException):
        deps.remove_conda_package("python")
    deps.remove_conda_package("numpy")
    again = CondaDependencies(_underlying_structure=deps.as_dict())
    assert again.serialize_to_string() == deps.serialize_to_string()
    assert "python=3.10" in deps.serialize_to_string()


def test_default_template_uses_this_python(tmp_path):
    deps = CondaDependencies()
    assert deps.get_python_version() == HOST
    assert list(deps.pip_packages) == ["azureml-defaults"]
    path = deps.save(tmp_path / "env.yml")
    assert CondaDependencies(path) == deps
    spec = deps._pip_build_spec()
    assert spec == {"type": "uv", "python": HOST, "requirements": [], "pip_options": []}


def test_environment_from_files_and_directory_round_trip(tmp_path):
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n# comment\n--pre\nrequests\n")
    env = Environment.from_pip_requirements("req-env", tmp_path / "requirements.txt")
    deps = env.python.conda_dependencies
    assert list(deps.pip_packages) == ["six==1.16.0", "requests"]
    assert list(deps.pip_options) == ["--pre"] and "pip" in list(deps.conda_packages)
    (tmp_path / "conda.yml").write_text(
        "name: x\nchannels: [conda-forge]\ndependencies:\n  - numpy=1.26\n  - pip:\n"
        "    - six\n")
    with pytest.warns(UserWarning, match="No Python version"):
        conda_env = Environment.from_conda_specification("conda-env", tmp_path / "conda.yml")
    assert conda_env.python.conda_dependencies.get_python_version() == HOST
    env.environment_variables = {"A": "1"}
    env.save_to_directory(tmp_path / "saved")
    assert json.loads((tmp_path / "saved" / "azureml_environment.json").read_text())["name"] \
        == "req-env"
    with pytest.raises(UserErrorException, match="overwrite=True"):
        env.save_to_directory(tmp_path / "saved")
    loaded = Environment.load_from_directory(tmp_path / "saved")
    assert loaded._serialize() == env._serialize()
    clone = env.clone("copy")
    assert clone.name == "copy" and clone.version is None
    assert clone.python.conda_dependencies == env.python.conda_dependencies
    assert isinstance(env.python, PythonSection)
    assert str(env) == "Environment(Name: req-env,\nVersion: None)"
    assert json.loads(repr(env))["python"]["userManagedDependencies"] is False


def test_environment_register_get_list(ws):
    env = Environment("trainenv")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"])
    first = env.register(ws)
    assert first is not env and first.version == "1" and env.version is None
    env.python.conda_dependencies.add_pip_package("requests")
    second = env.register(ws)
    assert second.version == "2"
    assert Environment.get(ws, "trainenv").version == "2"
    old = Environment.get(ws, "trainenv", version="1")
    assert list(old.python.conda_dependencies.pip_packages) == ["six"]
    Environment.label(ws, "trainenv", "1", ["prod"])
    assert Environment.get(ws, "trainenv", label="prod").version == "1"
    Environment("other").register(ws)
    listed = Environment.list(ws)
    registered = {name for name in listed if not name.startswith("AzureML")}
    assert registered == {"trainenv", "other"} and listed["trainenv"].version == "2"
    with pytest.raises(UserErrorException, match="not found"):
        Environment.get(ws, "missing")
    with pytest.raises(UserErrorException, match="reserved"):
        Environment("AzureML-Mine").register(ws)
