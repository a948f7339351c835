"""Cancelling a run: the one place that decides how a cancel request reaches a run.

A run that an executor owns (a script run with a live supervisor) is asked to stop: the cancel
property (which survives a status write racing with this one) plus ``CancelRequested``; the
executor kills the process tree and records ``Canceled``. Any other active run (interactive
runs, runs nobody executes) is marked ``Canceled`` at once.
"""

from __future__ import annotations

from ..store.base import TERMINAL_STATUSES, RunRecord, Store

CANCEL_PROPERTY = "mlws.cancelRequested"

# Run types whose status an executor owns; their owner process honours CancelRequested.
EXECUTED_RUN_TYPES = frozenset({"azureml.scriptrun"})


def cancel_requested(record: RunRecord) -> bool:
    return record.properties.get(CANCEL_PROPERTY) == "true"


def request_cancel(store: Store, run_id: str) -> RunRecord:
    """Ask whoever executes ``run_id`` to stop it; returns the run record afterwards."""
    record = store.get_run(run_id)
    if record.status in TERMINAL_STATUSES:
        return record
    if record.run_type not in EXECUTED_RUN_TYPES or not record.owner:
        return store.update_run(run_id, status="Canceled", only_if_active=True)
    if not cancel_requested(record):
        store.add_run_properties(run_id, {CANCEL_PROPERTY: "true"})
    return store.update_run(run_id, status="CancelRequested", only_if_active=True)
