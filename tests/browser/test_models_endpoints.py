"""The studio's Models and Endpoints views over a model registered from a run and a service
deployed from it: versions with aliases and history, an alias set from the view; the
service's state, scoring URI, figures that match the requests sent, the test console, logs;
the run view lists the models the run registered."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from jupyter_mlws.core import Dataset, Experiment, Workspace
from jupyter_mlws.core.model import InferenceConfig, Model
from jupyter_mlws.core.webservice import AciWebservice, Webservice
from tests.serving.conftest import score_script

from .conftest import UI, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def seed(tmp_path: Path, ws_name: str) -> tuple[Workspace, str, Webservice]:
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    run = Experiment(ws, "train").start_logging(display_name="trained", outputs=False)
    model_file = tmp_path / "model.pkl"
    model_file.write_bytes(pickle.dumps({"w": 2.0, "b": 1.0}))
    run.upload_file("outputs/model.pkl", str(model_file))
    first = run.register_model("lin", "outputs/model.pkl", tags={"stage": "dev"})
    run.complete()
    first.set_alias("production")
    baseline = tmp_path / "baseline"
    baseline.mkdir()
    (baseline / "inputs.csv").write_text("x\n" + "".join(f"{i % 7}\n" for i in range(200)))
    datastore = ws.get_default_datastore()
    datastore.upload(str(baseline), target_path="baseline", overwrite=True, show_progress=False)
    first.update(sample_input_dataset=Dataset.Tabular.from_delimited_files(
        (datastore, "baseline/*.csv")).register(ws, "inputs-baseline"))
    Model.register(ws, model_file, "lin", description="retrained")
    source = tmp_path / "src"
    source.mkdir()
    (source / "score.py").write_text(score_script())
    service = Model.deploy(ws, "svc-studio", [first],
                           InferenceConfig(entry_script="score.py",
                                           source_directory=str(source)),
                           AciWebservice.deploy_configuration(collect_model_data=True))
    service.wait_for_deployment()
    for x in range(3):
        service.run({"data": [x]})
    return ws, run.id, service


def test_models_and_endpoints_views(ui: UI, ws_name: str, tmp_path: Path) -> None:
    ws, run_id, service = seed(tmp_path, ws_name)
    try:
        page = ui.page
        ui.open_lab()
        panel = ui.select_workspace(ws._record.id)
        section = panel.locator(".mlws-models-section")
        section.locator("[data-service='svc-studio']").wait_for()
        assert "production" not in section.inner_text()  # the latest (2) has no alias
        section.locator("[data-model='lin']").click()

        models = page.locator(".mlws-models-view")
        rows = models.locator(".mlws-models-table tbody tr")
        wait_for(lambda: rows.count() == 2, what="both versions listed")
        assert "production" in rows.nth(1).inner_text() and "svc-studio" in rows.nth(1).inner_text()
        assert run_id in rows.nth(1).inner_text()  # lineage: the run it came from
        models.get_by_role("button", name="lin").nth(1).click()
        detail = models.locator(".mlws-models-detail[data-model='lin:1']")
        detail.wait_for()
        history = detail.locator(".mlws-history")
        assert "alias production → version 1" in history.inner_text()
        assert "version 1 registered from run" in history.inner_text()
        assert "model.pkl" in detail.locator(".mlws-model-files").inner_text()
        # Point "staging" at version 1 from the view: the registry and its history have it.
        detail.get_by_role("textbox", name="Alias").fill("staging")
        detail.get_by_role("button", name="Set alias").click()
        models.locator(".mlws-models-detail[data-model='lin:1'] [data-alias='staging']").wait_for()
        assert Model(ws, "lin", alias="staging").version == 1
        assert "alias staging → version 1" in models.locator(".mlws-history").inner_text()
        ui.screenshot("models-view.png")

        # Endpoints: state, scoring URI and the figures of the 3 requests sent.
        ui.open_panel().locator(".mlws-models-section [data-service='svc-studio']").click()
        view = page.locator(".mlws-endpoints-view")
        detail = view.locator(".mlws-endpoint-detail[data-service='svc-studio']")
        detail.locator(".mlws-service-state[data-state='Healthy']").first.wait_for()
        assert service.scoring_uri in detail.inner_text()
        requests = detail.locator(".mlws-figure[data-figure='Requests'] .mlws-figure-value")
        wait_for(lambda: requests.inner_text() == "3", timeout=30, what="3 requests shown")
        detail.locator(".mlws-chart canvas").first.wait_for()
        # The test console sends a request through the server; the figures count it.
        detail.get_by_label("Request body").fill(json.dumps({"data": [4]}))
        detail.get_by_role("button", name="Send").click()
        answer = detail.locator(".mlws-console-answer[data-status='200']")
        answer.wait_for()
        assert json.loads(answer.inner_text().split("\n", 1)[1])["y"] == [9.0]
        wait_for(lambda: requests.inner_text() == "4", timeout=30, what="4 requests shown")
        # Drift of the collected inputs against the model's sample input dataset.
        drift = detail.locator(".mlws-endpoint-drift")
        drift.locator(".mlws-drift").wait_for()
        assert "against inputs-baseline:1 (200 rows)" in drift.inner_text()
        assert "x" in drift.locator(".mlws-drift tbody").inner_text()
        logs = detail.locator(".mlws-endpoint-logs").inner_text()
        assert "service svc-studio: listening on" in logs and "replica r1" in logs
        view.evaluate("node => { node.scrollTop = 0; }")
        ui.screenshot("endpoints-view.png")

        # The run view lists the model the run registered.
        view = ui.open_run(ws._record.id, run_id)
        view.locator(".mlws-run-models [data-model='lin:1']").wait_for()
        assert view.locator(".mlws-run-models tbody tr").count() == 1  # not lin:2
    finally:
        service.delete()
