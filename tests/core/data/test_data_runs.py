"""Runs consume datasets (both stores): mount / download / direct inputs replaced in the
arguments and set as variables, ``input_datasets``, outputs registered on completion, and the
lineage recorded on the run and queryable."""

from __future__ import annotations

import json

import pytest

from jupyter_mlws.core import Dataset, ScriptRunConfig
from jupyter_mlws.core.status import RunStatus
from jupyter_mlws.data import OutputFileDatasetConfig
from jupyter_mlws.exceptions import UserErrorException
from jupyter_mlws.store.base import RunQuery

SCRIPT = """
import json, os, sys
from jupyter_mlws.core import Run

run = Run.get_context()
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
files = sorted(os.path.relpath(os.path.join(d, f), args["--data"])
               for d, _s, names in os.walk(args["--data"], followlinks=True) for f in names)
inputs = run.input_datasets
rows = inputs["rows"].to_pandas_dataframe()
report = {"files": files, "env": os.environ["training"], "arg": args["--data"],
          "context": inputs["training"], "rows": int(rows.shape[0]),
          "first": open(os.path.join(args["--data"], "sub", "f0.csv")).read()}
with open(os.path.join(args["--out"], "report.json"), "w") as out:
    json.dump(report, out)
print("REPORT", json.dumps(report))
"""


def _report(run) -> dict:
    log = run._store.open_artifact(run.id, "user_logs/std_log.txt").read().decode()
    line = next(line for line in log.splitlines() if line.startswith("REPORT "))
    return json.loads(line[len("REPORT "):])


@pytest.mark.parametrize("mode", ["mount", "download"])
def test_inputs_reach_the_script_and_outputs_register(workspace, experiment, uploaded,
                                                      csv_folder, make_source, mode) -> None:
    files = Dataset.File.from_files((uploaded, "data")).register(workspace, "training_files")
    rows = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/*.csv")).register(
        workspace, "rows")
    training = files.as_named_input("training")
    training = training.as_mount() if mode == "mount" else training.as_download()
    out = OutputFileDatasetConfig(name="report").register_on_complete("run_report",
                                                                      tags={"from": "run"})
    src = make_source(files={"train.py": SCRIPT})
    config = ScriptRunConfig(src, "train.py", arguments=[
        "--data", training, "--rows", rows.as_named_input("rows"), "--out", out])
    run = experiment.submit(config)
    details = run.wait_for_completion(wait_post_processing=True, raise_on_error=False)
    assert details["status"] == RunStatus.COMPLETED, details.get("error")
    report = _report(run)
    assert report["files"] == ["readme.txt", "sub/f0.csv", "sub/f1.csv", "sub/f2.csv"]
    assert report["env"] == report["arg"] == report["context"]
    assert report["rows"] == 15
    assert report["first"] == (csv_folder / "sub" / "f0.csv").read_text()

    registered = Dataset.get_by_name(workspace, "run_report")
    assert registered.tags == {"from": "run"}
    local = registered.download()
    with open(local[0]) as handle:
        assert json.load(handle)["rows"] == 15
    # Lineage: the versions read and written, on the run and queryable.
    details = run.get_details()
    inputs = {d["consumptionDetails"]["inputName"]: d for d in details["inputDatasets"]}
    assert set(inputs) == {"training", "rows"}
    assert inputs["training"]["consumptionDetails"]["mechanism"] == mode.capitalize()
    assert inputs["training"]["dataset"].name == "training_files"
    assert details["outputDatasets"][0]["dataset"].name == "run_report"
    ws_id = workspace._record.id
    used = workspace._store.list_runs(ws_id, RunQuery(
        properties={"mlws.dataset.in.training_files.v1": None}))
    assert [r.id for r in used] == [run.id]
    made = workspace._store.list_runs(ws_id, RunQuery(
        properties={"mlws.dataset.out.run_report.v1": None}))
    assert [r.id for r in made] == [run.id]


def test_a_changed_input_fails_the_run_before_the_script(workspace, experiment, uploaded,
                                                         csv_folder, make_source) -> None:
    files = Dataset.File.from_files((uploaded, "data/sub")).register(workspace, "inputs")
    (csv_folder / "sub" / "f0.csv").write_text("a,b\n0,changed-and-longer\n")
    uploaded.upload(str(csv_folder), target_path="data", overwrite=True, show_progress=False)
    src = make_source(files={"train.py": "print('SCRIPT RAN')\n"})
    run = experiment.submit(ScriptRunConfig(src, "train.py", arguments=[
        files.as_named_input("x").as_download()]))
    details = run.wait_for_completion(wait_post_processing=True, raise_on_error=False)
    assert details["status"] == RunStatus.FAILED
    assert details["error"]["error"]["code"] == "DatasetError"
    assert "changed size" in details["error"]["error"]["message"]


def test_bad_run_bindings_fail_at_submit(workspace, experiment, uploaded, make_source) -> None:
    tab = Dataset.Tabular.from_delimited_files((uploaded, "data/sub/f0.csv"))
    src = make_source(files={"train.py": "pass\n"})
    with pytest.raises(UserErrorException, match="Only a FileDataset"):
        tab.as_named_input("t").as_mount()
    with pytest.raises(UserErrorException, match="as_named_input"):
        experiment.submit(ScriptRunConfig(src, "train.py", arguments=[tab]))
    with pytest.raises(UserErrorException, match="Invalid input name"):
        tab.as_named_input("bad-name")
    assert list(experiment.get_runs()) == []


def test_unregistered_input_is_saved_for_lineage(workspace, experiment, uploaded,
                                                 make_source) -> None:
    files = Dataset.File.from_files((uploaded, "data/sub/f1.csv"))
    src = make_source(files={"train.py": "import sys; print(open(sys.argv[1] + '/f1.csv')"
                                         ".read().splitlines()[1])\n"})
    run = experiment.submit(ScriptRunConfig(src, "train.py", arguments=[files.as_mount()]))
    assert run.wait_for_completion(wait_post_processing=True, raise_on_error=False)["status"] == RunStatus.COMPLETED
    (item,) = run.get_details()["inputDatasets"]
    assert item["dataset"].to_path() == ["/f1.csv"]
    assert item["consumptionDetails"]["inputName"].startswith("input_")
