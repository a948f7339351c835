"""The studio in a real browser: workspace creation, the run view's tabs, downloads, compare,
a failed run. Data is seeded through the SDK into the server's store."""

from __future__ import annotations

from pathlib import Path

from jupyter_mlws.core import Experiment, Workspace

from .conftest import UI, wait_for
from .seeding import seed_run


def test_create_workspace_from_panel(ui: UI, ws_name: str) -> None:
    page = ui.page
    ui.open_lab()
    panel = ui.open_panel()
    panel.get_by_role("button", name="Create workspace").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Name").fill(ws_name)
    dialog.get_by_label("Resource group").fill("team-a")
    dialog.get_by_role("button", name="Create").click()
    select = panel.locator("select.mlws-ws-select")
    wait_for(lambda: ws_name in select.locator("option:checked").inner_text(),
             what="the new workspace to be selected")
    created = [w for w in ui.lab.api("workspaces")["workspaces"] if w["name"] == ws_name]
    assert created and created[0]["resource_group"] == "team-a"
    # A new workspace tells the user what to do first.
    panel.get_by_text("No experiments in this workspace.").wait_for()
    panel.get_by_role("button", name="New experiment").click()
    page.locator(".jp-Dialog").get_by_label("Name").fill("first-exp")
    page.locator(".jp-Dialog").get_by_role("button", name="Create").click()
    panel.locator(".mlws-exp[data-experiment='first-exp']").wait_for()


def test_run_view_shows_every_tab(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name)
    page = ui.page
    view = ui.open_run(ws._record.id, run.id)
    assert view.locator(".mlws-run-title").inner_text() == "baseline"
    details = view.locator(".mlws-tab-details")
    details.get_by_text("Completed").first.wait_for()
    assert "lr" in details.locator("table").first.inner_text()

    metrics = ui.tab(view, "metrics")
    chart = metrics.locator(".mlws-chart[data-metric='loss']")
    chart.locator("canvas").wait_for()
    assert "50 points" in metrics.locator(".mlws-chart-card").first.inner_text()
    values = metrics.locator(".mlws-values")
    values.get_by_text("accuracy").wait_for()
    assert "0.9" in values.inner_text()
    per_class = values.locator(".mlws-value-card[data-metric='per_class']")
    assert "dog" in per_class.inner_text() and "precision" in per_class.inner_text()
    # Chart/table toggle shows the stored points.
    metrics.locator(".mlws-chart-card").first.get_by_role("button", name="Table").click()
    metrics.locator(".mlws-chart-card table").wait_for()
    assert metrics.locator(".mlws-chart-card table tbody tr").count() == 50
    metrics.locator(".mlws-chart-card").first.get_by_role("button", name="Chart").click()
    chart.locator("canvas").wait_for()
    ui.screenshot("run-view-metrics.png")

    images = ui.tab(view, "images")
    img = images.locator(".mlws-image-card[data-metric='sample'] img")
    wait_for(lambda: img.evaluate("i => i.complete && i.naturalWidth") == 8,
             what="the logged image to load")

    children = ui.tab(view, "children")
    children.get_by_text("fold-1").click()
    child_view = page.locator(".mlws-run-view").filter(has_text="fold-1").last
    child_view.locator(".mlws-run-title", has_text="fold-1").wait_for()
    page.locator(".lm-TabBar-tab", has_text="Run: baseline").click()

    outputs = ui.tab(view, "outputs")
    outputs.get_by_role("button", name="metrics.csv", exact=True).click()
    preview = outputs.locator(".mlws-preview table")
    preview.wait_for()
    assert "epoch" in preview.inner_text() and "0.25" in preview.inner_text()
    wait_for(lambda: "epoch 2 done" in outputs.locator(".mlws-log").inner_text(),
             what="the log text")

    snapshot = ui.tab(view, "snapshot")
    snapshot.get_by_role("button", name="train.py", exact=True).click()
    snapshot.locator(".mlws-preview").get_by_text("print('training')").wait_for()

    explanations = ui.tab(view, "explanations")
    explanations.locator(".mlws-explanation[data-name='global']").get_by_text("income").wait_for()
    assert "0.86" in explanations.locator(".mlws-fairness[data-name='by_sex']").inner_text()
    ui.tab(view, "details")
    ui.screenshot("run-view-details.png")


def test_download_output_file_and_folder(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name)
    view = ui.open_run(ws._record.id, run.id, "outputs")
    outputs = view.locator(".mlws-tab-outputs")
    with ui.page.expect_download() as info:
        outputs.get_by_role("button", name="Download outputs/metrics.csv").click()
    target = tmp_path / "downloaded.csv"
    info.value.save_as(target)
    assert target.read_text() == "epoch,loss\n1,0.5\n2,0.25\n"
    with ui.page.expect_download() as info:
        outputs.get_by_role("button", name="Download outputs as zip").click()
    zipped = tmp_path / "outputs.zip"
    info.value.save_as(zipped)
    import zipfile

    with zipfile.ZipFile(zipped) as z:
        assert any(n.endswith("metrics.csv") for n in z.namelist())


def test_failed_run_shows_its_error(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name, fail=True)
    view = ui.open_run(ws._record.id, run.id)
    error = view.locator(".mlws-error[role='alert']")
    error.wait_for()
    assert "OutOfMemory" in error.inner_text()
    assert "ran out of memory" in error.inner_text()
    assert "Failed" in view.locator(".mlws-run-header").inner_text()


def test_compare_two_runs_from_the_runs_table(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, _ = seed_run(tmp_path, ws_name, display_name="slow", lr="0.01", scale=2.0)
    seed_run(tmp_path, ws_name, display_name="fast", lr="0.1")
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    panel.get_by_role("button", name="Open runs table of train").click()
    table = ui.page.locator(".mlws-runs-table")
    rows = table.locator(".mlws-runs-row[data-run-id]")
    wait_for(lambda: rows.count() == 2, what="two top-level runs")
    # Server-side text search.
    table.get_by_label("Search runs").fill("fast")
    wait_for(lambda: rows.count() == 1 and "fast" in rows.first.inner_text(),
             what="the search to narrow the table")
    table.get_by_label("Search runs").fill("")
    wait_for(lambda: rows.count() == 2, what="the search to clear")
    # A metric chosen from the ones the runs have: its last value becomes a column.
    table.get_by_role("button", name="Columns").click()
    table.locator(".mlws-column-chooser input[data-column='metrics.accuracy']").check()
    wait_for(lambda: "1.8" in table.locator(".mlws-runs-row", has_text="slow").inner_text(),
             what="the accuracy column")
    for name in ("slow", "fast"):
        table.get_by_label(f"Select run {name}").check()
    table.get_by_role("button", name="Compare (2)").click()
    compare = ui.page.locator(".mlws-compare")
    compare.locator(".mlws-chart[data-metric='loss'] canvas").wait_for()
    diff = compare.locator(".mlws-compare-table").inner_text()
    assert "tag: lr" in diff and "0.01" in diff
    assert "metric: accuracy" in diff and "1.8" in diff
    ui.screenshot("compare.png")


def test_compare_legend_shows_last_values_until_hovered(ui: UI, ws_name: str) -> None:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    exp = Experiment(ws, "legend")
    for name, scale in (("low", 1.0), ("high", 2.0)):
        run = exp.start_logging(display_name=name, outputs=False, snapshot_directory=None)
        for step in range(20):
            run.log("loss", scale / (step + 1), step=step)
        run.complete()
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    ui.open_panel().get_by_role("button", name="Open runs table of legend").click()
    table = ui.page.locator(".mlws-runs-table")
    for name in ("low", "high"):
        table.get_by_label(f"Select run {name}").check()
    table.get_by_role("button", name="Compare (2)").click()
    chart = ui.page.locator(".mlws-compare .mlws-chart[data-metric='loss']")
    chart.locator("canvas").wait_for()

    def legend() -> dict[str, str]:
        rows = chart.locator(".u-legend tr.u-series:visible")
        return {rows.nth(i).locator(".u-label").inner_text().strip():
                rows.nth(i).locator(".u-value").inner_text().strip()
                for i in range(rows.count())}

    # Nothing hovered: each run's last value (loss at step 19), and the x row says so.
    last = {"step": "last", "high": "0.1", "low": "0.05"}
    wait_for(lambda: legend() == last, what=f"the last values in the legend ({legend()})")
    # Hovering the left edge (step 0): the values there.
    over = chart.locator(".u-over")
    box = over.bounding_box()
    assert box
    ui.page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    wait_for(lambda: legend() == {"step": "0", "high": "2", "low": "1"},
             what=f"the hovered values in the legend ({legend()})")
    # Leaving the chart: back to the last values.
    ui.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] + 200)
    wait_for(lambda: legend() == last, what=f"the last values again ({legend()})")


def test_panel_lists_runs_and_opens_one(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name)
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    panel.locator(".mlws-exp[data-experiment='train'] .mlws-exp-name").click()
    item = panel.locator(f".mlws-run-item[data-run-id='{run.id}']")
    item.wait_for()
    assert item.locator("[aria-label=Completed]").count() == 1
    item.click()
    ui.page.locator(f".mlws-run-view[data-run-id='{run.id}'] .mlws-tab-details").wait_for()
    for section in ("compute", "env", "data", "models", "access"):
        panel.locator(f".mlws-{section}-section").wait_for(state="attached")
    # The README's picture shows every section of the panel: a window tall enough for it.
    height = panel.evaluate("p => p.scrollHeight + p.getBoundingClientRect().top")
    ui.page.set_viewport_size({"width": 1400, "height": max(900, int(height) + 40)})
    try:
        wait_for(lambda: panel.evaluate("p => p.scrollHeight <= p.clientHeight"),
                 what="the whole panel in the window")
        ui.screenshot("panel.png")
    finally:
        ui.page.set_viewport_size({"width": 1400, "height": 900})


def test_run_opens_from_a_link_and_from_the_palette(ui: UI, ws_name: str,
                                                    tmp_path: Path) -> None:
    ws, run = seed_run(tmp_path, ws_name)
    page = ui.page
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    # An mlws:// link (as the SDK prints without a running server) anywhere in the page.
    page.evaluate("""([ws, id]) => {
        const a = document.createElement('a');
        a.href = `mlws://runs/${ws}/${id}`; a.id = 'mlws-test-link'; a.textContent = 'run';
        document.querySelector('#jp-main-statusbar').appendChild(a);
    }""", [ws._record.id, run.id])
    page.locator("#mlws-test-link").click()
    view = page.locator(f".mlws-run-view[data-run-id='{run.id}']")
    view.locator(".mlws-run-title", has_text="baseline").wait_for()
    page.locator(".lm-TabBar-tab", has_text="Run: baseline").locator(
        ".lm-TabBar-tabCloseIcon").click()
    view.wait_for(state="detached")
    # The command palette's "Open Run by Id". Opened from the View menu: its shortcut is lost
    # when the keyboard focus went with the closed tab (the palette then stays hidden).
    page.locator(".lm-MenuBar-itemLabel", has_text="View").click()
    page.locator(".lm-Menu-itemLabel", has_text="Activate Command Palette").click()
    page.locator(".lm-CommandPalette-input").fill("Open Run by Id")
    page.keyboard.press("Enter")
    page.locator(".jp-Dialog input").fill(run.id)
    page.keyboard.press("Enter")
    view.locator(".mlws-run-title", has_text="baseline").wait_for()
