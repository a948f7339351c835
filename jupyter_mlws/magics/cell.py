"""What a ``%%mlws run`` cell leaves in its run: stdout/stderr copied to ``logs/cell_output.txt``
in batches, the figures it shows, its traceback, and the run's end as the cell ended."""

from __future__ import annotations

import base64
import io
import os
import sys
import tempfile
import threading
import time
import traceback
from typing import Any

CELL_LOG = "logs/cell_output.txt"
LOG_FLUSH_SECONDS = 1.0
LOG_FLUSH_BYTES = 64 * 1024


class Tee:
    """Writes to the notebook stream and, in batches, to the run's log."""

    def __init__(self, stream: Any, sink: LogSink) -> None:
        self._stream = stream
        self._sink = sink

    def write(self, text: str) -> int:
        self._sink.add(text)
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno... of the real stream
        return getattr(self._stream, name)


class LogSink:
    """Text for ``logs/cell_output.txt``, appended to the store at most every second."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._parts: list[str] = []
        self._size = 0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def add(self, text: str) -> None:
        if not isinstance(text, str) or not text:
            return
        with self._lock:
            self._parts.append(text)
            self._size += len(text)
            due = (self._size >= LOG_FLUSH_BYTES
                   or time.monotonic() - self._last >= LOG_FLUSH_SECONDS)
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            data, self._parts, self._size = "".join(self._parts), [], 0
            self._last = time.monotonic()
        if data:
            self._run._store.append_log(self._run.id, CELL_LOG, data.encode("utf-8"))


class FigureCollector:
    """PNGs the cell displays (matplotlib's inline show) and figures it leaves open."""

    def __init__(self, shell: Any) -> None:
        self._pub = getattr(shell, "display_pub", None)
        self.images: list[bytes] = []
        self._hooked = hasattr(self._pub, "register_hook")
        self._before = self._open_figures()

    @staticmethod
    def _open_figures() -> set[int]:
        pyplot = sys.modules.get("matplotlib.pyplot")
        return set(pyplot.get_fignums()) if pyplot is not None else set()

    def _hook(self, msg: Any) -> Any:
        try:
            png = msg.get("content", {}).get("data", {}).get("image/png")
            if isinstance(png, str):
                self.images.append(base64.b64decode(png))
        except Exception:  # never break the notebook's display
            pass
        return msg

    def __enter__(self) -> FigureCollector:
        if self._hooked:
            self._pub.register_hook(self._hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._hooked:
            self._pub.unregister_hook(self._hook)
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return

        # Figures created in the cell and still open are shown by the inline backend after
        # the cell; log them now so the run has them too.
        for number in sorted(self._open_figures() - self._before):
            buffer = io.BytesIO()
            pyplot.figure(number).savefig(buffer, format="png")
            self.images.append(buffer.getvalue())


def cell_traceback(exc: BaseException, filename: str) -> str:
    """The traceback of ``exc`` from the cell's first frame on (all of it if none is)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def log_images(run: Any, images: list[bytes]) -> None:
    """Log each PNG as the run's image ``figure_<n>``."""
    with tempfile.TemporaryDirectory(prefix="mlws-cell-") as folder:
        for index, data in enumerate(images, start=1):
            path = os.path.join(folder, f"figure_{index}.png")
            with open(path, "wb") as file:
                file.write(data)
            run.log_image(f"figure_{index}", path=path)


def end_run(run: Any, sink: LogSink, collector: FigureCollector,
            outcome: BaseException | None, filename: str) -> None:
    """Flush the cell's log and figures, then end the run as the cell ended (``outcome``: what
    it raised, None when it finished)."""
    failures: list[BaseException] = []
    for step in (sink.flush, lambda: log_images(run, collector.images)):
        try:
            step()
        except Exception as exc:
            failures.append(exc)
    if outcome is None or (isinstance(outcome, SystemExit) and outcome.code in (0, None)):
        run.complete()
    elif isinstance(outcome, KeyboardInterrupt):
        run.cancel()
    else:
        # The code names the exception type, so the message is its text alone, and the
        # traceback is the cell's (the magic's own frames say nothing to the user).
        from ..core.status import RunStatus

        kind = type(outcome).__name__
        run._finish(RunStatus.FAILED, {"error": {
            "code": kind, "message": str(outcome) or kind, "exceptionType": kind,
            "traceback": cell_traceback(outcome, filename)}})
    if failures and outcome is None:
        raise failures[0]


__all__ = ["CELL_LOG", "FigureCollector", "LogSink", "Tee", "cell_traceback", "end_run"]
