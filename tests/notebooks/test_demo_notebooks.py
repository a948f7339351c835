"""Every demo notebook executes top to bottom, and leaves the runs, widgets and saved outputs
it promises (so the demos never rot)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_mlws.core import Experiment, Workspace

from .conftest import NOTEBOOKS

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STATE_MIME = "application/vnd.jupyter.widget-state+json"


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True)
    client.execute()
    nbformat.write(notebook, path)  # what a user would save
    return nbformat.read(path, as_version=4)


def outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def widget_states(notebook: nbformat.NotebookNode) -> dict[str, dict]:
    state = notebook.metadata.get("widgets", {}).get(STATE_MIME, {}).get("state", {})
    return {model_id: model["state"] for model_id, model in state.items()
            if model.get("model_name") == "AnyModel"}


def runs_of(experiment_name: str) -> list:
    return list(Experiment(Workspace.get("demo"), experiment_name).get_runs())


def test_every_demo_notebook_is_tested():
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == {"quickstart.ipynb",
                                                           "magics-tour.ipynb"}


@pytest.mark.slow
def test_quickstart(notebook_dir: Path):
    notebook = execute(notebook_dir / "quickstart.ipynb")
    runs = {r.display_name: r for r in runs_of("quickstart")}
    run = runs.pop("quickstart run")
    (script_run,) = runs.values()
    assert run.get_status() == "Completed"
    metrics = run.get_metrics()
    assert metrics["learning_rate"] == 0.01 and len(metrics["loss"]) == 30
    names = set(run.get_file_names())
    assert {"outputs/model.txt", "notes/notes.txt", "explanations/global.json",
            "fairness/by_gender.json"} <= names
    assert [c.get_status() for c in run.get_children()] == ["Completed", "Completed"]
    assert (notebook_dir / "downloaded" / "outputs" / "model.txt").is_file()
    # The submitted script ran in its own process and recorded into the same experiment.
    assert script_run.type == "azureml.scriptrun" and script_run.get_status() == "Completed"
    assert len(script_run.get_metrics()["loss"]) == 15
    assert "outputs/model.txt" in script_run.get_file_names()
    # The widgets' model state is saved with the notebook.
    states = widget_states(notebook)
    assert {s["run_id"] for s in states.values()} == {run.id, script_run.id}
    assert any(s["is_finished"] and s["summary"]["status"] == "Completed"
               for s in states.values())
    # Each widget output carries the static fallback for viewers without widgets.
    widget_outputs = [o for o in outputs(notebook) if WIDGET_MIME in o.get("data", {})]
    assert len(widget_outputs) == 3
    assert all("text/html" in o["data"] for o in widget_outputs)
    final = widget_outputs[-1]["data"]
    assert "Completed" in final["text/html"] and "learning_rate" in final["text/html"]
    assert final["image/png"] and "data:image/png;base64," in final["text/html"]
    texts = "".join(o.get("text", "") for o in outputs(notebook))
    assert "Completed" in texts and "weights: 0.1 0.2 0.3" in texts


@pytest.mark.slow
def test_magics_tour(notebook_dir: Path):
    notebook = execute(notebook_dir / "magics-tour.ipynb")
    runs = {r.display_name: r for r in runs_of("magics-tour")}
    assert set(runs) == {"first cell", "broken cell"}
    good, bad = runs["first cell"], runs["broken cell"]
    assert good.get_status() == "Completed" and good.get_tags() == {"kind": "demo"}
    assert len(good.get_metrics()["loss"]) == 20
    files = set(good.get_file_names())
    assert "logs/cell_output.txt" in files and "figure_1.png" in files
    with good._store.open_artifact(good.id, "logs/cell_output.txt") as stream:
        assert stream.read().decode() == "trained for 20 steps\n"
    snapshot = good._store.get_snapshot(good._record.snapshot_id)
    assert list(snapshot.files) == ["cell.py"]
    with good._store.open_snapshot_file(snapshot.id, "cell.py") as stream:
        assert "Run.get_context()" in stream.read().decode()
    assert bad.get_status() == "Failed"
    error = bad.get_details()["error"]["error"]
    assert error["code"] == "ValueError" and "bad hyperparameter" in error["traceback"]
    with bad._store.open_artifact(bad.id, "logs/cell_output.txt") as stream:
        log = stream.read().decode()
    assert log.startswith("about to fail\n") and "ValueError: bad hyperparameter" in log
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    first_cell = next(c for c in cells if "first cell" in c.source)
    assert any("image/png" in o.get("data", {}) for o in first_cell.outputs)  # still shown
    assert any(o.get("ename") == "ValueError" for c in cells for o in c.outputs)
    runs_cell = next(c for c in cells if c.source.strip() == "%mlws runs")
    html = runs_cell.outputs[0]["data"]["text/html"]
    assert "first cell" in html and "broken cell" in html
    show_cell = next(c for c in cells if c.source.strip() == "%mlws show")
    assert WIDGET_MIME in show_cell.outputs[0]["data"]
    assert json.dumps(widget_states(notebook))  # saved state is plain JSON
