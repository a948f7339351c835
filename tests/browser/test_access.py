"""Access control in the studio, on a team server (TeamIdentityProvider, roles enforced):
a Reader sees runs but no delete buttons and no secret values; a Contributor submits a run
(recorded as submitted by them); an Owner assigns a role from the Access section."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.store import reset_store_cache

from .conftest import UI, Lab, LabFactory, wait_for

USERS = {"reader": "Reader", "contrib": "Contributor", "owner": "Owner"}
TOKENS = {name: f"team-{name}-" + "x" * 20 for name in USERS}
SECRET = "VALUE-" + os.urandom(8).hex()


@pytest.fixture(scope="module")
def team_lab(lab_factory: LabFactory) -> Lab:
    # What `python -m jupyter_mlws.server.team init` writes, with known tokens.
    return lab_factory(server_config={
        "ServerApp": {"identity_provider_class":
                      "jupyter_mlws.server.team.TeamIdentityProvider"},
        "TeamIdentityProvider": {"users": {n: {"token": t, "groups": []}
                                           for n, t in TOKENS.items()}},
        "MlwsApp": {"access_control": True, "admin_users": []}}, token=TOKENS["owner"])


@pytest.fixture(scope="module")
def seeded(team_lab: Lab) -> dict[str, Any]:
    old = os.environ.get("MLWS_HOME")
    os.environ["MLWS_HOME"] = str(team_lab.home)
    reset_store_cache()
    try:
        ws = Workspace.create("team-space", show_output=False)
        for user, role in USERS.items():
            ws.assign_role(role, user=user)
        ws.get_default_keyvault().set_secret("db-pass", SECRET)
        with Experiment(ws, "shared-exp").start_logging(snapshot_directory=None) as run:
            run.log("loss", 0.5)
        folder = team_lab.root / "job"
        folder.mkdir()
        (folder / "hello.py").write_text("print('hello from the team', flush=True)\n")
        return {"ws": ws._record.id, "run": run.id}
    finally:
        from jupyter_mlws.core.metric_buffer import flush_all

        flush_all()
        os.environ["MLWS_HOME"] = old or ""
        reset_store_cache()


def _rest(lab: Lab, user: str, path: str) -> Any:
    import urllib.request

    request = urllib.request.Request(f"{lab.url}mlws/api/v1/{path}",
                                     headers={"Authorization": f"token {TOKENS[user]}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _as(browser: Any, lab: Lab, user: str) -> UI:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    ui = UI(page, lab)
    # The token logs the browser in (jupyter-server then keeps a login cookie).
    ui.open_lab(query=f"?token={TOKENS[user]}")
    return ui


def test_reader_sees_runs_but_no_delete_and_no_secret_values(browser, team_lab, seeded):
    ui = _as(browser, team_lab, "reader")
    panel = ui.select_workspace(seeded["ws"])
    panel.locator(".mlws-exp-name", has_text="shared-exp").click()
    panel.locator(".mlws-exp-list", has_text=seeded["run"][:6]).wait_for()
    access = panel.locator(".mlws-access-section[data-user='reader']")
    access.locator("[data-secret='db-pass']").wait_for()
    wait_for(lambda: panel.get_attribute("data-mlws-can-delete") == "false"
             or ui.page.locator("#mlws-panel").get_attribute("data-mlws-can-delete") == "false",
             what="the panel marked read-only")
    assert ui.page.locator("#mlws-panel .mlws-danger:visible").count() == 0
    # Nor the controls that create: a new experiment, a new compute target.
    wait_for(lambda: ui.page.locator("#mlws-panel.mlws-cannot-experiments_write").count() == 1,
             what="the panel marked as not creating experiments")
    for name in ("New experiment", "New compute target"):
        button = ui.page.locator("#mlws-panel").get_by_role("button", name=name,
                                                            include_hidden=True)
        assert button.count() == 1 and not button.is_visible()  # rendered, but hidden
    assert access.locator(".mlws-access-form").count() == 0  # no assigning for a Reader
    assert access.locator(".mlws-audit-table").count() == 0  # the audit log is for owners
    assert SECRET not in ui.page.content()
    ui.screenshot("access-reader.png")
    ui.page.context.close()


def test_contributor_submits_a_run(browser, team_lab, seeded):
    ui = _as(browser, team_lab, "contrib")
    page = ui.page
    panel = ui.select_workspace(seeded["ws"])
    # A Contributor may create what a Reader may not: the buttons are there for them.
    panel.get_by_role("button", name="New experiment").wait_for(state="visible")
    panel.get_by_role("button", name="New compute target").wait_for(state="visible")
    page.locator(".jp-SideBar [data-id='filebrowser']").click()
    listing = page.locator(".jp-DirListing-content")
    listing.locator(".jp-DirListing-item", has_text="job").dblclick()
    item = listing.locator(".jp-DirListing-item[data-file-type='python']", has_text="hello.py")
    item.click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Submit Script Run").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Experiment").fill("contrib-exp")
    dialog.get_by_role("button", name="Submit").click()
    view = page.locator(".mlws-run-view").last
    view.locator(".mlws-run-title").wait_for(timeout=30000)
    log = view.locator(".mlws-log")
    wait_for(lambda: log.count() and "hello from the team" in log.first.inner_text(),
             timeout=60, what="the submitted script's output")
    run_id = view.get_attribute("data-run-id")
    record = _rest(team_lab, "owner", f"runs/{run_id}")
    assert record["properties"]["mlws.submittedBy"] == "contrib"
    page.context.close()


def test_owner_assigns_a_role(browser, team_lab, seeded):
    ui = _as(browser, team_lab, "owner")
    panel = ui.select_workspace(seeded["ws"])
    access = panel.locator(".mlws-access-section[data-user='owner']")
    form = access.locator(".mlws-access-form")
    form.wait_for()
    form.get_by_label("Role", exact=True).select_option("Reader")
    form.get_by_label("User or group").fill("dave")
    # The panel's periodic refresh must not re-render the form and drop what was typed.
    node = ui.page.locator("#mlws-panel")
    seen = int(node.get_attribute("data-quiet-refreshes") or 0)
    wait_for(lambda: int(node.get_attribute("data-quiet-refreshes") or 0) > seen + 1,
             timeout=30, what="two periodic refreshes of the panel")
    assert form.get_by_label("User or group").input_value() == "dave"
    form.get_by_role("button", name="Assign role").click()
    panel.locator(".mlws-access-section [data-principal='dave']").wait_for()
    # Owners read the audit log (here: the Contributor's denied attempt seen by the server).
    panel.locator(".mlws-access-section h4", has_text="Audit log").wait_for()
    ui.screenshot("access-owner.png")
    assignments = _rest(team_lab, "owner",
                        f"workspaces/{seeded['ws']}/roleassignments")["assignments"]
    assert any(a["principal"] == "dave" and a["role"] == "Reader" for a in assignments)
    ui.page.context.close()


