"""A notebook run in the browser logs a run; the studio shows it appear and update live."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jupyter_mlws.core import Workspace

from .conftest import UI, wait_for
from .seeding import seed_run

LOOP = """import os, time
i = 0
# Logs until the test drops a "stop" file, so the test decides when enough was seen.
while not os.path.exists("stop-{tag}") and i < 6000:
    run.log("loss", 1 / (i + 1), step=i)
    i += 1
    time.sleep(0.05)
print("logged", i)
"""


def notebook(cells: list[str]) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                   "outputs": [], "source": src} for i, src in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5})


def test_notebook_run_appears_and_updates_live(ui: UI, ws_name: str) -> None:
    ws = Workspace.create(ws_name, show_output=False)
    tag = ws_name
    name = f"live-{tag}.ipynb"
    # One cell: a kernel connection that restarts during "Run All" can drop the later
    # cells' execute requests, and run_notebook only retries until the first cell starts.
    (ui.lab.root / name).write_text(notebook([
        "from jupyter_mlws.core import Workspace, Experiment\n"
        f"ws = Workspace.get({ws_name!r})\n"
        "run = Experiment(ws, 'live').start_logging(display_name='live-run', outputs=False)\n"
        + LOOP.format(tag=tag) + "run.complete()\n",
    ]))
    page = ui.page
    ui.run_notebook(name)

    panel = ui.select_workspace(ws._record.id)
    experiment = panel.locator(".mlws-exp[data-experiment='live']")
    experiment.wait_for(timeout=30000)  # appears without a manual refresh
    experiment.locator(".mlws-exp-name").click()
    item = experiment.locator(".mlws-run-item")
    item.locator(".mlws-status-Running").wait_for()  # the dot; the status is its label
    item.click()
    view = page.locator(".mlws-run-view").filter(has_text="live-run")
    # Updates come through the server's WebSocket live channel, not polling.
    assert page.locator("[data-live] .mlws-run-view").filter(has_text="live-run").evaluate(
        "v => v.closest('[data-live]').dataset.live") == "websocket"
    metrics = ui.tab(view, "metrics")
    count = metrics.locator(".mlws-chart[data-metric='loss']").locator(
        "xpath=ancestor::div[contains(@class,'mlws-chart-card')]").locator(".mlws-point-count")
    count.wait_for(timeout=30000)

    def points() -> int:
        return int(count.inner_text().split()[0])

    first = points()
    wait_for(lambda: points() > first, timeout=20, what="the chart to grow while the run runs")
    assert "Running" in view.locator(".mlws-run-header").inner_text()
    (ui.lab.root / f"stop-{tag}").write_text("")
    wait_for(lambda: "Completed" in view.locator(".mlws-run-header").inner_text(), timeout=30,
             what="the run view to show the run Completed")
    wait_for(lambda: item.locator(".mlws-status-Completed").count() == 1, timeout=15,
             what="the panel to show the run Completed")
    final = ui.lab.api(f"workspaces/{ws._record.id}/runs?experiment=live")["runs"][0]
    metrics_api = ui.lab.api(f"runs/{final['id']}/metrics?workspace_id={ws._record.id}")
    loss = next(m for m in metrics_api["metrics"] if m["name"] == "loss")
    wait_for(lambda: points() == loss["count"], timeout=10,
             what="the chart to hold every logged point")
    assert Path(ui.lab.root / name).exists()


def test_run_details_widget_shows_the_run_view_in_a_notebook(ui: UI, ws_name: str,
                                                             tmp_path: Path) -> None:
    _, run = seed_run(tmp_path, ws_name)
    name = f"widget-{ws_name}.ipynb"
    (ui.lab.root / name).write_text(notebook([
        "from jupyter_mlws.core import Workspace\n"
        "from jupyter_mlws.widgets import RunDetails\n"
        f"run = Workspace.get({ws_name!r}).get_run({run.id!r})\n"
        "RunDetails(run).show()",
    ]))
    page = ui.page
    ui.run_notebook(name)
    widget = page.locator(".jp-OutputArea .mlws-run-details")
    view = widget.locator(".mlws-run-view")
    view.locator(".mlws-run-title", has_text="baseline").wait_for(timeout=60000)
    metrics = ui.tab(view, "metrics")
    metrics.locator(".mlws-chart[data-metric='loss'] canvas").wait_for()
    outputs = ui.tab(view, "outputs")
    wait_for(lambda: "epoch 2 done" in outputs.locator(".mlws-log").inner_text(),
             what="the log text in the widget")
    ui.tab(view, "children").get_by_text("fold-1").click()
    widget.locator(".mlws-run-title", has_text="fold-1").wait_for()
    widget.get_by_role("button", name=re.compile("Back to")).click()
    widget.locator(".mlws-run-title", has_text="baseline").wait_for()
    ui.screenshot("run-details-widget.png")


def test_run_details_widget_updates_while_its_cell_runs(ui: UI, ws_name: str) -> None:
    """The widget reads over REST and the live channel, so a run logging in a loop in the same
    cell shows its points while the kernel is busy (comm requests would wait for the cell)."""
    Workspace.create(ws_name, show_output=False)
    tag = f"w{ws_name}"
    name = f"busy-{ws_name}.ipynb"
    (ui.lab.root / name).write_text(notebook([
        "from jupyter_mlws.core import Workspace, Experiment\n"
        "from jupyter_mlws.widgets import RunDetails\n"
        f"ws = Workspace.get({ws_name!r})\n"
        "run = Experiment(ws, 'busy').start_logging(display_name='busy-run', outputs=False)\n"
        "child = run.child_run(name='fold-1')\n"
        "child.log('fold_loss', 0.3)\n"
        "child.complete()\n"
        "RunDetails(run).show()\n"
        + LOOP.format(tag=tag) + "run.complete()\n",
    ]))
    page = ui.page
    panel, widget, view = _run_widget_notebook(ui, name, "busy-run")
    assert widget.evaluate("w => w.dataset.live") == "websocket"
    header = view.locator(".mlws-run-header")
    wait_for(lambda: "Running" in header.inner_text(), what="the header to show Running")
    metrics = ui.tab(view, "metrics")
    count = metrics.locator(".mlws-chart-card").filter(
        has=page.locator(".mlws-chart[data-metric='loss']")).locator(".mlws-point-count")
    count.wait_for(timeout=30000)

    def points() -> int:
        return int(count.inner_text().split()[0])

    busy = panel.locator(".jp-InputPrompt").filter(has_text="[*]")
    first = points()
    wait_for(lambda: points() > first + 5, timeout=20,
             what="the widget's chart to grow while its cell runs")
    assert busy.count() == 1, "the cell finished before the chart grew"
    header.evaluate("e => e.scrollIntoView({block: 'start'})")  # the header and the chart
    ui.screenshot("run-details-widget-live.png")
    (ui.lab.root / f"stop-{tag}").write_text("")
    wait_for(lambda: "Completed" in header.inner_text(), timeout=30,
             what="the widget to show the run Completed")
    wait_for(lambda: busy.count() == 0, timeout=30, what="the cell to finish")
    ui.tab(view, "children").get_by_text("fold-1").click()
    widget.locator(".mlws-run-title", has_text="fold-1").wait_for()


def _run_widget_notebook(ui: UI, name: str, title: str) -> tuple[Any, Any, Any]:
    """Run notebook ``name`` and wait for its RunDetails widget to show run ``title``;
    returns the notebook panel, the widget and its run view."""
    panel = ui.run_notebook(name)
    widget = ui.page.locator(".jp-OutputArea .mlws-run-details")
    view = widget.locator(".mlws-run-view")
    view.locator(".mlws-run-title", has_text=title).wait_for(timeout=60000)
    return panel, widget, view


def test_run_details_widget_falls_back_to_the_comm(ui: UI, ws_name: str) -> None:
    """A kernel logging to a store the server does not have: the widget uses the comm, and while
    the cell keeps the kernel busy its header comes from the `summary` trait."""
    tag = f"c{ws_name}"
    name = f"comm-{ws_name}.ipynb"
    (ui.lab.root / name).write_text(notebook([
        "import os, tempfile\n"
        "os.environ['MLWS_HOME'] = tempfile.mkdtemp()  # not the server's store\n"
        "from jupyter_mlws.core import Workspace, Experiment\n"
        "from jupyter_mlws.widgets import RunDetails\n"
        f"ws = Workspace.create({ws_name!r}, show_output=False)\n"
        "run = Experiment(ws, 'own').start_logging(display_name='own-store', outputs=False)\n"
        "RunDetails(run).show()\n"
        + LOOP.format(tag=tag) + "run.complete()\n",
    ]))
    panel, widget, view = _run_widget_notebook(ui, name, "own-store")
    assert widget.evaluate("w => w.dataset.live") == "comm"
    header = view.locator(".mlws-run-header")
    assert "Running" in header.inner_text()
    assert panel.locator(".jp-InputPrompt").filter(has_text="[*]").count() == 1
    (ui.lab.root / f"stop-{tag}").write_text("")
    wait_for(lambda: "Completed" in header.inner_text(), timeout=60,
             what="the widget to show the run Completed")


def test_run_details_widget_cancels_its_run(ui: UI, ws_name: str) -> None:
    Workspace.create(ws_name, show_output=False)
    name = f"cancel-{ws_name}.ipynb"
    (ui.lab.root / name).write_text(notebook([
        "from jupyter_mlws.core import Workspace, Experiment\n"
        "from jupyter_mlws.widgets import RunDetails\n"
        f"ws = Workspace.get({ws_name!r})\n"
        "run = Experiment(ws, 'stoppable').start_logging(display_name='stoppable-run',"
        " outputs=False)\n"
        "RunDetails(run).show()\n",
    ]))
    _, widget, view = _run_widget_notebook(ui, name, "stoppable-run")
    assert widget.evaluate("w => w.dataset.live") == "websocket"
    header = view.locator(".mlws-run-header")
    wait_for(lambda: "Running" in header.inner_text(), what="the running run")
    view.get_by_role("button", name="Cancel run").click()
    view.get_by_role("button", name="Yes, cancel").click()
    wait_for(lambda: "Canceled" in header.inner_text(), timeout=30,
             what="the widget to show the run Canceled")
    ws = Workspace.get(ws_name)
    (run,) = ws.experiments["stoppable"].get_runs()
    assert run.get_status() == "Canceled"
