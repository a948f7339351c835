"""Reading a run's outputs while its executor still uploads them.

``wait_for_completion()`` returns once a submitted run is Finalizing, as v1's does (only
``wait_post_processing=True`` waits for the end); in that state the executor is still uploading
``outputs/``. ``run.register_model`` and ``run.download_file(s)`` call :func:`await_outputs`
first, so they read the finished files instead of racing the upload (a missing or partly
registered model). The wait is bounded: a run that stays Finalizing longer is an error that
says so.
"""

from __future__ import annotations

import time
from typing import Any

from ..exceptions import ExperimentExecutionException
from ..store.errors import InvalidInputError
from ..store.paths import normalize_artifact_path
from .status import RunStatus

OUTPUTS_PREFIX = "outputs"  # the folder the executor uploads after the script (executor.py)
POST_PROCESSING_TIMEOUT_SECONDS = 600.0
_POLL_MIN, _POLL_MAX = 0.05, 1.0


def touches_outputs(path: str | None) -> bool:
    """Whether an artifact path (or folder prefix; None or "" for every file) may name files
    the executor uploads while Finalizing."""
    if not path or not path.strip("/"):
        return True
    try:
        clean = normalize_artifact_path(path)
    except InvalidInputError:
        return False  # the caller reports the bad path
    return clean == OUTPUTS_PREFIX or clean.startswith(OUTPUTS_PREFIX + "/")


def await_outputs(run: Any, path: str | None, *, what: str) -> None:
    """Return once ``run`` (a Run) is past Finalizing, when ``path`` is among its outputs;
    at once otherwise. ``what`` names the caller in the timeout error."""
    if not touches_outputs(path):
        return
    run.refresh()
    if run._record.status != RunStatus.FINALIZING:
        return
    started = time.monotonic()
    deadline = started + POST_PROCESSING_TIMEOUT_SECONDS
    pause = _POLL_MIN
    # The store reconciles a run whose executor died (to Failed), so this ends without it too.
    while run._record.status == RunStatus.FINALIZING:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ExperimentExecutionException(
                f"{what}: run {run.id} is still Finalizing (uploading its outputs) after "
                f"{POST_PROCESSING_TIMEOUT_SECONDS:.0f} s, so {path or 'its files'!r} may be "
                "incomplete. Wait with run.wait_for_completion(wait_post_processing=True) "
                "and try again.")
        time.sleep(min(pause, left))
        pause = min(_POLL_MAX, pause * 2)
        run.refresh()


__all__ = ["OUTPUTS_PREFIX", "POST_PROCESSING_TIMEOUT_SECONDS", "await_outputs", "touches_outputs"]
