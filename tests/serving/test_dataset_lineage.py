"""Models and services with registered datasets (jupyter_mlws.data): a model's dataset lineage
and sample input dataset name real dataset versions, and drift (by default against the
deployed model's sample input dataset) of a service's collected
inputs is computed against a registered TabularDataset as baseline (shifted data drifts,
unshifted data does not)."""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlws.core import Dataset, Workspace
from jupyter_mlws.core.model import Model
from jupyter_mlws.core.webservice import AciWebservice
from jupyter_mlws.exceptions import WebserviceException
from tests.helpers import wait_until

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_lineage_and_drift_against_a_registered_dataset(workspace: Workspace, work_dir: Path,
                                                        source, deploy) -> None:
    rng = np.random.default_rng(7)
    folder = work_dir / "base"
    folder.mkdir()
    pd.DataFrame({"x": rng.normal(0, 1, 2000),
                  "color": rng.choice(["red", "green", "blue"], 2000)}).to_csv(
        folder / "part.csv", index=False)
    store = workspace.get_default_datastore()
    store.upload(str(folder), target_path="base", overwrite=True, show_progress=False)
    baseline = Dataset.Tabular.from_delimited_files((store, "base/*.csv")).register(
        workspace, "inputs-baseline")
    (work_dir / "model.pkl").write_bytes(pickle.dumps({"w": 1.0, "b": 0.0}))
    model = Model.register(workspace, work_dir / "model.pkl", "lin",
                           datasets=[("training", baseline)], sample_input_dataset=baseline)
    again = Model(workspace, "lin")
    assert again.sample_input_dataset["id"] == baseline.id
    assert [(d["scenario"], d["name"], d["version"]) for d in again._record.spec["datasets"]] \
        == [("training", "inputs-baseline", 1)]
    assert [m.id for m in Model.list(workspace, dataset_id=baseline.id)] == ["lin:1"]

    text = "def init():\n    pass\ndef run(raw):\n    return {'n': 1}\n"
    service = deploy("svc-data", [model], source(text=text),
                     AciWebservice.deploy_configuration(collect_model_data=True))

    def send(frame: pd.DataFrame) -> None:
        for start in range(0, len(frame), 50):
            rows = frame.iloc[start:start + 50][["x", "color"]].values.tolist()
            assert service.run(json.dumps({"data": rows})) == {"n": 1}

    send(pd.DataFrame({"x": rng.normal(0, 1, 400),
                       "color": rng.choice(["red", "green", "blue"], 400)}))
    # Without a baseline: the deployed model's sample input dataset.
    same = wait_until(lambda: (r := service.get_drift()).rows_current == 400 and r,
                      60, 0.5, "400 collected rows")
    assert not same.drifted, same.to_dict()
    cut = time.time()
    send(pd.DataFrame({"x": rng.normal(2.0, 1, 400),
                       "color": rng.choice(["red", "blue"], 400, p=[0.9, 0.1])}))
    shifted = wait_until(lambda: (r := service.get_drift(baseline, since=cut)).rows_current
                         >= 400 and r, 60, 0.5, "the shifted rows collected")
    assert shifted.drifted_features == ["x", "color"], shifted.to_dict()
    other = deploy("svc-nobase", [Model.register(workspace, work_dir / "model.pkl", "bare")],
                   source("src2", text=text), AciWebservice.deploy_configuration())
    with pytest.raises(WebserviceException, match="no drift baseline"):
        other.get_drift()
