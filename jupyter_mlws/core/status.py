"""Run status vocabulary of the v1 SDK (``azureml._restclient.constants.RunStatus``).

Waiters loop while a status is "running" (or post-processing when asked); unknown strings are
treated as running, as v1 does, so a newer server vocabulary never ends a wait early.
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


RUNNING_STATUSES = frozenset({
    RunStatus.NOT_STARTED, RunStatus.QUEUED, RunStatus.PREPARING, RunStatus.PROVISIONING,
    RunStatus.STARTING, RunStatus.RUNNING, RunStatus.UNAPPROVED, RunStatus.NOT_RESPONDING,
    RunStatus.PAUSING, RunStatus.PAUSED,
})
POST_PROCESSING_STATUSES = frozenset({RunStatus.CANCEL_REQUESTED, RunStatus.FINALIZING})
# Pipeline providers report "Finished" for success; it ends a wait like Completed does.
TERMINAL_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED,
                               "Finished"})


def is_terminal(status: str | None) -> bool:
    """True for Completed, Failed, Canceled (and the pipeline word Finished)."""
    return status in TERMINAL_STATUSES


def is_running(status: str | None, wait_post_processing: bool = False) -> bool:
    """True while a waiter should keep waiting; unknown strings count as running."""
    if status in TERMINAL_STATUSES:
        return False
    if status in POST_PROCESSING_STATUSES:
        return wait_post_processing
    return True


__all__ = ["POST_PROCESSING_STATUSES", "RUNNING_STATUSES", "TERMINAL_STATUSES", "RunStatus",
           "is_running", "is_terminal"]
