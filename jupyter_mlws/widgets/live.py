"""The watcher that keeps a RunDetails widget current, and stops when there is nothing left.

One daemon thread per widget compares cheap fingerprints of the run read from the store every
``interval`` seconds: status, metric counts, artifact sizes, log sizes and the descendants'
statuses. That covers runs logging in this kernel (their metric buffer writes within 0.5 s) and
runs written by other processes alike. Once the run and all its descendants are terminal, it
makes one final refresh and exits: unlike v1's widget, nothing polls a finished run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..core.run_details import LOG_PREFIXES
from ..store.base import TERMINAL_STATUSES, RunQuery, RunRecord, Store

DEFAULT_INTERVAL = 1.0
# What changed, in the order the protocol lists them.
WHATS = ("status", "metrics", "files", "logs", "children")

Fingerprint = dict[str, Any]
OnChange = Callable[[list[str], RunRecord, bool], None]


def fingerprint(store: Store, workspace_id: str, run_id: str) -> tuple[Fingerprint, RunRecord,
                                                                         bool]:
    """(fingerprint, run record, finished): finished when the run and its descendants are
    terminal."""
    record = store.get_run(run_id, workspace_id=workspace_id)
    artifacts = store.list_artifacts(run_id)
    descendants = store.list_runs(workspace_id, RunQuery(parent_run_id=run_id, recursive=True))
    prints: Fingerprint = {
        "status": (record.status, repr(record.error), record.end_time, record.display_name,
                   tuple(sorted(record.tags.items(), key=lambda kv: kv[0]))),
        "metrics": tuple((m.name, m.count) for m in store.list_metrics(run_id)),
        "files": tuple((a.path, a.size) for a in artifacts
                       if not a.path.startswith(LOG_PREFIXES)),
        "logs": tuple((a.path, a.size) for a in artifacts if a.path.startswith(LOG_PREFIXES)),
        "children": tuple((c.id, c.status) for c in descendants),
    }
    finished = record.status in TERMINAL_STATUSES and all(
        c.status in TERMINAL_STATUSES for c in descendants)
    return prints, record, finished


def changed(old: Fingerprint | None, new: Fingerprint) -> list[str]:
    if old is None:
        return list(WHATS)
    return [what for what in WHATS if old.get(what) != new.get(what)]


class RunWatcher:
    """Calls ``on_change(whats, record, finished)`` when the run changes; the last call has
    ``finished=True`` and the thread ends after it. ``on_error(exc)`` gets store failures."""

    def __init__(self, store: Store, workspace_id: str, run_id: str, on_change: OnChange,
                 on_error: Callable[[BaseException], None] | None = None,
                 interval: float = DEFAULT_INTERVAL, last: Fingerprint | None = None) -> None:
        self._store = store
        self._workspace_id = workspace_id
        self._run_id = run_id
        self._on_change = on_change
        self._on_error = on_error
        self._interval = interval
        self._last = last
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"mlws-run-details-{run_id}",
                                       daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Stop watching (widget closed); the thread ends within one interval."""
        self._stop.set()

    def _loop(self) -> None:
        errors = 0
        while not self._stop.wait(self._interval):
            try:
                prints, record, finished = fingerprint(self._store, self._workspace_id,
                                                       self._run_id)
            except Exception as exc:
                errors += 1
                if self._on_error is not None:
                    self._on_error(exc)
                if errors >= 4:  # the run was deleted or the store is gone: give up (as v1)
                    return
                continue
            errors = 0
            whats = changed(self._last, prints)
            self._last = prints
            if whats or finished:
                try:
                    self._on_change(whats, record, finished)
                except Exception as exc:  # a closed comm must not kill the loop silently
                    if self._on_error is not None:
                        self._on_error(exc)
            if finished:
                return


__all__ = ["DEFAULT_INTERVAL", "WHATS", "RunWatcher", "changed", "fingerprint"]
