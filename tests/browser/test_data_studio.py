"""The studio's Data section and dataset view (versions, definition, paged preview, profile,
runs), registering a dataset from the file browser, and the Details tab of the run view and of
the RunDetails widget listing a run's datasets."""

from __future__ import annotations

import json
from pathlib import Path

from jupyter_mlws.core import Dataset, Experiment, Workspace

from .conftest import UI, wait_for
from .test_notebook_live import notebook


def _seed(tmp_path: Path, ws_name: str) -> tuple[Workspace, str]:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    src = tmp_path / "rows"
    src.mkdir()
    (src / "a.csv").write_text("x,label\n" + "".join(f"{i},row{i}\n" for i in range(80)))
    blob = ws.get_default_datastore()
    blob.upload(str(src), target_path="rows", show_progress=False)
    v1 = Dataset.Tabular.from_delimited_files((blob, "rows/*.csv")).register(ws, "table_rows")
    v1.take(10).register(ws, "table_rows", create_new_version=True)
    run = Experiment(ws, "uses-data").start_logging(snapshot_directory=None, outputs=False,
                                                    display_name="reader")
    run.add_properties({"mlws.dataset.in.table_rows.v1": json.dumps(
        {"id": v1.id, "inputs": [{"name": "training", "mode": "direct"}]})})
    run.complete()
    return ws, run.id


def test_data_section_and_dataset_view(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run_id = _seed(tmp_path, ws_name)
    page = ui.page
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    data = panel.locator(".mlws-data-section")
    data.locator("[data-datastore='workspaceblobstore']").wait_for()
    row = data.locator(".mlws-dataset-table tr", has=page.locator("[data-dataset='table_rows']"))
    row.wait_for()
    assert "tabular" in row.inner_text() and "\t2\t" in f"\t{row.inner_text()}\t".replace(
        "\n", "\t")
    data.locator("button[data-dataset='table_rows']").click()
    view = page.locator(".mlws-dataset-view[data-dataset='table_rows']")
    view.locator(".mlws-dataset-definition", has_text="workspaceblobstore: rows/*.csv").wait_for()
    assert view.get_attribute("data-version") == "2"
    view.get_by_label("Version").select_option("1")
    wait_for(lambda: view.get_attribute("data-version") == "1", what="version 1 selected")
    preview = view.locator(".mlws-dataset-preview table")
    preview.locator("td", has_text="row0").first.wait_for()
    assert preview.locator("tbody tr").count() == 50
    view.get_by_role("button", name="Next rows").click()
    preview.locator("td", has_text="row79").wait_for()
    assert preview.locator("tbody tr").count() == 30
    view.get_by_role("button", name="Compute profile").click()
    profile = view.locator(".mlws-profile-table")
    profile.wait_for(timeout=30000)
    assert "80 rows" in view.locator(".mlws-dataset-profile").inner_text()
    assert view.locator(".mlws-histogram-bar").count() == 20
    ui.screenshot("dataset-view.png")  # the dataset view, before its run is opened
    runs = view.locator(".mlws-dataset-runs-table")
    runs.locator(f"button[data-run-id='{run_id}']").click()
    run_view = page.locator(f".mlws-run-view[data-run-id='{run_id}']")
    datasets = run_view.locator(".mlws-run-datasets")
    datasets.wait_for()
    assert "table_rows (version 1)" in datasets.inner_text()
    assert "training" in datasets.inner_text()


def test_register_a_dataset_from_the_file_browser(ui: UI, ws_name: str) -> None:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    folder = ui.lab.root / f"files-{ws_name}"
    folder.mkdir()
    (folder / "measure.csv").write_text("t,v\n1,2.5\n2,3.5\n")
    page = ui.page
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    page.locator(".jp-SideBar [data-id='filebrowser']").click()
    listing = page.locator(".jp-DirListing-content")
    listing.locator(".jp-DirListing-item", has_text=folder.name).dblclick()
    item = listing.locator(".jp-DirListing-item", has_text="measure.csv")
    item.click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Register Dataset").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Dataset name").wait_for()
    assert dialog.get_by_label("Dataset kind").input_value() == "delimited"
    dialog.get_by_label("Dataset name").fill("-not valid")
    dialog.get_by_role("button", name="Register").click()
    error = page.locator(".jp-Dialog .mlws-register-error")
    error.wait_for()
    assert "Invalid dataset name" in error.inner_text()
    dialog.get_by_label("Dataset name").fill("measurements")
    dialog.get_by_role("button", name="Register").click()
    view = page.locator(".mlws-dataset-view[data-dataset='measurements']")
    view.locator(".mlws-dataset-preview td", has_text="3.5").wait_for(timeout=30000)
    registered = Dataset.get_by_name(ws, "measurements")
    assert registered.to_pandas_dataframe()["v"].tolist() == [2.5, 3.5]


def test_run_details_widget_lists_the_run_datasets(ui: UI, ws_name: str,
                                                   tmp_path: Path) -> None:
    _ws, run_id = _seed(tmp_path, ws_name)
    name = f"data-widget-{ws_name}.ipynb"
    (ui.lab.root / name).write_text(notebook([
        "from jupyter_mlws.core import Workspace\n"
        "from jupyter_mlws.widgets import RunDetails\n"
        f"run = Workspace.get({ws_name!r}).get_run({run_id!r})\n"
        "RunDetails(run).show()",
    ]))
    ui.run_notebook(name)
    widget = ui.page.locator(".jp-OutputArea .mlws-run-details")
    view = widget.locator(".mlws-run-view")
    view.locator(".mlws-run-title", has_text="reader").wait_for(timeout=60000)
    details = ui.tab(view, "details")
    datasets = details.locator(".mlws-run-datasets")
    datasets.wait_for()
    assert "table_rows (version 1)" in datasets.inner_text()
