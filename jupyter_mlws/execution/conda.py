"""CondaDependencies -> pip requirements: no conda backend is reachable, so conda packages are
translated (reference: compute-and-environments.md, "Recommended CondaDependencies handling").

Rules: ``name=1.2`` -> ``name==1.2.*``; ``==``, ``>=``, ``<``... pass through; a build string is
dropped with a warning; a small table maps conda names to pip names; pip/setuptools/wheel are
ignored (uv manages them); ``python`` is handled by the builder; conda-only packages (compilers,
CUDA, MKL, R, nodejs) are a clear :class:`EnvironmentBuildError`.
"""

from __future__ import annotations

import re
import warnings

from ..exceptions import UserErrorException


class EnvironmentBuildError(UserErrorException):
    """An environment cannot be built (untranslatable package, resolver failure, no Python)."""


# Conda package name -> pip distribution name, where they differ.
CONDA_TO_PIP = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-lightgbm": "lightgbm",
    "matplotlib-base": "matplotlib",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "tensorflow-gpu": "tensorflow",
    "tensorflow-base": "tensorflow",
    "pytables": "tables",
    "pyqt": "PyQt5",
    "py-boost": "boost",
    "python-graphviz": "graphviz",
    "msgpack-python": "msgpack",
    "pillow-simd": "pillow",
    "scikit-learn-intelex": "scikit-learn-intelex",
    "tbb4py": "tbb",
}
# Managed by the builder itself, never installed from the spec.
IGNORED = frozenset({"pip", "setuptools", "wheel", "python_abi", "cpuonly"})
# Conda-only packages: native libraries and toolchains with no pip distribution.
CONDA_ONLY = frozenset({
    "cudatoolkit", "cudnn", "cuda", "cuda-toolkit", "cuda-nvcc", "nccl", "mkl", "mkl-include",
    "mkl_fft", "mkl_random", "intel-openmp", "blas", "libblas", "liblapack", "openblas",
    "nodejs", "r-base", "r", "gcc", "gxx", "gcc_linux-64", "gxx_linux-64", "gfortran",
    "make", "ffmpeg", "libjpeg-turbo", "libpng", "openssl", "zlib", "hdf5", "libffi",
    "graphviz", "git", "curl", "ca-certificates", "certifi-conda", "_libgcc_mutex",
})
CONDA_ONLY_PREFIXES = ("libgcc", "libstdcxx", "libgfortran", "r-", "cuda-", "libcu", "mkl-")

_SPEC = re.compile(r"^\s*(?:(?P<channel>[\w.\-/:]+)::)?(?P<name>[A-Za-z0-9_.\-]+)\s*"
                   r"(?P<rest>.*)$")
_OPERATORS = ("==", ">=", "<=", "!=", "~=", ">", "<")


class Translation:
    """The pip side of a conda specification. (A plain class: this module is on the way from
    submit to a script's start, where importing dataclasses costs more than the class.)"""

    def __init__(self, requirements: list[str] | None = None,
                 python_version: str | None = None, warnings: list[str] | None = None) -> None:
        self.requirements = list(requirements or [])
        self.python_version = python_version
        self.warnings = list(warnings or [])

    def __repr__(self) -> str:
        return (f"Translation(requirements={self.requirements!r}, "
                f"python_version={self.python_version!r}, warnings={self.warnings!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Translation) and vars(self) == vars(other)


def conda_only_message(name: str) -> str:
    return (f"EnvironmentBuildError: conda package '{name}' has no pip equivalent and no conda "
            "backend is available; add a pip package, or set "
            "python.user_managed_dependencies=True")


def _is_conda_only(name: str) -> bool:
    lower = name.lower()
    return lower in CONDA_ONLY or lower.startswith(CONDA_ONLY_PREFIXES)


def _version_part(spec: str, raw: str, notes: list[str]) -> str:
    """The pip version clause of a conda version (``=1.2``, ``1.2=py38_0``, ``>=1,<2``)."""
    spec = spec.strip()
    if not spec:
        return ""
    if spec.startswith(_OPERATORS) and not spec.startswith("=="):
        return spec.replace(" ", "")
    if spec.startswith("=="):
        version, _, build = spec[2:].partition("=")
        if build:
            notes.append(f"conda package '{raw}': build string '{build}' dropped (pip has none)")
        return "==" + version.strip()
    # conda "name=1.2[=build]" or "name 1.2[ build]": a prefix match on the version.
    body = spec.lstrip("=").strip()
    parts = re.split(r"[=\s]+", body, maxsplit=1)
    version = parts[0]
    build = parts[1] if len(parts) > 1 else ""
    if build:
        notes.append(f"conda package '{raw}': build string '{build}' dropped (pip has none)")
    if not version or version == "*":
        return ""
    if any(version.startswith(op) for op in _OPERATORS):
        return version
    version = version.rstrip("*").rstrip(".")
    return f"=={version}.*"


def translate_conda_package(spec: str, notes: list[str]) -> tuple[str, str | None]:
    """``(pip requirement or "", python version or None)`` for one conda package spec."""
    match = _SPEC.match(spec)
    if not match:
        raise EnvironmentBuildError(f"EnvironmentBuildError: cannot read conda package "
                                    f"specification {spec!r}")
    name, rest = match.group("name"), match.group("rest")
    lower = name.lower()
    if lower == "python":
        version = rest.strip().lstrip("=<>!~ ").split("=")[0].rstrip("*").rstrip(".")
        return "", version or None
    if lower in IGNORED:
        return "", None
    if _is_conda_only(lower):
        raise EnvironmentBuildError(conda_only_message(name))
    pip_name = CONDA_TO_PIP.get(lower, name)
    if pip_name != name:
        notes.append(f"conda package '{name}' installed as pip package '{pip_name}'")
    return pip_name + _version_part(rest, spec, notes), None


def is_sdk_package(requirement: str) -> bool:
    """``azureml-*`` SDK packages and ourselves: the run gets jupyter_mlws from the host."""
    name = re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0].lower()
    name = name.replace("_", "-")
    return name.startswith("azureml-") or name in ("azureml", "jupyter-mlws")


def translate(conda_packages: list[str], pip_packages: list[str],
              channels: list[str] | None = None, emit_warnings: bool = True) -> Translation:
    """Translate a conda specification to pip requirements (raises EnvironmentBuildError)."""
    result = Translation()
    for spec in conda_packages:
        requirement, python = translate_conda_package(spec, result.warnings)
        if python:
            result.python_version = python
        if requirement:
            result.requirements.append(requirement)
    for requirement in pip_packages:
        if is_sdk_package(requirement):
            continue  # silently: the run imports this installation's jupyter_mlws
        result.requirements.append(requirement.strip())
    extra = [c for c in channels or [] if c not in ("anaconda", "conda-forge", "defaults")]
    if extra:
        result.warnings.append(f"conda channels {extra} are ignored (no conda backend)")
    if emit_warnings:
        for note in result.warnings:
            warnings.warn(note, UserWarning, stacklevel=3)
    return result


__all__ = ["CONDA_TO_PIP", "EnvironmentBuildError", "Translation", "conda_only_message",
           "is_sdk_package", "translate", "translate_conda_package"]
