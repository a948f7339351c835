"""Defects a user saw in the studio (issue 14), each driven in the browser."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_mlws.core import Experiment, Workspace

from .conftest import UI, wait_for
from .seeding import log_chart_metrics, seed_run


def _experiment(ws_name: str, name: str) -> tuple[Workspace, Experiment]:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    return ws, Experiment(ws, name)


def _start(exp: Experiment, name: str) -> Any:
    return exp.start_logging(display_name=name, outputs=False, snapshot_directory=None)


def _compare(ui: UI, ws: Workspace, experiment: str, names: list[str]) -> None:
    """Open the experiment's runs table, select the named runs, compare them."""
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    ui.open_panel().get_by_role("button", name=f"Open runs table of {experiment}").click()
    table = ui.page.locator(".mlws-runs-table")
    for name in names:
        table.get_by_label(f"Select run {name}").check()
    table.get_by_role("button", name=f"Compare ({len(names)})").click()


def test_running_run_duration_keeps_counting(ui: UI, ws_name: str) -> None:
    _, exp = _experiment(ws_name, "ticking")
    run = _start(exp, "ticker")
    try:
        view = ui.open_run(exp.workspace._record.id, run.id)
        duration = view.locator(".mlws-run-header .mlws-run-duration")
        duration.wait_for()
        first = duration.inner_text()
        wait_for(lambda: duration.inner_text() != first, timeout=10,
                 what="the header's duration of a running run to move on")
    finally:
        run.complete()
    wait_for(lambda: "Completed" in view.locator(".mlws-run-header").inner_text(), timeout=15,
             what="the completed status")
    ended = duration.inner_text()
    time.sleep(1.5)  # a finished run's duration must stay put (nothing to wait for)
    assert duration.inner_text() == ended


def test_chart_metrics_are_drawn_not_shown_as_references(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "charts")
    runs = []
    for name in ("cm-a", "cm-b"):
        run = _start(exp, name)
        log_chart_metrics(run)
        run.complete()
        runs.append(run)
    view = ui.open_run(ws._record.id, runs[0].id, "metrics")
    metrics = view.locator(".mlws-tab-metrics")
    heatmap = metrics.locator(".mlws-value-card[data-metric='confusion'] .mlws-heatmap")
    heatmap.wait_for()
    cells = heatmap.locator(".mlws-heatmap-cell")
    assert cells.count() == 9
    assert "45" in heatmap.inner_text() and "bird" in heatmap.inner_text()
    for name in ("residuals", "predictions", "accuracy_table"):
        metrics.locator(f".mlws-value-card[data-metric='{name}'] canvas").first.wait_for()
    assert "aml://" not in metrics.inner_text()
    ui.screenshot("chart-metrics.png")
    _compare(ui, ws, "charts", ["cm-a", "cm-b"])
    compare = ui.page.locator(".mlws-compare")
    compare.locator(".mlws-compare-table").wait_for()
    assert "aml://" not in compare.inner_text()


def test_zoom_refetches_the_window_and_the_table_pages(ui: UI, ws_name: str,
                                                       tmp_path: Path) -> None:
    ws, exp = _experiment(ws_name, "long")
    run = _start(exp, "long-run")
    ws._store.append_metrics([(run.id, "loss", "scalar", i, 1000.0 + i, float(i % 97), "")
                              for i in range(100_000)])
    run.complete()
    view = ui.open_run(ws._record.id, run.id, "metrics")
    chart = view.locator(".mlws-chart[data-metric='loss']")
    chart.locator("canvas").wait_for()
    over = chart.locator(".u-over")
    box = over.bounding_box()
    assert box is not None
    # Drag over 2 % of the x range, in the middle.
    x0 = box["x"] + box["width"] * 0.49
    x1 = box["x"] + box["width"] * 0.51
    y = box["y"] + box["height"] / 2
    ui.page.mouse.move(x0, y)
    ui.page.mouse.down()
    ui.page.mouse.move(x1, y, steps=5)
    ui.page.mouse.up()
    # About 2,000 points lie in the window: it is fetched again at full detail.
    wait_for(lambda: int(chart.get_attribute("data-shown") or 0) >= 1000, timeout=15,
             what="the zoomed window at full detail")
    card = view.locator(".mlws-chart-card[data-metric='loss']")
    card.get_by_role("button", name="Table").click()
    pager = card.locator(".mlws-series-pager")
    pager.wait_for()
    assert "1\u20131,000 of 100,000" in pager.inner_text()
    rows = card.locator(".mlws-series-table tbody tr")
    assert rows.count() == 1000
    assert rows.first.locator("td").first.inner_text() == "0"
    pager.get_by_role("button", name="Next").click()
    wait_for(lambda: rows.first.locator("td").first.inner_text() == "1000",
             what="the second page")
    with ui.page.expect_download() as info:
        card.get_by_role("button", name="CSV").click()
    target = tmp_path / "loss.csv"
    info.value.save_as(target)
    lines = target.read_text().splitlines()
    assert lines[0] == "step,time,value" and len(lines) == 100_001


def test_run_counts_agree_and_child_runs_can_be_listed(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "counted")
    for name in ("parent-a", "parent-b"):
        run = _start(exp, name)
        for i in range(2 if name == "parent-a" else 1):
            run.child_run(name=f"{name}-child-{i}").complete()
        run.complete()
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    row = panel.locator(".mlws-exp[data-experiment='counted'] .mlws-exp-row")
    wait_for(lambda: "2 runs" in row.inner_text(), what="the top-level run count")
    panel.get_by_role("button", name="Open runs table of counted").click()
    table = ui.page.locator(".mlws-runs-table")
    count = table.locator(".mlws-runs-count")
    wait_for(lambda: count.inner_text() == "2 runs", what="the table's count")
    table.get_by_label("Include child runs").check()
    wait_for(lambda: count.inner_text() == "5 runs", what="the count with child runs")
    assert table.locator(".mlws-runs-row", has_text="parent-a-child-1").count() == 1


def test_changing_the_sort_scrolls_to_the_top(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "sorted")
    store = ws._store
    for i in range(300):
        store.create_run(ws._record.id, exp.id, run_id=uuid.uuid4().hex, status="Completed",
                         display_name=f"run-{i:03d}")
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    ui.open_panel().get_by_role("button", name="Open runs table of sorted").click()
    table = ui.page.locator(".mlws-runs-table")
    viewport = table.locator(".mlws-runs-viewport")
    table.get_by_text("run-299", exact=True).wait_for()
    viewport.evaluate("v => { v.scrollTop = 3000; }")
    table.get_by_text("run-199", exact=True).wait_for()
    table.get_by_role("columnheader", name="Name").click()  # number, descending
    table.get_by_role("columnheader", name="Name").click()  # number, ascending
    table.get_by_text("run-000", exact=True).wait_for()
    assert viewport.evaluate("v => v.scrollTop") == 0


def test_compare_shows_a_list_metric_as_a_list(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "lists")
    ids = []
    for name, sizes in (("list-a", [1, 2, 3]), ("list-b", [1, 2, 4])):
        run = _start(exp, name)
        run.log_list("sizes", sizes)
        run.complete()
        ids.append(run.id)
    _compare(ui, ws, "lists", ["list-a", "list-b"])
    row = ui.page.locator(".mlws-compare-table tr", has_text="metric: sizes")
    row.wait_for()
    assert "[1, 2, 3]" in row.inner_text() and "[1, 2, 4]" in row.inner_text()


def test_time_axes_of_a_short_run_have_labels(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "short")
    run = _start(exp, "short-run")
    start = time.time()
    ws._store.append_metrics([(run.id, "loss", "scalar", i, start + i * 0.02, 1 / (i + 1), "")
                              for i in range(20)]
                             + [(run.id, "wide", "scalar", i, start + i * 0.13, i, "")
                                for i in range(20)])
    run.complete()
    view = ui.open_run(ws._record.id, run.id, "metrics")
    chart = view.locator(".mlws-chart[data-metric='loss']")
    chart.locator("canvas").wait_for()
    x_axis = view.get_by_label("X axis")

    def ticks(of: Any = chart) -> list[str]:
        return [t for t in json.loads(of.get_attribute("data-x-ticks") or "[]") if t]

    x_axis.select_option("time")
    wait_for(lambda: len(ticks()) >= 2, what="time tick labels")
    # 2.5 s of clock time on a chart of one column (room for 6 ticks: half-second steps):
    # labels in whole seconds, none repeated.
    wide = view.locator(".mlws-chart[data-metric='wide']")
    ui.page.set_viewport_size({"width": 1000, "height": 900})
    try:
        wait_for(lambda: wide.evaluate("c => c.getBoundingClientRect().width") > 560,
                 what="one chart per row")
        wait_for(lambda: len(ticks(wide)) >= 2, what="time tick labels of 2.5 s")
        assert len(set(ticks(wide))) == len(ticks(wide)), ticks(wide)
    finally:
        ui.page.set_viewport_size({"width": 1400, "height": 900})
    x_axis.select_option("relative")
    wait_for(lambda: len(ticks()) >= 2 and all(t.endswith("s") for t in ticks()),
             what="relative time tick labels in seconds")


def test_archive_asks_and_archived_experiments_can_be_restored(ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "old-exp")
    _start(exp, "old").complete()
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    item = panel.locator(".mlws-exp[data-experiment='old-exp']")
    item.get_by_role("button", name="More actions for old-exp").click()
    ui.page.locator(".lm-Menu-itemLabel", has_text="Archive").click()
    dialog = ui.page.locator(".jp-Dialog")
    dialog.locator(".jp-Dialog-header", has_text="Archive experiment").wait_for()
    dialog.get_by_role("button", name="Cancel").click()
    assert item.count() == 1
    item.get_by_role("button", name="More actions for old-exp").click()
    ui.page.locator(".lm-Menu-itemLabel", has_text="Archive").click()
    ui.page.locator(".jp-Dialog").get_by_role("button", name="Archive").click()
    item.wait_for(state="detached")
    panel.get_by_label("Show archived experiments").check()
    archived = panel.locator(".mlws-exp-archived[data-experiment='old-exp']")
    archived.get_by_role("button", name="Restore old-exp").click()
    panel.get_by_label("Show archived experiments").uncheck()
    panel.locator(".mlws-exp[data-experiment='old-exp']").wait_for()
    assert ui.lab.api(f"workspaces/{ws._record.id}/experiments/old-exp")["archived_time"] is None


def test_sidebar_fits_its_default_width_and_opens_the_config_workspace(
        ui: UI, ws_name: str) -> None:
    # Listed first by name, and a second workspace that config.json names.
    ws, exp = _experiment("a" + ws_name, "layout")
    _start(exp, "baseline-resnet50").complete()
    configured = Workspace.create("zz" + ws_name, exist_ok=True, show_output=False)
    config = ui.lab.root / ".azureml"
    config.mkdir(exist_ok=True)
    (config / "config.json").write_text(json.dumps({
        "subscription_id": configured.subscription_id,
        "resource_group": configured.resource_group, "workspace_name": configured.name}))
    try:
        ui.open_lab()
        panel = ui.open_panel()
        select = panel.locator("select.mlws-ws-select")
        wait_for(lambda: select.input_value() == configured._record.id,
                 what="the workspace named in .azureml/config.json")
    finally:
        (config / "config.json").unlink()
    panel = ui.select_workspace(ws._record.id)
    item = panel.locator(".mlws-exp[data-experiment='layout']")
    item.locator(".mlws-exp-name").click()
    name = item.locator(".mlws-run-name")
    name.wait_for()
    # The whole name is readable at the default width, and no row wraps.
    assert name.evaluate("n => n.scrollWidth <= n.clientWidth + 1"), name.inner_text()
    for row in (item.locator(".mlws-exp-row"), panel.locator(".mlws-panel-toolbar")):
        # One line: every item starts above the bottom of every other.
        boxes = row.evaluate("r => [...r.children].map(c => { const b = "
                             "c.getBoundingClientRect(); return [b.top, b.bottom]; })")
        assert max(t for t, _ in boxes) < min(b for _, b in boxes), boxes


def test_compare_of_many_runs_keeps_colours_apart_and_legends_short(
        ui: UI, ws_name: str) -> None:
    ws, exp = _experiment(ws_name, "many")
    ids = []
    for i in range(12):
        run = _start(exp, f"trial-{i:02d}")
        for step in range(5):
            run.log("loss", 1 / (step + 1 + i), step=step)
        run.complete()
        ids.append(run.id)
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    ui.open_panel().get_by_role("button", name="Open runs table of many").click()
    table = ui.page.locator(".mlws-runs-table")
    table.get_by_text("trial-00", exact=True).wait_for()
    table.get_by_label("Select all runs").check()
    table.get_by_role("button", name="Compare (12)").click()
    chart = ui.page.locator(".mlws-compare .mlws-chart[data-metric='loss']")
    chart.locator("canvas").wait_for()
    colours = chart.evaluate(
        "c => [...c.querySelectorAll('.u-legend .u-series .u-marker')]"
        ".map(m => getComputedStyle(m).borderColor)")
    assert len(colours) >= 12 and len(set(colours)) == len(colours), colours
    legend = chart.locator(".u-legend").bounding_box()
    plot = chart.locator("canvas").first.bounding_box()
    assert legend and plot and legend["height"] <= plot["height"], (legend, plot)


def test_create_workspace_dialog_keeps_what_was_typed(ui: UI) -> None:
    page = ui.page
    ui.open_lab()
    panel = ui.open_panel()
    panel.get_by_role("button", name="Create workspace").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Name").fill("x!")
    dialog.get_by_label("Resource group").fill("team-b")
    dialog.get_by_role("button", name="Create").click()
    error = page.locator(".jp-Dialog .mlws-form-error")
    error.wait_for()
    assert "name" in error.inner_text().lower()
    assert page.locator(".jp-Dialog").get_by_label("Name").input_value() == "x!"
    assert page.locator(".jp-Dialog").get_by_label("Resource group").input_value() == "team-b"
    page.locator(".jp-Dialog").get_by_role("button", name="Cancel").click()


def test_views_of_a_deleted_workspace_close(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name)
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    panel.get_by_role("button", name="Open runs table of train").click()
    ui.page.locator(".mlws-runs-table").wait_for()
    panel.locator(".mlws-exp[data-experiment='train'] .mlws-exp-name").click()
    panel.locator(f".mlws-run-item[data-run-id='{run.id}']").click()
    ui.page.locator(f".mlws-run-view[data-run-id='{run.id}']").wait_for()
    panel.get_by_role("button", name="Delete workspace").click()
    ui.page.locator(".jp-Dialog").get_by_role("button", name="Delete").click()
    ui.page.locator(".mlws-runs-table").wait_for(state="detached")
    ui.page.locator(f".mlws-run-view[data-run-id='{run.id}']").wait_for(state="detached")


def test_file_sizes_follow_a_growing_log(ui: UI, ws_name: str) -> None:
    _, exp = _experiment(ws_name, "growing")
    run = _start(exp, "grower")
    store = exp.workspace._store
    try:
        store.append_log(run.id, "logs/train.log", b"x" * 10)
        view = ui.open_run(exp.workspace._record.id, run.id, "outputs")
        entry = view.locator(".mlws-tree-file[data-path='logs/train.log']")
        wait_for(lambda: "10 B" in entry.inner_text(), what="the first size")
        store.append_log(run.id, "logs/train.log", b"y" * 2000)
        wait_for(lambda: "1.96 KB" in entry.inner_text() or "2.0 KB" in entry.inner_text(),
                 timeout=15, what="the size of the grown log")
    finally:
        run.complete()


def test_run_view_details_say_what_the_run_is(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name)
    view = ui.open_run(ws._record.id, run.id)
    details = view.locator(".mlws-tab-details")
    run_type = details.locator(".mlws-kv-key", has_text="Run type").locator(
        "xpath=following-sibling::div[1]")
    assert run_type.inner_text() == "interactive"
    metrics = ui.tab(view, "metrics")
    values = metrics.locator(".mlws-values table").first
    values.wait_for()
    headers = values.locator("th").all_inner_texts()
    assert "Step" not in headers, headers  # single values logged without a step
    cell = ws._store.create_run(ws._record.id, run.experiment.id, run_id=uuid.uuid4().hex,
                                status="Completed", run_type="notebook_cell",
                                display_name="a-cell")
    cell_view = ui.open_run(ws._record.id, cell.id)
    definition = cell_view.locator(".mlws-tab-details section", has_text="Run definition")
    definition.wait_for()
    assert "%%mlws run" in definition.inner_text()
    assert "start_logging" not in definition.inner_text()


def theme(page: Any, name: str) -> None:
    """Settings > Theme > name."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Theme", exact=True).click()
    page.locator(".lm-Menu-itemLabel").get_by_text(name, exact=True).click()
    # JupyterLab covers the page with its splash screen while it loads the theme.
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=30000)


def test_run_view_blends_into_the_dark_theme(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name)
    page = ui.page
    view = ui.open_run(ws._record.id, run.id)
    theme(page, "JupyterLab Dark")
    try:
        wait_for(lambda: page.evaluate(
            "() => document.body.dataset.jpThemeLight") == "false", what="the dark theme")
        backgrounds = view.evaluate("""v => {
            const bg = e => getComputedStyle(e).backgroundColor;
            const opaque = e => { while (e && (bg(e) === 'rgba(0, 0, 0, 0)'
                                  || bg(e) === 'transparent')) { e = e.parentElement; }
                                  return e ? bg(e) : ''; };
            return [opaque(v), opaque(v.closest('.jp-MainAreaWidget'))];
        }""")
        assert backgrounds[0] == backgrounds[1], backgrounds
        ui.screenshot("run-view-dark.png")
    finally:
        theme(page, "JupyterLab Light")
        wait_for(lambda: page.evaluate(
            "() => document.body.dataset.jpThemeLight") == "true", what="the light theme")


def test_local_compute_is_ready_not_succeeded(ui: UI, ws_name: str) -> None:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    local = panel.locator(".mlws-compute-table tr",
                          has=ui.page.locator("[data-compute='local']"))
    local.wait_for()
    assert "Ready" in local.inner_text() and "Succeeded" not in local.inner_text()
