"""The curated environments: the ``AzureML-*`` names v1 notebooks fetch with
``Environment.get(ws, "AzureML-...")``, each mapped to a pip specification (data only;
:mod:`jupyter_mlws.core.environment` turns an entry into an ``Environment``).

v1's curated images pinned old Pythons (3.6-3.8) and package releases that no longer install
on current Pythons, so an entry keeps the family of its name and uses the version in the name
as a lower bound: the environment is built for this machine's Python by uv like any other.
GPU names get the same packages (PyPI's ``torch`` and ``tensorflow`` use a GPU when one is
present). Families whose code does not run on today's releases (TensorFlow 1.x, Chainer,
PySpark/MMLSpark images) are absent: asking for one is a clear error listing what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every curated environment has this one version: the catalogue is part of the package.
CURATED_VERSION = "1"

_SCIENCE = ("pandas", "numpy", "scipy", "joblib")


@dataclass(frozen=True)
class CuratedEnvironment:
    name: str
    pip_packages: tuple[str, ...]
    description: str


def _sklearn(name: str, version: str) -> CuratedEnvironment:
    return CuratedEnvironment(name, (f"scikit-learn>={version}", *_SCIENCE),
                              f"scikit-learn {version} or later with pandas, NumPy and SciPy")


def _lightgbm(name: str, version: str) -> CuratedEnvironment:
    return CuratedEnvironment(name, (f"lightgbm>={version}", "scikit-learn", *_SCIENCE),
                              f"LightGBM {version} or later with scikit-learn and pandas")


def _pytorch(name: str, version: str) -> CuratedEnvironment:
    return CuratedEnvironment(name, (f"torch>={version}", "torchvision", "numpy"),
                              f"PyTorch {version} or later with torchvision")


def _tensorflow(name: str, version: str) -> CuratedEnvironment:
    return CuratedEnvironment(name, (f"tensorflow>={version}", "numpy"),
                              f"TensorFlow {version} or later")


_ENTRIES = (
    CuratedEnvironment("AzureML-Minimal", (), "Python with the SDK and nothing else"),
    CuratedEnvironment("AzureML-Tutorial", ("scikit-learn", "matplotlib", *_SCIENCE),
                       "what the v1 tutorials' scripts import: scikit-learn, pandas, "
                       "NumPy, SciPy, matplotlib"),
    _sklearn("AzureML-Scikit-learn-0.20.3", "0.20.3"),
    _sklearn("AzureML-Scikit-learn0.24-Cuda11-OpenMpi4.1.0-py36", "0.24"),
    _sklearn("AzureML-sklearn-0.24-ubuntu18.04-py37-cpu", "0.24"),
    _sklearn("AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", "1.0"),
    _sklearn("AzureML-sklearn-1.5", "1.5"),
    _lightgbm("AzureML-lightgbm-3.2-ubuntu18.04-py37-cpu", "3.2"),
    _pytorch("AzureML-PyTorch-1.4-GPU", "1.4"),
    _pytorch("AzureML-PyTorch-1.6-CPU", "1.6"),
    _pytorch("AzureML-PyTorch-1.6-GPU", "1.6"),
    _pytorch("AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu", "1.10"),
    _pytorch("AzureML-ACPT-pytorch-1.13-py38-cuda11.7-gpu", "1.13"),
    _pytorch("AzureML-acpt-pytorch-1.13-cuda11.7", "1.13"),
    _tensorflow("AzureML-TensorFlow-2.0-GPU", "2.0"),
    _tensorflow("AzureML-TensorFlow-2.1-GPU", "2.1"),
    _tensorflow("AzureML-TensorFlow-2.3-CPU", "2.3"),
    _tensorflow("AzureML-TensorFlow-2.3-GPU", "2.3"),
    _tensorflow("AzureML-tensorflow-2.6-ubuntu20.04-py38-cuda11-gpu", "2.6"),
    _tensorflow("AzureML-tensorflow-2.16-cuda11", "2.16"),
    _tensorflow("AzureML-tensorflow-2.16-cuda12", "2.16"),
)

CATALOGUE: dict[str, CuratedEnvironment] = {entry.name: entry for entry in _ENTRIES}


__all__ = ["CATALOGUE", "CURATED_VERSION", "CuratedEnvironment"]
