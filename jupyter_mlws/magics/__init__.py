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

import ast
import itertools
import linecache
import os
import sys
import tempfile
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from ..exceptions import UserErrorException
from .arguments import parser_for, split_arguments
from .cell import CELL_LOG, FigureCollector, LogSink, Tee, cell_traceback, end_run
from .display import for_reading

HELP = __doc__.split("Load with ``%load_ext jupyter_mlws``. ", 1)[1]
DEFAULT_EXPERIMENT = "notebook"
CELL_RUN_TYPE = "notebook_cell"  # run.type of a %%mlws run cell
NO_WORKSPACE = (
    "No workspace selected and no config.json found ({detail}). Select one with "
    "`%mlws workspace NAME` (add --create to create it), or create one in Python: "
    "`Workspace.create('my-workspace', exist_ok=True).write_config()`.")


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
            from ..core import Workspace  # on use: loads 19 more modules

            try:
                self._workspace = Workspace.from_config()
            except UserErrorException as exc:
                raise UsageError(NO_WORKSPACE.format(detail=str(exc).split(".")[0])) from None
        return self._workspace

    def _cmd_workspace(self, args: list[str]) -> Any:
        parser = parser_for("workspace")
        parser.add_argument("name", nargs="?")
        parser.add_argument("--create", action="store_true")
        parsed = parser.parse_args(args)
        if parsed.name:
            from ..core import Workspace  # on use: loads 19 more modules

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
        parser = parser_for("experiment")
        parser.add_argument("name", nargs="?")
        parsed = parser.parse_args(args)
        if parsed.name:
            from ..core import Experiment  # on use: loads 19 more modules

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
        parser = parser_for("runs")
        parser.add_argument("experiment", nargs="?")
        parser.add_argument("--limit", type=int, default=20)
        parsed = parser.parse_args(args)
        if parsed.limit < 1:
            parser.error("--limit must be at least 1")

        from ..core import Experiment  # on use: loads 19 more modules
        from ..core.dataframes import runs_frame  # on use: loads 20 more modules

        try:
            experiment = Experiment(self.workspace(), self._experiment_name(parsed.experiment))
            runs = list(itertools.islice(experiment.get_runs(), parsed.limit))
        except UserErrorException as exc:
            raise UsageError(f"%mlws runs: {exc}") from None
        return for_reading(runs_frame(runs) if runs else runs_frame(experiment).head(0))

    def _cmd_show(self, args: list[str]) -> Any:
        parser = parser_for("show")
        parser.add_argument("run_id", nargs="?")
        parsed = parser.parse_args(args)
        from ..store.base import NotFoundError  # on use: loads 9 more modules
        from ..widgets import RunDetails  # on use: it loads anywidget, ipywidgets

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
        parser = parser_for("run")
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
        from ..core import Experiment, Run  # on use: loads 19 more modules
        from ..core.run_context import use_run  # on use: loads 42 more modules

        experiment = Experiment(self.workspace(), self._experiment_name(parsed.experiment))
        run = Run._start_logging(experiment, display_name=parsed.name, tags=tags or None,
                                 snapshot_directory=None, outputs=False, run_type=CELL_RUN_TYPE)
        self._last_run = run
        with tempfile.TemporaryDirectory(prefix="mlws-cell-") as folder:
            with open(os.path.join(folder, "cell.py"), "w", encoding="utf-8") as file:
                file.write(cell)
            run.take_snapshot(folder)
        linecache.cache[filename] = (len(cell), None, cell.splitlines(True), filename)
        sink = LogSink(run)
        streams = (sys.stdout, sys.stderr)
        collector = FigureCollector(self.shell)
        outcome: BaseException | None = None
        try:
            sys.stdout, sys.stderr = Tee(streams[0], sink), Tee(streams[1], sink)
            with collector, use_run(run):
                return self._execute(tree, filename)
        except BaseException as exc:
            outcome = exc
            sink.add(cell_traceback(exc, filename))
            raise
        finally:
            sys.stdout, sys.stderr = streams
            end_run(run, sink, collector, outcome, filename)

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

def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_mlws``: register the magics."""
    ipython.register_magics(MlwsMagics)


__all__ = ["CELL_LOG", "MlwsMagics", "load_ipython_extension", "split_arguments"]
