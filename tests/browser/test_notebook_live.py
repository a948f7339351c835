"""A notebook run in the browser logs a run; the studio shows it appear and update live."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
    item.get_by_text("Running").wait_for()
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
    wait_for(lambda: "Completed" in item.inner_text(), timeout=15,
             what="the panel to show the run Completed")
    final = ui.lab.api(f"workspaces/{ws._record.id}/runs?experiment=live")["runs"][0]
    metrics_api = ui.lab.api(f"workspaces/{ws._record.id}/runs/{final['id']}/metrics")
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
