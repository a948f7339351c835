"""The run status vocabulary: the one definition every layer and face uses.

The names are v1's (``azureml._restclient.constants.RunStatus``). It lives in the store layer
because the store writes statuses (timings, reconciliation) and must not import ``core``;
``jupyter_mlws.core.status`` re-exports it under the v1 import path, and the front end gets the
same sets through the generated ``src/common/api.gen.ts``.
"""

from __future__ import annotations


class RunStatus:
    """The status strings a run goes through."""

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    PROVISIONING = "Provisioning"
    STARTING = "Starting"
    RUNNING = "Running"
    CANCEL_REQUESTED = "CancelRequested"
    CANCELED = "Canceled"
    FINALIZING = "Finalizing"
    COMPLETED = "Completed"
    FAILED = "Failed"
    UNAPPROVED = "Unapproved"
    NOT_RESPONDING = "NotResponding"
    PAUSING = "Pausing"
    PAUSED = "Paused"

    @classmethod
    def list(cls) -> list[str]:
        """Every status constant, in declaration order."""
        return [value for key, value in vars(cls).items() if key.isupper()]


# Pipeline providers report "Finished" for success; it ends a run like Completed does.
FINISHED = "Finished"
TERMINAL_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED,
                               FINISHED})
# Statuses that are not terminal yet: the run may still change (and its owner must be alive).
ACTIVE_STATUSES = frozenset(RunStatus.list()) - TERMINAL_STATUSES
# Waiters (``wait_for_completion``) keep waiting through these only when asked to.
POST_PROCESSING_STATUSES = frozenset({RunStatus.CANCEL_REQUESTED, RunStatus.FINALIZING})
RUNNING_STATUSES = ACTIVE_STATUSES - POST_PROCESSING_STATUSES
# Every status a run may be given, in a stable order (validation, OpenAPI enum, the studio).
RUN_STATUSES = (*RunStatus.list(), FINISHED)


def is_terminal(status: str | None) -> bool:
    """True for Completed, Failed, Canceled (and the pipeline word Finished)."""
    return status in TERMINAL_STATUSES


def is_running(status: str | None, wait_post_processing: bool = False) -> bool:
    """True while a waiter should keep waiting; unknown strings count as running (as in v1, so
    a newer server vocabulary never ends a wait early)."""
    if status in TERMINAL_STATUSES:
        return False
    if status in POST_PROCESSING_STATUSES:
        return wait_post_processing
    return True


__all__ = ["ACTIVE_STATUSES", "FINISHED", "POST_PROCESSING_STATUSES", "RUNNING_STATUSES",
           "RUN_STATUSES", "TERMINAL_STATUSES", "RunStatus", "is_running", "is_terminal"]
