"""``ScriptRun``: a run submitted from a ``ScriptRunConfig`` (type ``azureml.scriptrun``).

Adds to :class:`Run` what only makes sense for a run executed by our executor: following its
log while waiting (``wait_for_completion(show_output=True)``, v1 section 4.4), cancelling its
process tree, and cleaning its working copy. The executor (not this object) owns the status.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import time
import warnings
from typing import Any

from ..exceptions import ActivityFailedException, ExperimentExecutionException
from ..execution.cancel import request_cancel
from ..store.settings import mlws_home
from .run import Run
from .status import RunStatus, is_running, is_terminal

CANCEL_WAIT_SECONDS = 10.0
_STREAMED = re.compile(r"^(user_logs/std_log.*\.txt|azureml-logs/\d\d_.*\.txt)$")


def _poll_bounds() -> tuple[float, float]:
    low = float(os.environ.get("AZUREML_RUN_POLLING_INTERVAL_MIN", "0.2"))
    high = float(os.environ.get("AZUREML_RUN_POLLING_INTERVAL_MAX", "10"))
    return low, max(low, high)


def poll_interval(elapsed: float) -> float:
    """v1's sigmoid back-off, with bounds suited to a local store (0.2 s .. 10 s)."""
    low, high = _poll_bounds()
    return max(low, min(high, high / (1 + 100 * math.exp(-elapsed / 20))))


def _log_rank(path: str) -> tuple[int, str]:
    """Higher wins: the user log over numbered azureml-logs, later numbers over earlier."""
    return (1 if path.startswith("user_logs/") else 0, path)


class ScriptRun(Run):
    """A submitted script run."""

    # ---- waiting
    def wait_for_completion(self, show_output: bool = False, wait_post_processing: bool = False,
                            raise_on_error: bool = True) -> dict[str, Any]:
        """Wait for the run to end; returns ``get_details()``. With ``show_output`` the log is
        streamed as it grows and an execution summary printed. A Failed run raises
        :class:`ActivityFailedException` (or prints the error with ``raise_on_error=False``)."""
        if show_output:
            try:
                self._stream_until_done(sys.stdout)
            except KeyboardInterrupt as exc:
                raise ExperimentExecutionException(
                    "The output streaming for the run interrupted.\nBut the run is still "
                    "executing on the compute target. \nDetails for canceling the run can be "
                    "found here: run.cancel()") from exc
        else:
            started = time.monotonic()
            while is_running(self.get_status(), wait_post_processing):
                time.sleep(poll_interval(time.monotonic() - started))
        details = self.get_details()
        if show_output:
            self._print_summary(details, raise_on_error)
        if details["status"] == RunStatus.FAILED and raise_on_error:
            raise ActivityFailedException(error_details=json.dumps(details.get("error") or {},
                                                                   indent=4))
        return details

    def _stream_until_done(self, out: Any) -> None:
        print(f"RunId: {self.id}", file=out)
        print(f"Web View: {self.get_portal_url()}", file=out)
        current: str | None = None
        offset = 0
        started = time.monotonic()
        while True:
            self.refresh()
            done = not is_running(self._record.status, wait_post_processing=True)
            sizes = {a.path: a.size for a in self._store.list_artifacts(self.id)
                     if _STREAMED.match(a.path)}
            best = max(sizes, key=_log_rank) if sizes else None
            if best is not None and best != current:
                if current is not None:
                    offset = self._print_from(current, offset, out)
                header = f"Streaming {best}"
                print(f"\n{header}\n{'=' * len(header)}\n", file=out)
                current, offset = best, 0
            if current is not None and sizes.get(current, 0) > offset:
                offset = self._print_from(current, offset, out)
            if done:
                out.flush()
                return
            # Streaming is interactive: poll at the low bound for a while, then back off.
            elapsed = time.monotonic() - started
            time.sleep(_poll_bounds()[0] if elapsed < 60 else poll_interval(elapsed))

    def _print_from(self, path: str, offset: int, out: Any) -> int:
        """Print the log from ``offset`` to its end (the one tailer, chunk by chunk); the
        offset to continue from."""
        while True:
            chunk = self._store.tail_log(self.id, path, offset)
            if chunk.data:
                print(chunk.data, end="", file=out)
                out.flush()
            if chunk.offset == offset or chunk.offset >= chunk.size:
                return chunk.offset
            offset = chunk.offset

    def _print_summary(self, details: dict[str, Any], raise_on_error: bool) -> None:
        print("\nExecution Summary\n=================")
        print(f"RunId: {self.id}")
        print(f"Web View: {self.get_portal_url()}\n")
        if details.get("warnings"):
            print("Warnings:")
            print(json.dumps(details["warnings"], indent=4))
        if details["status"] == RunStatus.FAILED and not raise_on_error:
            print("Error:")
            print(json.dumps(details.get("error") or {}, indent=4))

    # ---- details
    def get_details_with_logs(self) -> dict[str, Any]:
        """``get_details()`` with each log file's text instead of its location (v1)."""
        details = self.get_details()
        logs = {}
        for path in details["logFiles"]:
            stream = self._store.open_artifact(self.id, path)
            try:
                logs[path] = stream.read().decode("utf-8", "replace")
            finally:
                stream.close()
        details["logFiles"] = logs
        return details

    # ---- cancel
    def cancel(self) -> None:
        """Stop the run's whole process tree and mark it Canceled (returns once it is)."""
        self.refresh()
        if is_terminal(self._record.status):
            return

        self._record = request_cancel(self._store, self.id)
        if is_terminal(self._record.status):  # nobody executes it: nothing to stop
            return
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        while time.monotonic() < deadline:
            self.refresh()  # a dead executor is reconciled here, so this cannot hang
            if is_terminal(self._record.status):
                return
            time.sleep(0.05)
        warnings.warn(f"Run {self.id} did not confirm the cancel within "
                      f"{CANCEL_WAIT_SECONDS:.0f} s; it stays CancelRequested", UserWarning,
                      stacklevel=2)

    # ---- files
    def _working_directory(self) -> str:
        settings = getattr(self._store, "settings", None)
        if settings is None:
            return os.path.join(str(mlws_home()), "runs", self.id, "wd")
        return os.path.join(str(settings.home), "runs", self.id, "wd")

    def clean(self) -> list[str]:
        """Remove the run's local working copy (once the run has ended); returns what was
        removed."""
        if not is_terminal(self.get_status()):
            warnings.warn(f"Run {self.id} is still {self._record.status}; not cleaning it",
                          UserWarning, stacklevel=2)
            return []
        folder = self._working_directory()
        if not os.path.isdir(folder):
            return []
        shutil.rmtree(folder, ignore_errors=True)
        return [folder]


def _from_record(experiment: Any, record: Any) -> ScriptRun:
    """Run type provider for ``azureml.scriptrun``."""
    return ScriptRun._from_record(experiment, record)


Run.add_type_provider("azureml.scriptrun", _from_record)

__all__ = ["ScriptRun"]
