"""Collected model data as registered dataset versions (``service.get_collected_data``): rows
a scoring script's ModelDataCollector collected read back with ``to_pandas_dataframe``; rows
collected later make a new version, and the old version still reads only its own rows."""

from __future__ import annotations

import json

import pytest

from jupyter_mlws.core import Dataset, Workspace
from jupyter_mlws.core.webservice import AciWebservice
from jupyter_mlws.exceptions import UserErrorException, WebserviceException
from tests.helpers import wait_until

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

COLLECTING = '''
import json
from jupyter_mlws.monitoring import ModelDataCollector
inputs_dc = predictions_dc = None
def init():
    global inputs_dc, predictions_dc
    inputs_dc = ModelDataCollector("lin", designation="inputs", feature_names=["a", "b"])
    predictions_dc = ModelDataCollector("lin", designation="predictions",
                                        feature_names=["y"])
def run(raw):
    rows = json.loads(raw)["data"]
    inputs_dc.collect(rows)
    predictions = [[a + 10 * b] for a, b in rows]
    predictions_dc.collect(predictions)
    return {"y": [p[0] for p in predictions]}
'''


def _collected(service, designation: str, rows: int):
    """The dataset once ``rows`` rows of ``designation`` were written (every few seconds)."""
    def ready():
        try:
            found = service.get_collected_data(designation)
        except WebserviceException:
            return None
        return found if len(found.to_pandas_dataframe()) >= rows else None

    return wait_until(ready, 60, 0.5, f"{rows} collected {designation} rows")


def test_collected_rows_become_dataset_versions(workspace: Workspace, model, source,
                                                 deploy) -> None:
    service = deploy("svc-collect", [model], source(text=COLLECTING),
                     AciWebservice.deploy_configuration(collect_model_data=True))
    with pytest.raises(WebserviceException, match="no collected data"):
        service.get_collected_data("nothing-here")
    with pytest.raises(UserErrorException, match="designation"):
        service.get_collected_data("../x")
    with pytest.raises(UserErrorException, match="dataset name"):
        service.get_collected_data("inputs", dataset_name="../x")
    with pytest.raises(UserErrorException, match="designation"):
        service.get_collected_data("d" * 2**20)
    assert service.get_collected_data_summary()["designations"] == []

    first = [[i, i % 3] for i in range(30)]
    for start in range(0, 30, 10):
        service.run(json.dumps({"data": first[start:start + 10]}))
    wanted = {"inputs": 30, "predictions": 30, "requests": 3}

    def complete():
        found = service.get_collected_data_summary()
        rows = {d["designation"]: d["rows"] for d in found["designations"]}
        return found if rows == wanted else None

    summary = wait_until(complete, 60, 0.5, "every collected row in the summary")
    listed = {d["designation"]: d for d in summary["designations"]}
    assert summary["collect_model_data"] and listed["inputs"]["bytes"] > 0
    assert listed["inputs"]["versions"] == [] and listed["inputs"]["new_files"] >= 1
    inputs = _collected(service, "inputs", 30)
    assert inputs.name == "svc-collect-inputs" and inputs.version >= 1
    after = {d["designation"]: d for d in service.get_collected_data_summary()["designations"]}
    assert [v["version"] for v in after["inputs"]["versions"]] == [inputs.version]
    assert after["inputs"]["new_files"] == 0
    frame = inputs.to_pandas_dataframe().sort_values("a")
    assert frame[["a", "b"]].values.tolist() == first
    assert str(frame["time"].dtype).startswith("datetime64")
    v1 = inputs.version
    # Nothing new: the same version, not another one.
    assert service.get_collected_data("inputs").version == v1
    assert Dataset.get_by_name(workspace, "svc-collect-inputs").version == v1
    predictions = _collected(service, "predictions", 30)
    assert sorted(predictions.to_pandas_dataframe()["y"]) == sorted(a + 10 * b
                                                                    for a, b in first)

    # The sampled request bodies, as their own dataset.
    requests = _collected(service, "requests", 3)
    assert requests.name == "svc-collect-requests"
    bodies = sorted(json.loads(b)["data"][0] for b in requests.to_pandas_dataframe()["request"])
    assert bodies == [first[0], first[10], first[20]]

    second = [[100 + i, 7] for i in range(20)]
    service.run(json.dumps({"data": second}))
    later = _collected(service, "inputs", 50)
    assert later.version > v1
    rows = later.to_pandas_dataframe().sort_values("a")[["a", "b"]].values.tolist()
    assert rows == first + second
    # The old version reads the files it was registered with, not the new ones.
    old = Dataset.get_by_name(workspace, "svc-collect-inputs", version=v1)
    assert sorted(old.to_pandas_dataframe()[["a", "b"]].values.tolist()) == first
    assert later.tags["mlws.service"] == "svc-collect"

    # A dataset of that name that is not this service's collection is not overwritten.
    with pytest.raises(UserErrorException, match="another dataset_name"):
        service.get_collected_data("predictions", dataset_name="svc-collect-inputs")
