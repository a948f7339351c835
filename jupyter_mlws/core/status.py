"""Run status vocabulary of the v1 SDK (``azureml._restclient.constants.RunStatus``), at its v1
import path. The one definition lives in :mod:`jupyter_mlws.store.status` (the store writes
statuses and must not import ``core``).
"""

from __future__ import annotations

from ..store.status import (
    POST_PROCESSING_STATUSES,
    RUNNING_STATUSES,
    TERMINAL_STATUSES,
    RunStatus,
    is_running,
    is_terminal,
)

__all__ = ["POST_PROCESSING_STATUSES", "RUNNING_STATUSES", "TERMINAL_STATUSES", "RunStatus",
           "is_running", "is_terminal"]
