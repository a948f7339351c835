"""The studio's views of many runs and its management views (issue 14): cancel, sweep trials
with parallel coordinates / scatter / importance / charts, the runs table's columns, queries,
menu, CSV and saved view, chart exports, images, rename, compute and environments."""

from __future__ import annotations

import csv
import io
import math
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_mlws.core import Environment, Experiment, Workspace
from jupyter_mlws.core.conda_dependencies import CondaDependencies

from .conftest import UI, wait_for
from .seeding import png_bytes


def _experiment(ws_name: str, name: str) -> tuple[Workspace, Experiment]:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    return ws, Experiment(ws, name)


def _start(exp: Experiment, name: str) -> Any:
    return exp.start_logging(display_name=name, outputs=False, snapshot_directory=None)


def _open_table(ui: UI, ws: Workspace, experiment: str) -> Any:
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    ui.open_panel().get_by_role("button", name=f"Open runs table of {experiment}").click()
    table = ui.page.locator(".mlws-runs-table")
    table.locator(".mlws-runs-row[data-run-id]").first.wait_for()
    return table


def _brush(ui: UI, parallel: Any, axis: str, down_to: float) -> None:
    """Drag along an axis of parallel coordinates from its top to ``down_to`` px."""
    label = parallel.locator(f".mlws-pc-label[data-axis='{axis}']").bounding_box()
    box = parallel.bounding_box()
    assert label and box
    x = label["x"] + label["width"] / 2
    ui.page.mouse.move(x, box["y"] + 48)
    ui.page.mouse.down()
    ui.page.mouse.move(x, box["y"] + down_to, steps=6)
    ui.page.mouse.up()


def _sweep(exp: Experiment, trials: int = 8) -> Any:
    """A parent run whose trials vary lr (tag) and batch (script-like tag), with curves."""
    parent = _start(exp, "sweep-parent")
    for i in range(trials):
        lr = 10 ** (-4 + 3 * i / (trials - 1))
        child = parent.child_run(name=f"trial-{i}")
        child.set_tags({"lr": f"{lr:.6f}", "batch": str(16 * (1 + i % 2))})
        for step in range(10):
            child.log("loss", 1 / (step + 1) + abs(math.log10(lr) + 2.5) / 10, step=step)
        child.log("accuracy", 0.9 - abs(math.log10(lr) + 2.5) / 10)
        child.complete()
    parent.complete()
    return parent


def test_cancel_from_the_run_view_and_the_runs_table(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "cancelling")
    first, second = _start(exp, "first-running"), _start(exp, "second-running")
    view = ui.open_run(ws._record.id, first.id)
    view.get_by_role("button", name="Cancel run").click()
    view.get_by_role("button", name="Yes, cancel").click()
    wait_for(lambda: "Canceled" in view.locator(".mlws-run-header").inner_text(),
             what="the run view to show Canceled")
    assert view.get_by_role("button", name="Cancel run").count() == 0
    assert first.get_status() == "Canceled"
    table = _open_table(ui, ws, "cancelling")
    table.get_by_label("Select run second-running").check()
    table.get_by_role("button", name="Cancel runs (1)").click()
    ui.page.locator(".jp-Dialog").get_by_role("button", name="Cancel runs").click()
    wait_for(lambda: second.get_status() == "Canceled", what="the second run canceled")
    row = table.locator(f".mlws-runs-row[data-run-id='{second.id}']")
    wait_for(lambda: "Canceled" in row.inner_text(), what="the table to show it")


def test_sweep_trials_parallel_coordinates_scatter_importance_charts(ui: UI,
                                                                   ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "sweeping")
    parent = _sweep(exp)
    view = ui.open_run(ws._record.id, parent.id, "children")
    trials = view.locator(".mlws-tab-children")
    parallel = trials.locator(".mlws-parallel")
    parallel.locator("canvas").wait_for()
    wait_for(lambda: parallel.get_attribute("data-lines") == "8", what="a line per trial")
    labels = parallel.locator(".mlws-pc-label").all_inner_texts()
    assert "tag: lr" in labels and "accuracy" in labels
    rows = trials.locator(".mlws-trials-table tbody tr")
    assert rows.count() == 8
    # Brush the top of the accuracy axis: only the best trials stay in the table.
    _brush(ui, parallel, "metrics.accuracy", 120)
    wait_for(lambda: 0 < rows.count() < 8, what="the brush to narrow the trials table")
    brushed = rows.count()
    assert parallel.get_attribute("data-selected") == str(brushed)
    assert "brushed" in trials.locator(".mlws-sweep-status").inner_text()
    ui.screenshot("sweep-parallel.png")
    trials.locator(".mlws-sweep-modes [data-mode='scatter']").click()
    scatter = trials.locator(".mlws-scatter")
    wait_for(lambda: scatter.get_attribute("data-points") == "8", what="a point per trial")
    trials.locator(".mlws-sweep-modes [data-mode='importance']").click()
    importance = trials.locator(".mlws-importance")
    importance.wait_for()
    assert importance.locator(".mlws-bar-row[data-column='tags.lr']").count() == 1
    assert "Spearman" in importance.inner_text()
    trials.locator(".mlws-sweep-modes [data-mode='charts']").click()
    chart = trials.locator(".mlws-chart[data-metric='loss']")
    chart.locator("canvas").wait_for()
    assert f"{brushed} run" in trials.locator(".mlws-sweep-body").inner_text()
    # A trial's name opens it.
    rows.first.locator("a.mlws-link").click()
    ui.page.locator(".mlws-run-view .mlws-run-title", has_text="trial-").wait_for()


def test_runs_table_columns_query_menu_csv_and_saved_view(ui: UI, ws_name: str,
                                                          tmp_path: Path) -> None:
    ws, exp = _experiment(ws_name, "tabled")
    for i, team in enumerate(["vision", "nlp", "vision", "speech"]):
        run = _start(exp, f"run-{i}")
        run.set_tags({"team": team})
        run.log("accuracy", 0.8 + i * 0.05)
        run.complete()
    page = ui.page
    table = _open_table(ui, ws, "tabled")
    table.get_by_role("button", name="Columns").click()
    chooser = table.locator(".mlws-column-chooser")
    for key in ("metrics.accuracy", "tags.team"):
        chooser.locator(f"input[data-column='{key}']").check()  # offered, not typed
    head = table.locator(".mlws-runs-head")
    head.locator("[data-column='metrics.accuracy']").wait_for()
    row = table.locator(".mlws-runs-row[data-run-id]", has_text="run-3")
    wait_for(lambda: "0.95" in row.inner_text() and "speech" in row.inner_text(),
             what="the chosen columns")
    # Resize: drag the handle of the accuracy column.
    cell = head.locator(".mlws-runs-headcell[data-column='metrics.accuracy']")
    before = cell.bounding_box()
    handle = cell.locator(".mlws-col-resize").bounding_box()
    assert before and handle
    page.mouse.move(handle["x"] + 2, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(handle["x"] + 82, handle["y"] + 5, steps=4)
    page.mouse.up()
    wait_for(lambda: cell.bounding_box()["width"] > before["width"] + 60, what="a wider column")
    # Reorder: drag the user header onto the name header (both in view).
    def order() -> list[str]:
        return head.evaluate("h => [...h.querySelectorAll('.mlws-runs-headcell')]"
                             ".map(c => c.dataset.column)")

    source = head.locator(".mlws-runs-headcell[data-column='attributes.user']").bounding_box()
    goal = head.locator(".mlws-runs-headcell[data-column='attributes.display_name']") \
        .bounding_box()
    assert source and goal
    page.mouse.move(source["x"] + 10, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(goal["x"] + 20, goal["y"] + goal["height"] / 2, steps=8)
    page.mouse.up()
    wait_for(lambda: order().index("attributes.user") < order().index("attributes.display_name"),
             what="the user column before the name")
    # Hide from the header's menu.
    head.locator(".mlws-runs-headcell[data-column='attributes.compute']").click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Hide column").click()
    head.locator("[data-column='attributes.compute']").wait_for(state="detached")
    # A value query, evaluated by the store; a bad one says where it fails.
    query = table.get_by_label("Query runs")
    query.fill("metrics.accuracy >= 0.85 and tags.team = 'vision'")
    query.press("Enter")
    count = table.locator(".mlws-runs-count")
    wait_for(lambda: count.inner_text() == "1 run", what="the query's one run")
    query.fill("metrics.accuracy >")
    query.press("Enter")
    error = table.locator(".mlws-query-error")
    error.wait_for()
    assert "position" in error.inner_text()
    query.fill("tags.team != 'nlp'")
    query.press("Enter")
    wait_for(lambda: count.inner_text() == "3 runs" and error.is_hidden(), what="3 runs")
    # The right-click menu tags the run under the pointer.
    target = table.locator(".mlws-runs-row[data-run-id]", has_text="run-0")
    target.click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Tag run").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Tag name").fill("reviewed")
    dialog.get_by_label("Value").fill("yes")
    dialog.get_by_role("button", name="Tag").click()
    run0 = next(r for r in exp.get_runs() if r.display_name == "run-0")
    wait_for(lambda: run0.get_tags().get("reviewed") == "yes", what="the tag")
    # CSV of what is shown.
    with page.expect_download() as info:
        table.get_by_role("button", name="Export CSV").click()
    path = tmp_path / "runs.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == 3 and {r["tags.team"] for r in rows} == {"vision", "speech"}
    assert "attributes.compute" not in rows[0] and "metrics.accuracy" in rows[0]
    # The view is saved per experiment: a new page opens the table as it was left.
    table = _open_table(ui, ws, "tabled")
    assert table.get_by_label("Query runs").input_value() == "tags.team != 'nlp'"
    head = table.locator(".mlws-runs-head")
    head.locator("[data-column='metrics.accuracy']").wait_for()
    assert head.locator("[data-column='attributes.compute']").count() == 0
    wait_for(lambda: table.locator(".mlws-runs-count").inner_text() == "3 runs",
             what="the saved query applied")


def test_runs_table_analysis_brushes_the_table(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "analysed")
    _sweep(exp, trials=6)
    table = _open_table(ui, ws, "analysed")
    table.get_by_label("Include child runs").check()
    wait_for(lambda: table.locator(".mlws-runs-count").inner_text() == "7 runs",
             what="parent and trials")
    table.get_by_role("button", name="Columns").click()
    for key in ("tags.lr", "metrics.accuracy"):
        table.locator(f".mlws-column-chooser input[data-column='{key}']").check()
    table.get_by_role("button", name="Columns").click()  # closes the chooser
    table.get_by_label("Show analysis").check()
    parallel = table.locator(".mlws-parallel")
    parallel.locator("canvas").wait_for()
    wait_for(lambda: parallel.get_attribute("data-lines") == "7", what="a line per run")
    _brush(ui, parallel, "metrics.accuracy", 140)
    count = table.locator(".mlws-runs-count")
    wait_for(lambda: "(brushed)" in count.inner_text(), what="the table narrowed by the brush")
    shown = table.locator(".mlws-runs-row[data-run-id]").count()
    assert count.inner_text().startswith(f"{shown} of 7")
    ui.screenshot("runs-table.png")
    table.get_by_role("button", name="Clear brush").click()
    wait_for(lambda: count.inner_text() == "7 runs", what="every run again")


def test_charts_export_sync_smooth_and_band(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, exp = _experiment(ws_name, "charted")
    run = _start(exp, "charted-run")
    now = time.time()
    ws._store.append_metrics(
        [(run.id, "loss", "scalar", i, now + i, 1 / (i + 1), "") for i in range(5000)]
        + [(run.id, "acc", "scalar", i, now + i, i / 5000, "") for i in range(5000)]
        + [(run.id, "system/cpu_percent", "scalar", i, now + i, 50.0, "") for i in range(5)])
    run.complete()
    page = ui.page
    view = ui.open_run(ws._record.id, run.id, "metrics")
    loss = view.locator(".mlws-chart[data-metric='loss']")
    acc = view.locator(".mlws-chart[data-metric='acc']")
    loss.locator("canvas").wait_for()
    acc.locator("canvas").wait_for()
    # Downsampled: a min/max band whose two helper series have no legend row of their own.
    rows = loss.locator(".u-legend tr.u-series")
    assert rows.count() == 4 and loss.locator(".u-legend tr.u-series:visible").count() == 2
    # One crosshair for the tab: hovering loss moves acc's cursor (its legend's x row shows
    # the hovered step instead of "last").
    over = loss.locator(".u-over").bounding_box()
    assert over
    page.mouse.move(over["x"] + over["width"] / 2, over["y"] + over["height"] / 2)
    wait_for(lambda: acc.locator(".u-legend .u-series").nth(0).locator(".u-value")
             .inner_text().strip() not in ("", "last"), what="the synced cursor on the other chart")
    # Smoothing keeps the raw line (faded, no legend row).
    view.get_by_label("Smoothing").fill("0.8")
    view.get_by_label("Smoothing").dispatch_event("change")
    wait_for(lambda: loss.locator(".u-legend tr.u-series").count() == 5, what="the raw line")
    # System metrics have their own section.
    view.locator(".mlws-system-metrics .mlws-chart[data-metric='system/cpu_percent'] canvas") \
        .wait_for()
    with page.expect_download() as info:
        loss.get_by_role("button", name="Save as PNG: loss").click()
    png = tmp_path / "loss.png"
    info.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as info:
        acc.get_by_role("button", name="Save the shown points as CSV: acc").click()
    shown = tmp_path / "acc.csv"
    info.value.save_as(shown)
    lines = shown.read_text().splitlines()
    assert lines[0] == "series,step,time,value" and 2 < len(lines) <= 1001


def test_images_enlarge_download_and_side_by_side(ui: UI, ws_name: str,
                                                  tmp_path: Path) -> None:
    ws, exp = _experiment(ws_name, "pictured")
    runs = []
    for name, size in (("pic-a", 8), ("pic-b", 12)):
        image = tmp_path / f"{name}.png"
        image.write_bytes(png_bytes(size, size))
        run = _start(exp, name)
        run.log_image("sample", path=str(image))
        run.complete()
        runs.append(run)
    page = ui.page
    view = ui.open_run(ws._record.id, runs[0].id, "images")
    card = view.locator(".mlws-image-card[data-metric='sample']")
    img = card.locator("img.mlws-image")
    wait_for(lambda: img.evaluate("i => i.complete && i.naturalWidth") == 8, what="the image")
    card.get_by_role("button", name="Enlarge sample").click()
    box = page.locator(".mlws-lightbox")
    box.wait_for()
    page.keyboard.press("Escape")
    box.wait_for(state="detached")
    with page.expect_download() as info:
        card.get_by_role("button", name="Download sample").click()
    saved = tmp_path / "downloaded.png"
    info.value.save_as(saved)
    assert saved.read_bytes() == (tmp_path / "pic-a.png").read_bytes()
    table = _open_table(ui, ws, "pictured")
    for run in runs:
        table.get_by_label(f"Select run {run.display_name}").check()
    table.get_by_role("button", name="Compare (2)").click()
    row = page.locator(".mlws-compare .mlws-side-by-side[data-metric='sample']")
    images = row.locator("img.mlws-image")
    wait_for(lambda: images.count() == 2 and images.evaluate_all(
        "l => l.map(i => i.complete && i.naturalWidth)") == [8, 12], what="both images")


def test_rename_a_run(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "renamed")
    run = _start(exp, "old-name")
    run.complete()
    view = ui.open_run(ws._record.id, run.id)
    view.get_by_role("button", name="Rename run").click()
    field = view.get_by_label("Run name")
    field.fill("new-name")
    field.press("Enter")
    view.locator(".mlws-run-title", has_text="new-name").wait_for()
    wait_for(lambda: ui.lab.api(f"runs/{run.id}")["display_name"]
             == "new-name", what="the stored name")


def test_create_see_and_delete_a_compute_cluster(ui: UI, ws_name: str) -> None:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    page = ui.page
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    panel.get_by_role("button", name="New compute target").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Name").fill("9bad")
    dialog.get_by_role("button", name="Create").click()
    page.locator(".jp-Dialog .mlws-form-error").wait_for()  # a bad name keeps the dialog
    name = f"c{uuid.uuid4().hex[:6]}"
    page.locator(".jp-Dialog").get_by_label("Name").fill(name)
    page.locator(".jp-Dialog").get_by_label("Maximum nodes").fill("1")
    page.locator(".jp-Dialog").get_by_role("button", name="Create").click()
    view = page.locator(".mlws-compute-view", has_text=name)
    try:
        wait_for(lambda: "Succeeded" in view.inner_text(), timeout=90,
                 what="the cluster to come up")
        assert "0 to 1 nodes" in view.inner_text()
        assert view.locator(".mlws-nodes-table").count() == 0  # idle: no nodes yet
        ui.screenshot("compute-view.png")
        panel.locator(f".mlws-compute-table [data-compute='{name}']").wait_for()
    finally:
        view.get_by_role("button", name="Delete").click()
        page.locator(".jp-Dialog").get_by_role("button", name="Delete").click()
    view.wait_for(state="detached")
    names = [c["name"] for c in ui.lab.api(f"workspaces/{ws._record.id}/computes")["computes"]]
    assert name not in names


def test_environment_specification_and_build_log(ui: UI, ws_name: str) -> None:
    from jupyter_mlws.execution import environments

    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    env = Environment("with-six")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"])
    env.register(ws)
    environments.ensure_environment(env._build_spec(), str(ui.lab.home))
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    panel.get_by_role("button", name="Open with-six").click()
    view = ui.page.locator(".mlws-environment-view", has_text="with-six")
    view.locator(".mlws-package-list", has_text="six").wait_for()
    log = view.locator(".mlws-build-log")
    log.wait_for()
    assert "Building environment" in log.inner_text()
    ui.screenshot("environment-view.png")
