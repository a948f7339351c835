"""How a run ends: ``complete``, ``fail``, ``cancel`` and the context manager (v1 section 4),
each flushing metrics and uploading ``outputs/`` before the terminal status, and ``run_error``,
the error document of a failed run. Mixed into :class:`jupyter_mlws.core.run.Run`."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from .metric_losses import end_state
from .status import RunStatus, is_terminal

if TYPE_CHECKING:
    from .run import Run

def run_error(error_details: Any, error_code: str | None) -> dict[str, Any] | None:
    """``{"error": {...}}`` from a message string or an exception (with its traceback)."""
    if error_details is None and error_code is None:
        return None
    error: dict[str, Any] = {"code": error_code or "UserError"}
    if isinstance(error_details, BaseException):
        kind = type(error_details).__name__
        error["message"] = f"{kind}: {error_details}" if str(error_details) else kind
        error["exceptionType"] = kind
        error["traceback"] = "".join(traceback.format_exception(
            type(error_details), error_details, error_details.__traceback__))
    elif error_details is not None:
        error["message"] = str(error_details)
    else:
        error["message"] = f"Run failed with error code {error_code}"
    return {"error": error}


class RunLifecycleMixin:
    """Start and end of a run (``Run`` provides the attributes named here)."""

    _store: Any
    _record: Any
    _buffer: Any
    _owns_run: bool
    _set_status_on_end: bool
    id: str

    def start(self) -> None:
        """Mark the run Running (a no-op for a run that has ended)."""
        self._record = self._store.update_run(self.id, status=RunStatus.RUNNING,
                                              only_if_active=True)

    def _finish(self, status: str, error: dict[str, Any] | None = None, *,
                set_status: bool = True, upload: bool = True) -> None:
        """Flush metrics, upload outputs/, then set a terminal status (never overriding one).
        Every step is attempted; the first failure is raised afterwards."""
        failures: list[BaseException] = []
        for step in (lambda: self._buffer.flush(run_id=self.id),
                     self._upload_outputs if upload else None):
            if step is None:
                continue
            try:
                step()
            except Exception as exc:
                failures.append(exc)
        # Points the store refused are lost: the run must not end plain Completed
        # (metric_losses.py); points still waiting for a failing store keep it active.
        status, error, set_status = end_state(self._buffer, self.id, status, error, set_status)
        if set_status and self._set_status_on_end:
            try:
                self._record = self._store.update_run(self.id, status=status, error=error,
                                                      only_if_active=True)
            except Exception as exc:
                failures.append(exc)
        if is_terminal(self._record.status):
            if self._owns_run:
                self._buffer.disown(self.id)
            self._buffer.forget(self.id)
        if failures:
            raise failures[0]

    def complete(self, _set_status: bool = True) -> None:
        """Flush metrics, upload outputs/ and mark the run Completed."""
        self._finish(RunStatus.COMPLETED, set_status=_set_status)

    def fail(self, error_details: Any = None, error_code: str | None = None,
             _set_status: bool = True) -> None:
        """Mark the run Failed; ``error_details`` is a message or an exception."""
        self._finish(RunStatus.FAILED, run_error(error_details, error_code),
                     set_status=_set_status)

    def cancel(self) -> None:
        """Mark the run Canceled (after flushing metrics and uploading outputs/)."""
        self._finish(RunStatus.CANCELED)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: Any) -> bool:
        if exc is None:
            self.complete()
            return False
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            self.complete()
            return True  # a clean sys.exit() inside the block is a success, as in v1
        if isinstance(exc, KeyboardInterrupt):
            self.cancel()
            return False
        self.fail(exc, error_code=type(exc).__name__)
        return False


__all__ = ["RunLifecycleMixin", "run_error"]
