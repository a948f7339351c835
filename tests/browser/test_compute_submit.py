"""The studio's compute and environments sections, and submitting a script run from the file
browser's context menu (the run view then shows the script's log)."""

from __future__ import annotations

from jupyter_mlws.core import Environment, Workspace

from .conftest import UI, wait_for


def test_compute_and_environment_sections(ui: UI, ws_name: str) -> None:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    Environment("trainer").register(ws)
    Environment("trainer").register(ws)  # a second version
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    compute = panel.locator(".mlws-compute-section")
    local = compute.locator(".mlws-compute-table tr", has=ui.page.locator("[data-compute='local']"))
    local.wait_for()
    assert "local" in local.inner_text()
    envs = panel.locator(".mlws-env-section")
    row = envs.locator(".mlws-env-table tr", has=ui.page.locator("[data-environment='trainer']"))
    row.wait_for()
    assert "2, 1" in row.inner_text()
    compute.get_by_role("button", name="Refresh compute").click()
    compute.locator("[data-compute='local']").wait_for()
    ui.screenshot("panel-compute.png")


def test_submit_script_run_from_file_browser(ui: UI, ws_name: str) -> None:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    folder = ui.lab.root / f"job-{ws_name}"
    folder.mkdir()
    (folder / "hello.py").write_text(
        "import sys\nprint('hello from the script', *sys.argv[1:], flush=True)\n")
    page = ui.page
    ui.open_lab()
    ui.select_workspace(ws._record.id)
    page.locator(".jp-SideBar [data-id='filebrowser']").click()
    listing = page.locator(".jp-DirListing-content")
    listing.locator(".jp-DirListing-item", has_text=folder.name).dblclick()
    item = listing.locator(".jp-DirListing-item[data-file-type='python']", has_text="hello.py")
    item.click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Submit Script Run").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Compute target").wait_for()
    assert dialog.get_by_label("Compute target").input_value() == "local"
    # A rejected submission keeps the dialog open with the route's message.
    dialog.get_by_label("Experiment").fill("not a valid name!")
    dialog.get_by_role("button", name="Submit").click()
    error = page.locator(".jp-Dialog .mlws-submit-error")
    error.wait_for()
    assert "experiment" in error.inner_text().lower()
    dialog.get_by_label("Experiment").fill("from-browser")
    dialog.get_by_label("Arguments").fill("--greeting 'big world'")
    dialog.get_by_role("button", name="Submit").click()
    view = page.locator(".mlws-run-view").last
    view.locator(".mlws-run-title").wait_for(timeout=30000)
    log = view.locator(".mlws-log")
    wait_for(lambda: log.count() and "hello from the script --greeting big world"
             in log.first.inner_text(), timeout=60, what="the script's log line")
    wait_for(lambda: "Completed" in view.locator(".mlws-run-header").inner_text(), timeout=60,
             what="the run to complete")
    runs = ui.lab.api(f"workspaces/{ws._record.id}/runs?experiment=from-browser")["runs"]
    assert len(runs) == 1
    ui.screenshot("submit-script-run.png")


def test_stop_a_running_cluster_from_the_compute_section(ui: UI, ws_name: str) -> None:
    from jupyter_mlws.core import ComputeTarget
    from jupyter_mlws.core.compute import AmlCompute
    from jupyter_mlws.execution.dask_cluster import is_alive

    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    cluster = ComputeTarget.create(ws, "panel-cpu", AmlCompute.provisioning_configuration(
        vm_size="Standard_DS2_v2", max_nodes=1))
    try:
        cluster.wait_for_completion()
        state = dict(cluster._record.state)
        ui.open_lab()
        panel = ui.select_workspace(ws._record.id)
        compute = panel.locator(".mlws-compute-section")
        row = compute.locator(".mlws-compute-table tr",
                              has=ui.page.locator("[data-compute='panel-cpu']"))
        wait_for(lambda: "Running" in row.inner_text(), timeout=30, what="the daemon running")
        local = compute.locator(".mlws-compute-table tr",
                                has=ui.page.locator("[data-compute='local']"))
        assert local.locator(".mlws-compute-stop").count() == 0  # nothing to stop there
        row.get_by_role("button", name="Stop panel-cpu").click()
        wait_for(lambda: "Stopped" in row.inner_text(), timeout=60, what="the cluster stopped")
        assert row.locator(".mlws-compute-stop").count() == 0
        # The daemon records Stopped before it has closed its nodes and exited (a panel
        # refresh may show it first): it is gone once the stop request has finished.
        wait_for(lambda: not is_alive(state["pid"], state["identity"]), timeout=30,
                 what="the daemon process gone")
        assert cluster.get_status().state == "Stopped"
    finally:
        cluster.delete()
