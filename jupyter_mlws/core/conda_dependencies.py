"""``CondaDependencies``: a conda environment specification, as in v1 (section 6.2).

The YAML structure is v1's (``name``, ``dependencies`` with ``python=X.Y`` and a ``pip:`` list,
``channels``); pip options live in the pip list as entries starting with ``-``. The readers
``conda_packages``, ``pip_packages``, ``conda_channels`` and ``pip_options`` are iterators, like
v1. No conda is available locally: the builder translates conda packages to pip requirements
(:mod:`jupyter_mlws.execution.conda`). The default Python is this interpreter's version rather
than v1's 3.8, because only locally installed interpreters can be used.
"""

from __future__ import annotations

import copy
import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from ..exceptions import UserErrorException

DEFAULT_PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
DEFAULT_CHANNELS = ["anaconda", "conda-forge"]
DEFAULT_PIP = ["azureml-defaults"]
_NAME = re.compile(r"^\s*(?:[\w.\-/:]+::)?([A-Za-z0-9_.\-]+)")


def _yaml():  # PyYAML, imported on use only
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - pyyaml is a dependency
        raise UserErrorException("Reading conda YAML needs PyYAML: pip install pyyaml") from exc
    return yaml


def _package_name(spec: str) -> str:
    match = _NAME.match(spec)
    return (match.group(1) if match else spec).lower().replace("_", "-")


class CondaDependencies:
    """A conda environment spec: Python version, conda packages, pip packages and options."""

    def __init__(self, conda_dependencies_file_path: str | os.PathLike | None = None,
                 _underlying_structure: dict[str, Any] | None = None) -> None:
        if _underlying_structure is not None:
            structure = copy.deepcopy(_underlying_structure)
        elif conda_dependencies_file_path is not None:
            path = os.fspath(conda_dependencies_file_path)
            if not os.path.isfile(path):
                raise UserErrorException(f"Conda dependencies file {path!r} does not exist")
            with open(path, encoding="utf-8") as handle:
                structure = _yaml().safe_load(handle) or {}
            if not isinstance(structure, dict):
                raise UserErrorException(f"{path} is not a conda environment file (a mapping)")
        else:
            structure = {"name": "project_environment",
                         "dependencies": [f"python={DEFAULT_PYTHON_VERSION}",
                                          {"pip": list(DEFAULT_PIP)}],
                         "channels": list(DEFAULT_CHANNELS)}
        structure.setdefault("name", "project_environment")
        structure.setdefault("dependencies", [])
        if structure["dependencies"] is None:
            structure["dependencies"] = []
        self._conda = structure

    # ---- factories
    @staticmethod
    def create(pip_indexurl: str | None = None, pip_packages: Iterable[str] | None = None,
               conda_packages: Iterable[str] | None = None,
               python_version: str | None = DEFAULT_PYTHON_VERSION,
               pin_sdk_version: bool = True) -> CondaDependencies:
        """A spec with ``python_version``; ``pip_packages`` replaces the default pip list."""
        deps = CondaDependencies()
        if python_version:
            deps.set_python_version(python_version)
        if pip_packages is not None:
            deps.set_pip_requirements(list(pip_packages))
        for package in conda_packages or []:
            deps.add_conda_package(package)
        if pip_indexurl:
            deps.set_pip_index_url(pip_indexurl)
        return deps

    @staticmethod
    def merge_requirements(requirements: Iterable[str]) -> list[str]:
        """Requirements without duplicates of the same package (the last spec wins)."""
        merged: dict[str, str] = {}
        for requirement in requirements:
            merged.pop(_package_name(requirement), None)
            merged[_package_name(requirement)] = requirement
        return list(merged.values())

    # ---- internals
    def _pip_list(self, create: bool = False) -> list[str] | None:
        for item in self._conda["dependencies"]:
            if isinstance(item, dict) and "pip" in item:
                if item["pip"] is None:
                    item["pip"] = []
                return item["pip"]
        if not create:
            return None
        pip: list[str] = []
        self._conda["dependencies"].append({"pip": pip})
        return pip

    def _conda_list(self) -> list[str]:
        return [d for d in self._conda["dependencies"] if isinstance(d, str)]

    def _replace_conda(self, packages: list[str]) -> None:
        others = [d for d in self._conda["dependencies"] if not isinstance(d, str)]
        self._conda["dependencies"] = [*packages, *others]

    # ---- python
    def get_python_version(self) -> str | None:
        for spec in self._conda_list():
            if _package_name(spec) == "python":
                return re.sub(r"^python\s*=*\s*", "", spec.strip()) or None
        return None

    def set_python_version(self, version: str) -> None:
        packages = [p for p in self._conda_list() if _package_name(p) != "python"]
        self._replace_conda([f"python={version}", *packages])

    # ---- conda packages
    def add_conda_package(self, conda_package: str) -> None:
        if _package_name(conda_package) == "python":
            self.set_python_version(re.sub(r"^python\s*=*\s*", "", conda_package.strip()))
            return
        name = _package_name(conda_package)
        packages = [p for p in self._conda_list() if _package_name(p) != name]
        self._replace_conda([*packages, conda_package])

    def remove_conda_package(self, conda_package: str) -> None:
        name = _package_name(conda_package)
        if name == "python":
            raise UserErrorException("The python package cannot be removed; use "
                                     "set_python_version() to change it")
        self._replace_conda([p for p in self._conda_list() if _package_name(p) != name])

    @property
    def conda_packages(self) -> Iterator[str]:
        """Conda packages except python (an iterator, as in v1)."""
        return (p for p in self._conda_list() if _package_name(p) != "python")

    # ---- pip packages and options
    def add_pip_package(self, pip_package: str) -> None:
        if pip_package.strip().startswith("-"):
            raise UserErrorException(f"{pip_package!r} is a pip option; use set_pip_option()")
        pip = self._pip_list(create=True)
        assert pip is not None
        name = _package_name(pip_package)
        pip[:] = [p for p in pip if p.startswith("-") or _package_name(p) != name]
        pip.append(pip_package)

    def remove_pip_package(self, pip_package: str) -> None:
        pip = self._pip_list()
        if pip is not None:
            name = _package_name(pip_package)
            pip[:] = [p for p in pip if p.startswith("-") or _package_name(p) != name]

    def set_pip_requirements(self, pip_requirements: list[str]) -> None:
        pip = self._pip_list(create=True)
        assert pip is not None
        pip[:] = [p for p in pip if p.startswith("-")] + list(pip_requirements)

    @property
    def pip_packages(self) -> Iterator[str]:
        """pip requirements (an iterator, as in v1)."""
        return (p for p in self._pip_list() or [] if not p.strip().startswith("-"))

    def set_pip_option(self, pip_option: str) -> None:
        option = pip_option.strip()
        if not option.startswith("-"):
            raise UserErrorException(f"pip option {pip_option!r} must start with '-'")
        pip = self._pip_list(create=True)
        assert pip is not None
        flag = option.split()[0].split("=")[0]
        if flag in ("--index-url", "-i"):  # one index url; extra urls may repeat
            pip[:] = [p for p in pip if p.split()[0].split("=")[0] not in ("--index-url", "-i")]
        if option not in pip:
            pip.insert(0, option)

    def remove_pip_option(self, pip_option: str) -> None:
        pip = self._pip_list()
        if pip is not None:
            pip[:] = [p for p in pip if p.strip() != pip_option.strip()]

    def set_pip_index_url(self, index_url: str) -> None:
        self.set_pip_option(f"--index-url {index_url}")

    @property
    def pip_options(self) -> Iterator[str]:
        return (p for p in self._pip_list() or [] if p.strip().startswith("-"))

    # ---- channels
    def add_channel(self, channel: str) -> None:
        channels = self._conda.setdefault("channels", [])
        if channel not in channels:
            channels.append(channel)

    def remove_channel(self, channel: str) -> None:
        channels = self._conda.get("channels") or []
        self._conda["channels"] = [c for c in channels if c != channel]

    @property
    def conda_channels(self) -> Iterator[str]:
        return iter(list(self._conda.get("channels") or []))

    # ---- serialization
    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._conda)

    def serialize_to_string(self) -> str:
        return _yaml().safe_dump(self._conda, sort_keys=False, default_flow_style=False)

    def save(self, path: str | os.PathLike) -> str:
        """Write the YAML to the file ``path`` (its folder must exist); returns the path."""
        target = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(parent):
            raise UserErrorException(f"Cannot save conda dependencies to {target!r}: folder "
                                     f"{parent} does not exist")
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(self.serialize_to_string())
        return target

    def save_to_file(self, base_directory: str | os.PathLike,
                     conda_file_path: str | None = None) -> str:
        """Deprecated in v1: save under ``base_directory``."""
        rel = conda_file_path or os.path.join(".azureml", "auto_conda_dependencies.yml")
        target = os.path.join(os.fspath(base_directory), rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        return self.save(target)

    def _pip_build_spec(self) -> dict[str, Any]:
        """The uv environment spec this translates to (raises EnvironmentBuildError)."""
        from ..execution.conda import translate  # on use: execution only when a build spec is made

        # on use: execution only when a build spec is made
        from ..execution.environments import canonical_spec

        result = translate(self._conda_list(), list(self.pip_packages),
                           list(self.conda_channels))
        return canonical_spec(result.requirements, list(self.pip_options),
                              result.python_version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CondaDependencies) and self._conda == other._conda

    def __repr__(self) -> str:
        return self.serialize_to_string()


__all__ = ["CondaDependencies"]
