"""%mlws line magics and %%mlws run error paths, in-process (the notebook tests cover the
full flows in a real kernel)."""

from __future__ import annotations

import re

import pytest
from IPython.core.error import UsageError

from jupyter_mlws.core import Experiment, Run, Workspace
from jupyter_mlws.magics import CELL_LOG, MlwsMagics
from jupyter_mlws.widgets import RunDetails


@pytest.fixture
def magics(experiment) -> MlwsMagics:
    return MlwsMagics(None)


def test_no_workspace_says_how_to_create_one(mlws_home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"No workspace selected.*Workspace.create"):
        MlwsMagics(None).mlws("runs")


def test_workspace_and_experiment_selection(magics, capsys):
    magics.mlws("workspace widgetws")
    assert "Workspace 'widgetws'" in capsys.readouterr().out
    with pytest.raises(UsageError, match=r"Workspace 'nope' .*was not found"):
        magics.mlws("workspace nope")
    magics.mlws("workspace fresh-ws --create")
    assert Workspace.get("fresh-ws").name == "fresh-ws"
    magics.mlws("experiment exp-one")
    assert "Experiment 'exp-one' in workspace 'fresh-ws'" in capsys.readouterr().out
    with pytest.raises(UsageError, match="experiment"):
        magics.mlws("experiment 'bad name!'")


def test_bad_arguments_are_usage_errors(magics):
    with pytest.raises(UsageError, match="Unknown %mlws command 'bogus'"):
        magics.mlws("bogus")
    with pytest.raises(UsageError, match="unrecognized arguments: --nope"):
        magics.mlws("runs --nope")
    with pytest.raises(UsageError, match="invalid int value"):
        magics.mlws("runs --limit many")
    with pytest.raises(UsageError, match="--tag needs KEY=VALUE"):
        magics.mlws("run --tag novalue", "x = 1")
    with pytest.raises(UsageError, match="supports only 'run'"):
        magics.mlws("runs", "x = 1")
    with pytest.raises(UsageError, match="cannot parse"):
        magics.mlws('run --name "unclosed', "x = 1")


def test_cell_run_records_and_returns_the_last_value(magics, capsys):
    magics.mlws("workspace widgetws")
    result = magics.mlws("run --experiment cells --name adder --tag a=1 --tag b=2", (
        "from jupyter_mlws.core import Run\n"
        "ctx = Run.get_context()\n"
        "ctx.log('x', 3)\n"
        "print('out'); import sys; print('err', file=sys.stderr)\n"
        "ctx.id\n"))
    (run,) = Experiment(Workspace.get("widgetws"), "cells").get_runs()
    assert result == run.id and run.display_name == "adder"
    assert run.get_status() == "Completed" and run.get_tags() == {"a": "1", "b": "2"}
    assert run.get_metrics() == {"x": 3}
    with run._store.open_artifact(run.id, CELL_LOG) as stream:
        assert stream.read().decode() == "out\nerr\n"
    captured = capsys.readouterr()
    assert "out\n" in captured.out and "err\n" in captured.err  # still shown (tee)
    # Outside the cell get_context() is no longer the cell's run.
    assert Run.get_context().id != run.id


def test_cell_run_failure_and_interrupt(magics):
    magics.mlws("workspace widgetws")
    with pytest.raises(ZeroDivisionError):
        magics.mlws("run --experiment cells --name div", "1 / 0")
    with pytest.raises(KeyboardInterrupt):
        magics.mlws("run --experiment cells --name stop", "raise KeyboardInterrupt")
    with pytest.raises(SyntaxError):
        magics.mlws("run --experiment cells --name syntax", "def (")
    runs = {r.display_name: r for r in Experiment(Workspace.get("widgetws"), "cells").get_runs()}
    assert set(runs) == {"div", "stop"}  # a cell that does not parse starts no run
    assert runs["div"].get_status() == "Failed"
    assert runs["div"].get_details()["error"]["error"]["code"] == "ZeroDivisionError"
    assert runs["stop"].get_status() == "Canceled"


def test_runs_and_show(magics):
    magics.mlws("workspace widgetws")
    empty = magics.mlws("runs cells")
    assert len(empty) == 0 and "run_id" in empty.columns
    for name in ("one", "two", "three"):
        magics.mlws(f"run --experiment cells --name {name}", "pass")
    frame = magics.mlws("runs cells --limit 2")
    assert list(frame["display_name"]) == ["three", "two"]
    assert list(frame["status"]) == ["Completed", "Completed"]
    last = magics.mlws("show")
    assert isinstance(last, RunDetails) and last.summary["display_name"] == "three"
    by_id = magics.mlws(f"show {frame['run_id'][1]}")
    assert by_id.summary["display_name"] == "two"
    with pytest.raises(UsageError, match="no run 'missing' in workspace 'widgetws'"):
        magics.mlws("show missing")
    last.close()
    by_id.close()


def test_show_without_a_cell_run(magics):
    with pytest.raises(UsageError, match="give a RUN_ID"):
        magics.mlws("show")


def test_load_extension_registers_the_magics():
    from IPython.core.interactiveshell import InteractiveShell

    import jupyter_mlws

    shell = InteractiveShell.instance()
    try:
        jupyter_mlws.load_ipython_extension(shell)
        assert "mlws" in shell.magics_manager.magics["line"]
        assert "mlws" in shell.magics_manager.magics["cell"]
    finally:
        InteractiveShell.clear_instance()


def _shell_with_magics(monkeypatch):
    """A real IPython shell (its traceback display is what a notebook shows)."""
    from IPython.core.interactiveshell import InteractiveShell

    import jupyter_mlws

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    jupyter_mlws.load_ipython_extension(shell)
    return shell


def test_failed_cell_run_keeps_a_readable_error_without_magic_frames(experiment, monkeypatch,
                                                                     capsys):
    shell = _shell_with_magics(monkeypatch)
    try:
        shell.run_line_magic("mlws", "workspace widgetws")
        capsys.readouterr()
        shell.run_cell("%%mlws run --experiment cells --name boom\n"
                       "def f():\n    raise ValueError('bad value')\nf()\n")
        captured = capsys.readouterr()
        shown = re.sub(r"\x1b\[[0-9;]*m", "", captured.out + captured.err)
        # The notebook's traceback starts at the cell: no frames of the magic itself.
        assert "ValueError: bad value" in shown and "raise ValueError" in shown
        assert "jupyter_mlws/magics" not in shown and "_cell_run" not in shown
    finally:
        from IPython.core.interactiveshell import InteractiveShell

        InteractiveShell.clear_instance()
    (run,) = Experiment(Workspace.get("widgetws"), "cells").get_runs()
    error = run.get_details()["error"]["error"]
    assert error["code"] == "ValueError"
    # The message is the exception's text, not prefixed by the type the code already names.
    assert error["message"] == "bad value"
    tb = error["traceback"]
    assert "jupyter_mlws/magics" not in tb and "<mlws-cell-" in tb
    assert tb.endswith("ValueError: bad value\n")
    assert "raise ValueError('bad value')" in tb


def test_cell_runs_and_interactive_runs_have_a_type(magics):
    magics.mlws("workspace widgetws")
    magics.mlws("run --experiment cells --name typed", "pass")
    (cell_run,) = Experiment(Workspace.get("widgetws"), "cells").get_runs()
    assert cell_run.type == "notebook_cell"
    assert "Type: notebook_cell" in repr(cell_run)
    interactive = Experiment(Workspace.get("widgetws"), "cells").start_logging(
        snapshot_directory=None, outputs=False)
    try:
        assert interactive.type == "interactive"
        assert "Type: None" not in repr(interactive)
    finally:
        interactive.complete()


def test_runs_listing_is_readable(magics):
    magics.mlws("workspace widgetws")
    magics.mlws("run --experiment cells --name quick", "pass")
    frame = magics.mlws("runs cells")
    text = frame.to_string()
    start = frame["start_time"][0]
    # Whole seconds, not nanoseconds; durations as a person reads them, not raw timedeltas.
    assert start.microsecond == 0 and start.nanosecond == 0
    assert "days" not in text
    assert frame["duration"][0].endswith(("ms", "s"))


def test_cell_run_snapshot_is_the_cell_whatever_the_folder_holds(magics, work_dir):
    # A folder with a log being written and the store's home inside it: the cell run's
    # snapshot is the cell alone, so nothing in the folder can make it fail.
    (work_dir / "train.log").write_text("epoch 1\n" * 1000)
    magics.mlws("workspace widgetws")
    magics.mlws("run --experiment cell-snap", "x = 1\n")
    (run,) = Experiment(Workspace.get("widgetws"), "cell-snap").get_runs()
    assert run.get_status() == "Completed"
    assert set(run._store.get_snapshot(run.get_snapshot_id()).files) == {"cell.py"}
