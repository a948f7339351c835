"""``Run.get_context()``: the run the current code executes in.

- Inside a run started by our executor (``MLWS_RUN_ID``, else ``AZUREML_RUN_ID``; the other
  variables are listed in docs/internals.md) it returns that run: a process-wide singleton per
  (subscription, resource group, workspace, experiment, run id). The executor owns its status,
  so ``complete()``/``fail()`` flush metrics and upload outputs without changing the status,
  ``cancel()`` only warns, and ``with run:`` completes it that way.
- Elsewhere, unlike v1's offline run that only prints, it records into a local default
  workspace ("default" in subscription/resource group "local", created if missing), in an
  experiment named after the entry script ("offline" in a notebook or REPL). One such run per
  process; it is completed at interpreter exit (Failed if the script died of an exception) and
  announced with one printed line.
- Code may name the current run explicitly for a block with :func:`use_run` (a context-variable
  override, used by the ``%%mlws run`` cell magic); it wins over both of the above.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from ..data._run_inputs import input_datasets, output_datasets
from ..exceptions import RunEnvironmentException
from ..store import get_store
from .experiment import Experiment
from .run import Run, run_error
from .status import RunStatus, is_terminal
from .workspace import Workspace
from .workspace_lookup import DEFAULT_NAMESPACE

ENV_NAMES = {
    "run_id": ("MLWS_RUN_ID", "AZUREML_RUN_ID"),
    "subscription_id": ("MLWS_SUBSCRIPTION_ID", "AZUREML_ARM_SUBSCRIPTION"),
    "resource_group": ("MLWS_RESOURCE_GROUP", "AZUREML_ARM_RESOURCEGROUP"),
    "workspace_name": ("MLWS_WORKSPACE_NAME", "AZUREML_ARM_WORKSPACE_NAME"),
    "experiment_name": ("MLWS_EXPERIMENT_NAME", "AZUREML_ARM_PROJECT_NAME"),
}
OUTPUT_DIR_NAMES = ("MLWS_OUTPUT_DIRECTORY", "AZUREML_OUTPUT_DIRECTORY")
DEFAULT_WORKSPACE = "default"

NOTEBOOK_EXPERIMENT = "offline"

_lock = threading.RLock()
_submitted: dict[tuple[str | None, ...], Run] = {}
_offline: Run | None = None
_uncaught: BaseException | None = None
# The run ``get_context()`` returns inside a ``use_run`` block. A ContextVar rather than a
# global, so concurrent tasks/threads each keep their own (a new thread starts without it).
_current: contextvars.ContextVar[Run | None] = contextvars.ContextVar("mlws_current_run",
                                                                    default=None)


@contextlib.contextmanager
def use_run(run: Run) -> Iterator[Run]:
    """Make ``Run.get_context()`` return ``run`` inside the ``with`` block."""
    token = _current.set(run)
    try:
        yield run
    finally:
        _current.reset(token)


def _env(key: str) -> str | None:
    for name in ENV_NAMES[key]:
        value = os.environ.get(name)
        if value:
            return value
    return None


class _SubmittedRun(Run):
    """The run of a submitted script, seen from inside it: its executor owns the status."""

    _set_status_on_end = False

    def cancel(self) -> None:
        warnings.warn("cancel() is not supported from inside a submitted run; cancel it from "
                      "the notebook or the studio instead", UserWarning, stacklevel=2)

    @property
    def input_datasets(self) -> dict[str, Any]:
        """{input name: path (mount/download) or dataset (direct)}, see data/_run_inputs.py."""

        return input_datasets(self)

    @property
    def output_datasets(self) -> dict[str, Any]:
        return output_datasets(self)


def get_context(allow_offline: bool = True, **kwargs: Any) -> Run:
    """The ``use_run`` override, else the submitted run of this process, else (``allow_offline``)
    the local default run."""
    current = _current.get()
    if current is not None:
        return current
    run_id = _env("run_id")
    if run_id:
        return _submitted_run(run_id)
    if not allow_offline:
        raise RunEnvironmentException(
            "Run.get_context(allow_offline=False) found no submitted run: MLWS_RUN_ID (or "
            "AZUREML_RUN_ID) is not set. Submit the script with experiment.submit(...) or "
            "allow the offline run.")
    return _offline_run()


def _submitted_run(run_id: str) -> Run:
    key = (_env("subscription_id"), _env("resource_group"), _env("workspace_name"),
           _env("experiment_name"), run_id)
    with _lock:
        run = _submitted.get(key)
        if run is not None:
            return run
        store = get_store()
        record = store.get_run(run_id)
        workspace = Workspace._from_record(store,
                                           store.get_workspace_by_id(record.workspace_id))
        experiment = Experiment._from_record(workspace, store.get_experiment(
            record.workspace_id, experiment_id=record.experiment_id))
        run = _SubmittedRun._from_record(experiment, record)
        outputs = next((os.environ[name] for name in OUTPUT_DIR_NAMES if os.environ.get(name)),
                       "./outputs")
        run._outputs_dir = os.path.abspath(outputs)
        _submitted[key] = run
        return run


def entry_experiment_name() -> str:
    """The entry script's name as an experiment name; "offline" in a notebook or REPL."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or "ipykernel" in sys.modules or hasattr(sys, "ps1"):
        return NOTEBOOK_EXPERIMENT
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem == "__main__":  # python -m package: name it after the package
        stem = os.path.basename(os.path.dirname(os.path.abspath(path)))
    name = re.sub(r"[^\w\-]", "_", stem).lstrip("_-")[:255]
    return name or NOTEBOOK_EXPERIMENT


def _offline_run() -> Run:
    global _offline

    with _lock:
        if _offline is not None and not is_terminal(_offline._record.status):
            return _offline
        workspace = Workspace.create(DEFAULT_WORKSPACE, subscription_id=DEFAULT_NAMESPACE,
                                     resource_group=DEFAULT_NAMESPACE, exist_ok=True,
                                     show_output=False)
        experiment = Experiment(workspace, entry_experiment_name())
        # No snapshot: the working directory of an ad-hoc script may be anything (a home
        # folder); ./outputs is uploaded at the end if the script writes there.
        run = Run._start_logging(experiment, outputs=False, snapshot_directory=None)
        run._outputs_dir = os.path.abspath("./outputs")
        first = _offline is None
        _offline = run
        if first:
            _install_exit_hooks()
        print(f"jupyter_mlws: recording run {run.id} in workspace '{DEFAULT_WORKSPACE}' "
              f"(subscription '{DEFAULT_NAMESPACE}', resource group '{DEFAULT_NAMESPACE}'), "
              f"experiment '{experiment.name}'")
        return run


def _install_exit_hooks() -> None:
    previous = sys.excepthook

    def remember(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        # Remembered so the offline run ends Failed rather than Completed.
        global _uncaught
        _uncaught = exc
        previous(exc_type, exc, tb)

    sys.excepthook = remember
    atexit.register(_end_offline_run)


def _end_offline_run() -> None:
    run = _offline
    if run is None or is_terminal(run._record.status):
        return
    try:
        if _uncaught is not None:
            run._finish(RunStatus.FAILED, run_error(_uncaught, type(_uncaught).__name__))
        else:
            run.complete()
    except Exception as exc:  # at exit there is nobody to raise to
        print(f"jupyter_mlws: could not end run {run.id}: {exc}", file=sys.stderr)


__all__ = ["entry_experiment_name", "get_context", "use_run"]
