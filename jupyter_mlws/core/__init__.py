"""The SDK, shaped like ``azureml.core``: ``from jupyter_mlws.core import Workspace, Experiment``.

``Workspace`` and ``Experiment`` are cheap to import and loaded eagerly. ``Run`` and
``get_run`` load on first access (PEP 562), so ``import jupyter_mlws.core`` stays fast and does
not load the run machinery (metric buffer thread, snapshots) until it is used. ``VERSION``
(v1's ``azureml.core.VERSION``) is the installed package's version, read on first access.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from .. import __version__
from .._lazy import lazy_getattr
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
    try:
        return version("jupyter_mlws")
    except PackageNotFoundError:  # imported from a source tree that was never installed

        return __version__


__getattr__ = lazy_getattr(__name__, _LAZY, {"VERSION": _version})


__all__ = ["VERSION", "Experiment", "Run", "RunStatus", "Workspace", "get_run", *_LAZY]
__all__ = sorted(set(__all__))
