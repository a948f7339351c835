"""Metric points a store refused, and how they decide the status a run ends with.

The writer isolates points a store rejects (bad values that got past the checks at the call,
a run deleted meanwhile) and keeps a :class:`LostPoints` per metric. They are reported on the
run three ways: the run property ``mlws.metricWriteError`` (written at once, so every reader
of the store sees it), a ``MetricWriteError`` from that run's next ``flush()``, and the status
the run ends with (:func:`end_state`):

- ``complete()`` of a run that lost points ends it ``Failed`` with error code
  ``MetricWriteError`` (the message names each metric, how many points and why), so no run
  ends plain ``Completed`` with points missing; ``fail()`` and ``cancel()`` keep their status
  and error. In every case v1's ``details["warnings"]`` lists the loss.
- ``complete()`` while the store is failing (points still buffered, to be retried) leaves the
  run active and raises: call ``complete()`` again once the store is back. ``fail()`` and
  ``cancel()`` set their status anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .status import RunStatus

LOST_PROPERTY = "mlws.metricWriteError"
ERROR_CODE = "MetricWriteError"


@dataclass
class LostPoints:
    """Points of one metric the store refused; they are not stored."""

    run_id: str
    name: str
    count: int
    reason: str

    def __str__(self) -> str:
        points = "1 point" if self.count == 1 else f"{self.count} points"
        return f"{points} of metric {self.name!r} ({self.reason})"


def describe_losses(run_id: str, losses: list[LostPoints]) -> str:
    total = sum(loss.count for loss in losses)
    return (f"{total} metric point{'s' if total != 1 else ''} of run {run_id} could not be "
            f"stored and are lost: " + "; ".join(map(str, losses)))


def end_state(buffer: Any, run_id: str, status: str, error: dict[str, Any] | None,
              set_status: bool) -> tuple[str, dict[str, Any] | None, bool]:
    """(status, error, whether to set it) for a run ending with ``status``, given what the
    metric ``buffer`` could not store."""
    if status == RunStatus.COMPLETED and buffer.failing():
        return status, error, False
    losses = buffer.lost_points(run_id)
    if not losses:
        return status, error, set_status
    message = describe_losses(run_id, losses)
    if status == RunStatus.COMPLETED:
        status = RunStatus.FAILED
    error = dict(error or {"error": {"code": ERROR_CODE, "message": message}})
    error["warnings"] = [*error.get("warnings", ()), {"source": "metrics", "message": message}]
    return status, error, set_status


__all__ = ["ERROR_CODE", "LOST_PROPERTY", "LostPoints", "describe_losses", "end_state"]
