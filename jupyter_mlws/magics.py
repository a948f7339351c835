"""``%mlws`` and ``%%mlws``: the workspace from a notebook without boilerplate.

Load with ``%load_ext jupyter_mlws``. Line magics::
    %mlws workspace [NAME] [--create]   show / select the current workspace (config.json default)
    %mlws experiment [NAME]             show / select the current experiment
    %mlws runs [EXPERIMENT] [--limit N] DataFrame of the most recent runs
    %mlws show [RUN_ID]                 RunDetails of a run (default: the last %%mlws run)
    %mlws help                          this text

Cell magic::
    %%mlws run [--experiment NAME] [--name DISPLAY_NAME] [--tag KEY=VALUE ...]

runs the cell as a run: ``Run.get_context()`` returns it inside the cell, the cell source is
its snapshot (``cell.py``), stdout/stderr are copied to ``logs/cell_output.txt`` (and still
shown), matplotlib figures the cell shows are logged as images, an exception marks the run
Failed (and is re-raised), an interrupt marks it Canceled. Nothing is hooked beyond the cell.
"""

from __future__ import annotations

import argparse
import ast
import base64
import io
import itertools
import linecache
import os
import shlex
import sys
import tempfile
import threading
import time
import traceback
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from .exceptions import UserErrorException

HELP = __doc__.split("Load with ``%load_ext jupyter_mlws``. ", 1)[1]
DEFAULT_EXPERIMENT = "notebook"
CELL_LOG = "logs/cell_output.txt"
CELL_RUN_TYPE = "notebook_cell"  # run.type of a %%mlws run cell
LOG_FLUSH_SECONDS = 1.0
LOG_FLUSH_BYTES = 64 * 1024
NO_WORKSPACE = (
    "No workspace selected and no config.json found ({detail}). Select one with "
    "`%mlws workspace NAME` (add --create to create it), or create one in Python: "
    "`Workspace.create('my-workspace', exist_ok=True).write_config()`.")


class _Parser(argparse.ArgumentParser):
    """argparse whose errors become IPython UsageErrors instead of exiting the kernel."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{self.format_usage().strip()}\n%mlws {self.prog}: error: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        raise UsageError(message or self.format_help())


def split_arguments(line: str) -> list[str]:
    """The words of a magic's line as a shell reads them: quotes group words, and a ``#``
    that starts a word begins a comment (so ``--tag color=#fff`` keeps its value, which
    ``shlex.split(comments=True)`` would cut)."""
    return shlex.split(_without_comment(line))


def _without_comment(line: str) -> str:
    quote: str | None = None
    escaped, word_start = False, True
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif quote is not None:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                escaped = True
        elif char.isspace():
            word_start = True
            continue
        elif char == "#" and word_start:
            return line[:index]
        elif char == "\\":
            escaped = True
        elif char in "'\"":
            quote = char
        word_start = False
    return line


def _parser(prog: str) -> _Parser:
    return _Parser(prog=prog, add_help=False)


class _Tee:
    """Writes to the notebook stream and, in batches, to the run's log."""

    def __init__(self, stream: Any, sink: _LogSink) -> None:
        self._stream = stream
        self._sink = sink

    def write(self, text: str) -> int:
        self._sink.add(text)
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno... of the real stream
        return getattr(self._stream, name)


class _LogSink:
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


class _FigureCollector:
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

    def __enter__(self) -> _FigureCollector:
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


def _format_duration(seconds: float) -> str:
    """As the studio shows durations: 43 ms, 5.2s, 3m 4s, 2h 0m 5s."""
    if seconds != seconds or seconds < 0:  # NaN: no start time
        return ""
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{seconds:.1f}s"


def _for_reading(frame: Any) -> Any:
    """``runs_frame`` for display: times to whole seconds, durations as text."""
    frame = frame.copy()
    for column in ("start_time", "end_time"):
        if column in frame:
            frame[column] = frame[column].dt.floor("s")
    if "duration" in frame:
        frame["duration"] = [_format_duration(d.total_seconds()) if d == d else ""
                             for d in frame["duration"]]
    return frame


def _cell_traceback(exc: BaseException, filename: str) -> str:
    """The traceback of ``exc`` from the cell's first frame on (all of it if none is)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _log_images(run: Any, images: list[bytes]) -> None:
    with tempfile.TemporaryDirectory(prefix="mlws-cell-") as folder:
        for index, data in enumerate(images, start=1):
            path = os.path.join(folder, f"figure_{index}.png")
            with open(path, "wb") as file:
                file.write(data)
            run.log_image(f"figure_{index}", path=path)


@magics_class
class MlwsMagics(Magics):
    """``%mlws`` / ``%%mlws`` (see the module doc)."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self._workspace: Any = None
        self._experiment: str | None = None
        self._last_run: Any = None
        self._cells = 0

    # ---- dispatch
    @line_cell_magic
    def mlws(self, line: str, cell: str | None = None) -> Any:
        """jupyter_mlws magics; ``%mlws help`` lists them."""
        __tracebackhide__ = True  # IPython leaves the magic's own frames out of tracebacks
        try:
            words = split_arguments(line)
        except ValueError as exc:
            raise UsageError(f"%mlws: cannot parse arguments: {exc}") from None
        command, args = (words[0], words[1:]) if words else ("help", [])
        if cell is not None:
            if command != "run":
                raise UsageError(f"%%mlws supports only 'run', got {command!r}.\n{HELP}")
            return self._cell_run(args, cell)
        handler = {"workspace": self._cmd_workspace, "experiment": self._cmd_experiment,
                   "runs": self._cmd_runs, "show": self._cmd_show,
                   "help": lambda _args: print(HELP)}.get(command)
        if handler is None:
            raise UsageError(f"Unknown %mlws command {command!r}.\n{HELP}")
        return handler(args)

    # ---- workspace and experiment
    def workspace(self) -> Any:
        """The selected workspace, else the one config.json names (UsageError if none)."""
        if self._workspace is None:
            from .core import Workspace  # on use: loads 19 more modules

            try:
                self._workspace = Workspace.from_config()
            except UserErrorException as exc:
                raise UsageError(NO_WORKSPACE.format(detail=str(exc).split(".")[0])) from None
        return self._workspace

    def _cmd_workspace(self, args: list[str]) -> Any:
        parser = _parser("workspace")
        parser.add_argument("name", nargs="?")
        parser.add_argument("--create", action="store_true")
        parsed = parser.parse_args(args)
        if parsed.name:
            from .core import Workspace  # on use: loads 19 more modules

            try:
                if parsed.create:
                    self._workspace = Workspace.create(parsed.name, exist_ok=True,
                                                       show_output=False)
                else:
                    self._workspace = Workspace.get(parsed.name)
            except UserErrorException as exc:
                raise UsageError(f"%mlws workspace: {exc}") from None
        workspace = self.workspace()
        print(f"Workspace '{workspace.name}' (subscription '{workspace.subscription_id}', "
              f"resource group '{workspace.resource_group}')")
        return None

    def _experiment_name(self, name: str | None) -> str:
        return name or self._experiment or DEFAULT_EXPERIMENT

    def _cmd_experiment(self, args: list[str]) -> Any:
        parser = _parser("experiment")
        parser.add_argument("name", nargs="?")
        parsed = parser.parse_args(args)
        if parsed.name:
            from .core import Experiment  # on use: loads 19 more modules

            try:
                Experiment(self.workspace(), parsed.name)  # validates the name, creates it
            except UserErrorException as exc:
                raise UsageError(f"%mlws experiment: {exc}") from None
            self._experiment = parsed.name
        print(f"Experiment '{self._experiment_name(None)}' in workspace "
              f"'{self.workspace().name}'")
        return None

    # ---- runs
    def _cmd_runs(self, args: list[str]) -> Any:
        parser = _parser("runs")
        parser.add_argument("experiment", nargs="?")
        parser.add_argument("--limit", type=int, default=20)
        parsed = parser.parse_args(args)
        if parsed.limit < 1:
            parser.error("--limit must be at least 1")

        from .core import Experiment  # on use: loads 19 more modules
        from .core.dataframes import runs_frame  # on use: loads 20 more modules

        try:
            experiment = Experiment(self.workspace(), self._experiment_name(parsed.experiment))
            runs = list(itertools.islice(experiment.get_runs(), parsed.limit))
        except UserErrorException as exc:
            raise UsageError(f"%mlws runs: {exc}") from None
        return _for_reading(runs_frame(runs) if runs else runs_frame(experiment).head(0))

    def _cmd_show(self, args: list[str]) -> Any:
        parser = _parser("show")
        parser.add_argument("run_id", nargs="?")
        parsed = parser.parse_args(args)
        from .store.base import NotFoundError  # on use: loads 9 more modules
        from .widgets import RunDetails  # on use: it loads anywidget, ipywidgets

        if parsed.run_id is None:
            if self._last_run is None:
                parser.error("give a RUN_ID (no %%mlws run has run in this kernel yet)")
            return RunDetails(self._last_run)
        workspace = self.workspace()
        try:
            run = workspace.get_run(parsed.run_id)
        except NotFoundError:
            raise UsageError(f"%mlws show: no run {parsed.run_id!r} in workspace "
                             f"'{workspace.name}'.") from None
        return RunDetails(run)

    # ---- %%mlws run
    def _cell_run(self, args: list[str], cell: str) -> Any:
        __tracebackhide__ = True
        parser = _parser("run")
        parser.add_argument("--experiment")
        parser.add_argument("--name")
        parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
        parsed = parser.parse_args(args)
        tags = {}
        for item in parsed.tag:
            key, sep, value = item.partition("=")
            if not key or not sep:
                parser.error(f"--tag needs KEY=VALUE, got {item!r}")
            tags[key] = value
        source = self.shell.transform_cell(cell) if self.shell is not None else cell
        self._cells += 1
        filename = f"<mlws-cell-{self._cells}>"
        tree = ast.parse(source, filename=filename)  # a SyntaxError starts no run
        from .core import Experiment, Run  # on use: loads 19 more modules
        from .core.run_context import use_run  # on use: loads 42 more modules

        experiment = Experiment(self.workspace(), self._experiment_name(parsed.experiment))
        run = Run._start_logging(experiment, display_name=parsed.name, tags=tags or None,
                                 snapshot_directory=None, outputs=False, run_type=CELL_RUN_TYPE)
        self._last_run = run
        with tempfile.TemporaryDirectory(prefix="mlws-cell-") as folder:
            with open(os.path.join(folder, "cell.py"), "w", encoding="utf-8") as file:
                file.write(cell)
            run.take_snapshot(folder)
        linecache.cache[filename] = (len(cell), None, cell.splitlines(True), filename)
        sink = _LogSink(run)
        streams = (sys.stdout, sys.stderr)
        collector = _FigureCollector(self.shell)
        outcome: BaseException | None = None
        try:
            sys.stdout, sys.stderr = _Tee(streams[0], sink), _Tee(streams[1], sink)
            with collector, use_run(run):
                return self._execute(tree, filename)
        except BaseException as exc:
            outcome = exc
            sink.add(_cell_traceback(exc, filename))
            raise
        finally:
            sys.stdout, sys.stderr = streams
            self._end_run(run, sink, collector, outcome, filename)

    def _execute(self, tree: ast.Module, filename: str) -> Any:
        __tracebackhide__ = True
        namespace = self.shell.user_ns if self.shell is not None else {}
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = ast.Module(body=tree.body[:-1] if last else tree.body, type_ignores=[])
        exec(compile(body, filename, "exec"), namespace)
        if last is None:
            return None
        # The value of a final expression is the cell's result, as without the magic.
        return eval(compile(ast.Expression(last.value), filename, "eval"), namespace)

    @staticmethod
    def _end_run(run: Any, sink: _LogSink, collector: _FigureCollector,
                 outcome: BaseException | None, filename: str) -> None:
        failures: list[BaseException] = []
        for step in (sink.flush, lambda: _log_images(run, collector.images)):
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
            from .core.status import RunStatus

            kind = type(outcome).__name__
            run._finish(RunStatus.FAILED, {"error": {
                "code": kind, "message": str(outcome) or kind, "exceptionType": kind,
                "traceback": _cell_traceback(outcome, filename)}})
        if failures and outcome is None:
            raise failures[0]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_mlws``: register the magics."""
    ipython.register_magics(MlwsMagics)


__all__ = ["MlwsMagics", "load_ipython_extension"]
