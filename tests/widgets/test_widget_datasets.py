"""The RunDetails widget's run body carries the lineage properties its Details tab lists as
the run's datasets (src/common/lineage.ts parses them in the shared run view)."""

from __future__ import annotations

import json

from jupyter_mlws.core import Dataset
from jupyter_mlws.widgets.data import WidgetData


def test_widget_run_body_carries_input_and_output_datasets(workspace, experiment,
                                                          tmp_path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("x\n1\n")
    blob = workspace.get_default_datastore()
    blob.upload(str(tmp_path / "d"), target_path="d", show_progress=False)
    ds = Dataset.Tabular.from_delimited_files((blob, "d/a.csv")).register(workspace, "wd")
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.add_properties({"mlws.dataset.in.wd.v1": json.dumps(
        {"id": ds.id, "inputs": [{"name": "train", "mode": "direct"}]})})
    run.complete()
    data = WidgetData(run._store, run._record.workspace_id, run.id)
    answer = data.answer({"type": "request", "id": 1, "op": "run", "args": {}})
    assert answer["ok"], answer
    properties = answer["data"]["properties"]
    assert json.loads(properties["mlws.dataset.in.wd.v1"])["inputs"][0]["name"] == "train"
    details = run.get_details()
    assert details["inputDatasets"][0]["dataset"].name == "wd"
