"""The SDK, shaped like ``azureml.core``: ``from jupyter_mlws.core import Workspace, Experiment``.

``Workspace`` and ``Experiment`` are cheap to import and loaded eagerly. ``Run`` and
``get_run`` load on first access (PEP 562), so ``import jupyter_mlws.core`` stays fast and does
not load the run machinery (metric buffer thread, snapshots) until it is used. ``VERSION``
(v1's ``azureml.core.VERSION``) is the installed package's version, read on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .experiment import Experiment
from .status import RunStatus
from .workspace import Workspace

if TYPE_CHECKING:
    from .run import Run, get_run

# name -> submodule that defines it, imported on first access.
_LAZY = {
    "Run": ".run",
    "get_run": ".run",
    "ScriptRun": ".script_run",
    "ScriptRunConfig": ".script_run_config",
    "RunConfiguration": ".runconfig",
    "Environment": ".environment",
    "ComputeTarget": ".compute",
    "Model": ".model",
    "Webservice": ".webservice",
    "Datastore": ".datastore",
    "Dataset": ".dataset",
    "Keyvault": ".keyvault",
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jupyter_mlws")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        from .. import __version__

        return __version__


def __getattr__(name: str) -> Any:
    if name == "VERSION":
        globals()[name] = value = _version()
        return value
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = ["VERSION", "Experiment", "Run", "RunStatus", "Workspace", "get_run", *_LAZY]
__all__ = sorted(set(__all__))
