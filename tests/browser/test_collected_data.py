"""The Endpoints view's "Collected data": a service deployed with collect_model_data=True
and a ModelDataCollector scores requests; the view shows the rows collected per designation,
registers them as a dataset version from its button (with feedback), lists the version and
opens it in the dataset view; rows sent later make a second version, and the first still
opens with its own rows."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from jupyter_mlws.core import Dataset, Workspace
from jupyter_mlws.core.model import InferenceConfig, Model
from jupyter_mlws.core.webservice import AciWebservice
from tests.serving.test_collected_data import COLLECTING

from .conftest import UI, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _deploy(tmp_path: Path, ws_name: str):
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    model_file = tmp_path / "model.pkl"
    model_file.write_bytes(pickle.dumps({"w": 1.0}))
    model = Model.register(ws, str(model_file), "lin")
    source = tmp_path / "src"
    source.mkdir()
    (source / "score.py").write_text(COLLECTING)
    service = Model.deploy(ws, "svc-collected", [model],
                           InferenceConfig(entry_script="score.py",
                                           source_directory=str(source)),
                           AciWebservice.deploy_configuration(collect_model_data=True))
    service.wait_for_deployment()
    return ws, service


def test_collected_data_becomes_dataset_versions_from_the_view(ui: UI, ws_name: str,
                                                               tmp_path: Path) -> None:
    ws, service = _deploy(tmp_path, ws_name)
    try:
        first = [[i, 100 + i] for i in range(12)]
        service.run(json.dumps({"data": first}))
        page = ui.page
        ui.open_lab()
        panel = ui.select_workspace(ws._record.id)
        panel.locator(".mlws-models-section [data-service='svc-collected']").click()
        detail = page.locator(".mlws-endpoint-detail[data-service='svc-collected']")
        part = detail.locator(".mlws-collected")
        inputs = part.locator(".mlws-collected-table tbody tr", has_text="inputs")
        # The collected rows appear within seconds (files are written every 5 s).
        wait_for(lambda: inputs.count() == 1 and inputs.locator("td").nth(1).inner_text()
                 == "12", timeout=60, what="12 collected input rows shown")
        assert "none" in inputs.locator("td").nth(4).inner_text()  # no version yet
        assert part.locator("tbody tr", has_text="predictions").count() == 1

        inputs.locator(".mlws-collected-register").click()
        status = part.locator(".mlws-collected-status[data-outcome='created']")
        status.wait_for(timeout=60000)
        assert "Registered svc-collected-inputs version 1" in status.inner_text()
        v1 = inputs.locator(".mlws-collected-version[data-version='1']")
        v1.wait_for()
        assert inputs.locator(".mlws-collected-register").inner_text() == "Up to date"
        assert Dataset.get_by_name(ws, "svc-collected-inputs").version == 1  # the SDK sees it
        # One request so far: its latency chart spans a minute around it (clock labels), not
        # years.
        latency = detail.locator(".mlws-chart[data-metric='Latency (ms)']")

        def ticks() -> list[str]:
            return json.loads(latency.get_attribute("data-x-ticks") or "[]")

        wait_for(lambda: ticks(), what="the latency chart's ticks")
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d", t) for t in ticks()), ticks()
        ui.screenshot("endpoints-collected-data.png")

        # Rows sent later: a second version from the same button.
        later = [[50 + i, 7] for i in range(5)]
        service.run(json.dumps({"data": later}))
        wait_for(lambda: inputs.locator("td").nth(1).inner_text() == "17", timeout=60,
                 what="17 collected input rows shown")
        register = inputs.locator(".mlws-collected-register")
        wait_for(lambda: "+" in register.inner_text(), what="new files announced")
        register.click()
        part.locator(".mlws-collected-status[data-outcome='created']",
                     has_text="version 2").wait_for(timeout=60000)
        inputs.locator(".mlws-collected-version[data-version='2']").wait_for()

        # A version opens the dataset view at that version, with its own rows.
        inputs.locator(".mlws-collected-version[data-version='1']").click()
        view = page.locator(".mlws-dataset-view[data-dataset='svc-collected-inputs']"
                            "[data-version='1']")
        view.wait_for()
        preview = view.locator(".mlws-dataset-preview table")
        preview.locator("td", has_text=re.compile(r"^111$")).first.wait_for()
        assert preview.locator("tbody tr").count() == 12
        assert preview.locator("td", has_text=re.compile(r"^54$")).count() == 0  # version 2's
    finally:
        service.delete()
