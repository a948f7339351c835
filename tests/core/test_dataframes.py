"""pandas views: metrics_frame and runs_frame columns and values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jupyter_mlws.core.dataframes import metrics_frame, runs_frame


@pytest.fixture
def experiment_name() -> str:
    return "frames"


def test_metrics_frame_series_with_steps(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    for step, loss in [(10, 0.9), (20, 0.5), (30, 0.25)]:
        run.log("loss", loss, step=step)
    run.complete()
    frame = metrics_frame(run, "loss")
    assert list(frame.columns) == ["step", "time", "value"]
    assert frame["step"].tolist() == [10, 20, 30]
    assert frame["value"].tolist() == [0.9, 0.5, 0.25]
    assert str(frame["time"].dt.tz) == "UTC"
    assert frame["time"].is_monotonic_increasing


def test_metrics_frame_without_steps_numbers_points(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.log_list("acc", [0.1, 0.2, 0.3, 0.4])
    run.complete()
    frame = metrics_frame(run, "acc")
    assert frame["step"].tolist() == [0, 1, 2, 3]
    assert frame["value"].tolist() == [0.1, 0.2, 0.3, 0.4]


def test_metrics_frame_table(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.log_table("per_class", {"label": ["a", "b"], "f1": [0.5, 0.75]})
    run.log_row("per_class", label="c", f1=1.0)
    run.complete()
    frame = metrics_frame(run, "per_class")
    assert sorted(frame.columns) == ["f1", "label"]
    assert frame["label"].tolist() == ["a", "b", "c"]
    assert frame["f1"].tolist() == [0.5, 0.75, 1.0]


def test_metrics_frame_unknown_metric_is_empty(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.complete()
    frame = metrics_frame(run, "nothing")
    assert frame.empty and list(frame.columns) == ["step", "time", "value"]


def test_runs_frame_of_experiment(experiment):
    first = experiment.start_logging(snapshot_directory=None, outputs=False,
                                     display_name="first")
    first.tag("lr", "0.1")
    first.log("loss", 0.9)
    first.log("loss", 0.3)
    first.log("name", "resnet")
    first.log_list("hist", [1, 2])
    first.complete()
    second = experiment.start_logging(snapshot_directory=None, outputs=False)
    second.set_tags({"lr": "0.01", "opt": "adam"})
    second.log("loss", 0.7)
    second.fail(error_details="diverged")
    running = experiment.start_logging(snapshot_directory=None, outputs=False)
    try:
        frame = runs_frame(experiment)
    finally:
        running.complete()
    assert list(frame.columns[:9]) == ["run_id", "experiment", "number", "display_name",
                                       "status", "start_time", "end_time", "duration",
                                       "parent_run_id"]
    assert {"tags.lr", "tags.opt", "metrics.loss", "metrics.name"} <= set(frame.columns)
    assert "metrics.hist" not in frame.columns  # only scalar run.log metrics
    by_id = frame.set_index("run_id")
    assert set(by_id.index) == {first.id, second.id, running.id}
    assert by_id.loc[first.id, "status"] == "Completed"
    assert by_id.loc[first.id, "display_name"] == "first"
    assert by_id.loc[first.id, "metrics.loss"] == 0.3  # last value
    assert by_id.loc[first.id, "metrics.name"] == "resnet"
    assert by_id.loc[first.id, "tags.lr"] == "0.1"
    assert by_id.loc[second.id, "status"] == "Failed"
    assert by_id.loc[second.id, "tags.opt"] == "adam"
    assert pd.isna(by_id.loc[first.id, "tags.opt"])
    assert by_id.loc[first.id, "duration"] >= pd.Timedelta(0)
    assert by_id.loc[first.id, "end_time"] >= by_id.loc[first.id, "start_time"]
    assert pd.isna(by_id.loc[running.id, "end_time"])
    assert frame["experiment"].unique().tolist() == ["frames"]


def test_runs_frame_of_runs_and_children(experiment):
    parent = experiment.start_logging(snapshot_directory=None, outputs=False)
    child = parent.child_run()
    child.log("score", 5)
    child.complete()
    parent.complete()
    top = runs_frame(experiment)
    assert top["run_id"].tolist() == [parent.id]
    everything = runs_frame(experiment, include_children=True)
    assert set(everything["run_id"]) == {parent.id, child.id}
    listed = runs_frame([parent], include_children=True, include_properties=True)
    assert listed["run_id"].tolist() == [parent.id, child.id]
    assert listed.set_index("run_id").loc[child.id, "parent_run_id"] == parent.id
    assert listed.set_index("run_id").loc[child.id, "metrics.score"] == 5


def test_runs_frame_empty():
    frame = runs_frame([])
    assert frame.empty and "run_id" in frame.columns


def test_runs_frame_reads_last_values_not_points(experiment, mlws_store_backend, monkeypatch):
    runs = []
    for i in range(3):
        run = experiment.start_logging(snapshot_directory=None, outputs=False)
        for step in range(500):
            run.log("loss", 1.0 / (step + 1) + i, step=step)
        run.log("label", f"run {i}")
        run.log_list("empty", [])
        run.complete()
        runs.append(run)
    store = experiment.workspace._store
    if mlws_store_backend == "sql":  # the HTTP store derives last values from a values read
        def no_points(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise AssertionError("runs_frame read metric points")

        for method in ("get_all_metric_values", "read_metric_values", "get_metric_series",
                       "get_metric_columns"):
            monkeypatch.setattr(store, method, no_points)
    frame = runs_frame(experiment).set_index("run_id")
    for i, run in enumerate(runs):
        assert frame.loc[run.id, "metrics.loss"] == 1.0 / 500 + i
        assert frame.loc[run.id, "metrics.label"] == f"run {i}"
    assert "metrics.empty" not in frame.columns


def test_run_table_is_list_runs_as_columns(experiment):
    from jupyter_mlws.store.base import RunQuery, RunTable

    store = experiment.workspace._store
    for i in range(6):
        run = experiment.start_logging(snapshot_directory=None, outputs=False,
                                       display_name=f"run {i}")
        run.set_tags({"parity": str(i % 2), **({"odd": "yes"} if i % 2 else {})})
        run.add_properties({"index": str(i)})
        run.log("score", [3.0, math.nan, 1.0, 5.0, "text", 2.0][i])
        run.flush()
        if i < 5:
            run.complete()
    workspace_id = experiment.workspace._record.id
    queries = [RunQuery(experiment_id=experiment._record.id),
               RunQuery(experiment_id=experiment._record.id, order_by="metric:score"),
               RunQuery(experiment_id=experiment._record.id, order_by="metric:score",
                        descending=False, limit=3, offset=1),
               RunQuery(experiment_id=experiment._record.id, tags={"parity": "1"},
                        status=["Completed"], order_by="number", descending=False)]
    for query in queries:
        for properties in (False, True):
            expected = RunTable.of(store.list_runs(workspace_id, query), properties)
            assert store.run_table(workspace_id, query, include_properties=properties) == \
                expected
    by_score = store.run_table(workspace_id, queries[1]).display_name
    assert by_score[:3] == ["run 3", "run 0", "run 5"]  # NaN and text come last
