"""``RunDetails``: the run widget of v1's ``azureml.widgets``, as an anywidget.

``RunDetails(run).show()`` (or ``display(RunDetails(run))``, or a cell ending in it) returns at
once. The view is the ES module built from ``src/`` into ``static/run_details.js``; it asks for
data with custom messages answered by :class:`~.data.WidgetData`, and is told what changed by a
:class:`~.live.RunWatcher` that stops once the run and its children are terminal. Every display
also carries an HTML + PNG summary, so saved notebooks show the run without the widget state.

Synced traits: ``run_id``, ``workspace_id``, ``summary`` (the REST run body), ``is_finished``,
``lab_url`` (an http link into a running JupyterLab, else ""), ``error`` (the failure message of
a Failed run, or why the widget cannot refresh).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..exceptions import UserErrorException
from ..store.base import TERMINAL_STATUSES, RunRecord
from ..store.codec import json_safe
from .data import WidgetData
from .live import DEFAULT_INTERVAL, RunWatcher, fingerprint
from .static_summary import summary_bundle
from .v1_data import widget_data

ESM_PATH = Path(__file__).resolve().parent / "static" / "run_details.js"
ESM_ENV = "MLWS_WIDGET_ESM"  # another build of the module (development, tests)
DEFAULT_SETTINGS = {"childWidgetDisplay": "popup", "send_telemetry": False, "log_level": "INFO"}


class FrontEndNotBuiltError(UserErrorException):
    """The widget's ES module is missing: the front end has not been built."""


def esm_path() -> Path:
    """Where the widget's ES module is read from (``MLWS_WIDGET_ESM`` overrides)."""
    override = os.environ.get(ESM_ENV)
    return Path(override).expanduser() if override else ESM_PATH


def _read_esm() -> str:
    path = esm_path()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _error_message(record: RunRecord) -> str:
    if record.status != "Failed" or not record.error:
        return ""
    error = record.error.get("error", record.error)
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "Run failed")
    return str(error)


class RunDetails(anywidget.AnyWidget):
    """Live details of a run: status, properties, metrics and charts, logs, files, children."""

    # Declared as a trait (not a class-level path) so the class loads before the front end is
    # built; the module text is read per instance and checked when the widget is displayed.
    _esm = traitlets.Unicode("").tag(sync=True)

    run_id = traitlets.Unicode("").tag(sync=True)
    workspace_id = traitlets.Unicode("").tag(sync=True)
    summary = traitlets.Dict().tag(sync=True)
    is_finished = traitlets.Bool(False).tag(sync=True)
    lab_url = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, run_instance: Any, refresh_interval: float = DEFAULT_INTERVAL,
                 widget_settings: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Widget for ``run_instance`` (a Run); ``refresh_interval`` seconds between checks
        of the store while the run or one of its children is active."""
        if not hasattr(run_instance, "_store") or not hasattr(run_instance, "_record"):
            raise UserErrorException(
                f"RunDetails needs a Run (from experiment.start_logging(), experiment.submit() "
                f"or Run.get(...)), got {type(run_instance).__name__}.")
        self._run = run_instance
        self._store = run_instance._store
        self._settings = {**DEFAULT_SETTINGS, **(widget_settings or {})}
        record: RunRecord = self._store.get_run(run_instance.id)
        self._data = WidgetData(self._store, record.workspace_id, record.id)
        self._lock = threading.Lock()
        self._handles: list[Any] = []
        self._watcher: RunWatcher | None = None
        prints, record, finished = fingerprint(self._store, record.workspace_id, record.id)
        super().__init__(_esm=_read_esm(), run_id=record.id, workspace_id=record.workspace_id,
                         summary=json_safe(record), is_finished=finished,
                         lab_url=self._lab_url(), error=_error_message(record), **kwargs)
        self.on_msg(self._on_request)
        if not finished:
            self._watcher = RunWatcher(self._store, record.workspace_id, record.id,
                                       self._on_change, self._on_error,
                                       interval=refresh_interval, last=prints)
            self._watcher.start()

    # ---- live updates
    @property
    def refresh_thread(self) -> threading.Thread | None:
        """The watcher thread (None when the run was already finished when shown)."""
        return self._watcher.thread if self._watcher is not None else None

    def _lab_url(self) -> str:
        try:
            url = self._run.get_portal_url()
        except Exception:  # no URL is better than no widget
            return ""
        return url if url.startswith(("http://", "https://")) else ""

    def _on_change(self, whats: list[str], record: RunRecord, finished: bool) -> None:
        with self.hold_sync():
            self.summary = json_safe(record)
            self.error = _error_message(record)
            self.is_finished = finished
        if whats:
            self.send({"type": "changed", "what": whats})
        if finished:
            self._update_static_outputs()

    def _on_error(self, exc: BaseException) -> None:
        self.error = f"Cannot refresh run {self.run_id}: {exc}"

    def _on_request(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "request":
            return
        self.send(self._data.answer(content))

    def close(self) -> None:
        """Close the widget and stop refreshing it."""
        watcher = getattr(self, "_watcher", None)  # absent when __init__ failed early
        if watcher is not None:
            watcher.stop()
        super().close()

    # ---- display
    def _check_front_end(self) -> None:
        if not self._esm:
            self._esm = _read_esm()
        if not self._esm:
            raise FrontEndNotBuiltError(
                f"The RunDetails front end is not built: {esm_path()} is missing. Build the "
                "front end from the repository root (`jlpm install && jlpm build`, or only the "
                "widget with `jlpm build:widget`), or install "
                f"a jupyter_mlws package that ships it; {ESM_ENV}=<path to run_details.js> "
                "points the widget at another build.")

    def _bundle(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = super()._repr_mimebundle_()

        try:
            data.update(summary_bundle(self._store, self.run_id))
        except Exception as exc:  # the fallback must never hide the live widget
            data["text/html"] = f"<pre>RunDetails: no summary ({type(exc).__name__})</pre>"
        status = self.summary.get("status", "")
        data["text/plain"] = f"RunDetails(run {self.run_id}, {status})"
        return data, metadata

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        self._check_front_end()
        return self._bundle()

    def _ipython_display_(self) -> None:
        # Displayed with a display id so the static summary can be replaced by the final one
        # when a live run ends (saved notebooks then hold the finished run).
        from IPython.display import display

        self._check_front_end()
        data, metadata = self._bundle()
        handle = display(data, metadata=metadata, raw=True, display_id=True)
        if handle is not None and not self.is_finished:
            with self._lock:
                self._handles.append(handle)

    def _update_static_outputs(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
        if not handles:
            return
        data, metadata = self._bundle()
        for handle in handles:
            try:
                handle.update(data, metadata=metadata, raw=True)
            except Exception as exc:  # the kernel's output channel is gone: nothing to update
                self.error = f"Could not update the saved summary: {exc}"

    def show(self, render_lib: Any = None, widget_settings: dict[str, Any] | None = None
             ) -> None:
        """Display the widget (returns at once, as in v1; ``render_lib`` is not used)."""
        if widget_settings:
            self._settings.update(widget_settings)
        self._ipython_display_()

    def get_widget_data(self, widget_settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """The v1-shaped dict: status, run_properties, run_metrics, child_runs, run_logs..."""

        settings = {**self._settings, **(widget_settings or {})}
        record = self._store.get_run(self.run_id)
        return widget_data(self._store, record, self._lab_url() or self._run.get_portal_url(),
                           settings)

    @property
    def is_terminal(self) -> bool:
        """True once the run itself has ended (children may still be active)."""
        return self.summary.get("status") in TERMINAL_STATUSES


__all__ = ["ESM_ENV", "FrontEndNotBuiltError", "RunDetails", "esm_path"]
