"""Run identity, lifecycle, tags/properties, details and children (v1 sections 4.1-4.10)."""

from __future__ import annotations

import os
import re

import pytest

from jupyter_mlws.core import Experiment, Run
from jupyter_mlws.core.run import get_run
from jupyter_mlws.core.status import RunStatus
from jupyter_mlws.exceptions import UserErrorException

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def experiment_name() -> str:
    return "life"


def fresh(run: Run) -> Run:
    return Run.get(run.experiment.workspace, run.id)


def test_start_logging_creates_running_run(experiment, tmp_path):
    with pytest.warns(UserWarning, match="converting int"):
        run = experiment.start_logging(display_name="first", tags={"k": "v", "n": 3},
                                       description="about", snapshot_directory=None)
    assert UUID4.match(run.id)
    assert os.path.isdir(tmp_path / "work" / "outputs")
    got = fresh(run)
    assert got.status == RunStatus.RUNNING == got.get_status()
    assert got.display_name == "first" and got.description == "about"
    assert got.tags == {"k": "v", "n": "3"}
    assert got.number == 1 and got.experiment.name == "life" and got.parent is None
    assert got._record.owner and str(os.getpid()) in got._record.owner
    second = experiment.start_logging(run_id="my-id", outputs=False, snapshot_directory=None)
    assert second.id == "my-id" and second.number == 2
    assert {r.status for r in (run, second)} == {RunStatus.RUNNING}  # both open at once
    run.complete()
    second.complete()


def test_complete_fail_cancel_and_terminal_is_final(experiment):
    done = experiment.start_logging(snapshot_directory=None)
    done.complete()
    done.fail("too late")
    assert fresh(done).status == RunStatus.COMPLETED and fresh(done)._record.error is None

    failed = experiment.start_logging(snapshot_directory=None)
    failed.fail("bad data", error_code="DataError")
    failed.complete()
    details = fresh(failed).get_details()
    assert details["status"] == RunStatus.FAILED
    assert details["error"]["error"]["code"] == "DataError"
    assert details["error"]["error"]["message"] == "bad data"
    assert "endTimeUtc" in details

    canceled = experiment.start_logging(snapshot_directory=None)
    canceled.cancel()
    assert fresh(canceled).status == RunStatus.CANCELED


def test_with_statement_statuses(experiment):
    with experiment.start_logging(snapshot_directory=None) as ok:
        ok.log("a", 1)
    assert fresh(ok).status == RunStatus.COMPLETED
    assert fresh(ok).get_metrics() == {"a": 1}

    with experiment.start_logging(snapshot_directory=None) as exits:
        raise SystemExit(0)
    assert fresh(exits).status == RunStatus.COMPLETED

    with experiment.start_logging(snapshot_directory=None) as exits_none:
        raise SystemExit()
    assert fresh(exits_none).status == RunStatus.COMPLETED

    with pytest.raises(ValueError, match="broken"), \
            experiment.start_logging(snapshot_directory=None) as bad:
        raise ValueError("broken")
    error = fresh(bad)._record.error["error"]
    assert fresh(bad).status == RunStatus.FAILED
    assert "ValueError" in error["message"] and "broken" in error["message"]
    assert "Traceback" in error["traceback"] and "raise ValueError" in error["traceback"]

    with pytest.raises(SystemExit), experiment.start_logging(snapshot_directory=None) as code1:
        raise SystemExit(1)
    assert fresh(code1).status == RunStatus.FAILED

    with pytest.raises(KeyboardInterrupt), \
            experiment.start_logging(snapshot_directory=None) as interrupted:
        raise KeyboardInterrupt
    assert fresh(interrupted).status == RunStatus.CANCELED


def test_outputs_uploaded_when_run_ends(experiment, tmp_path):
    run = experiment.start_logging(snapshot_directory=None)
    (tmp_path / "work" / "outputs" / "model.txt").write_text("weights")
    run.complete()
    assert "outputs/model.txt" in run.get_file_names()


def test_tags_and_properties(experiment):
    run = experiment.start_logging(snapshot_directory=None)
    run.tag("favorite")
    with pytest.warns(UserWarning, match="converting float"):
        run.tag("lr", 0.1)
    run.set_tags({"a": "1", "b": "2"})
    run.remove_tags(["b"])
    assert run.get_tags() == {"favorite": None, "lr": "0.1", "a": "1"}
    assert run.tags == fresh(run).tags

    with pytest.warns(UserWarning, match="converting int"):
        run.add_properties({"p": "1", "q": 2})
    run.add_properties({})
    run.add_properties({"p": "1"})  # same value: fine
    with pytest.raises(UserErrorException, match="immutable"):
        run.add_properties({"p": "changed"})
    props = run.get_properties()
    assert props["p"] == "1" and props["q"] == "2"
    assert run.properties == props
    run.complete()


def test_identity_details_str_and_portal_url(experiment, monkeypatch):
    run = experiment.start_logging(snapshot_directory=None, display_name="shown")
    run.display_name = "renamed"
    run.description = "described"
    got = fresh(run)
    assert got.display_name == "renamed" and got.description == "described"
    assert str(got) == (f"Run(Experiment: life,\nId: {run.id},\nType: {got.type},\n"
                        "Status: Running)")
    details = got.get_details()
    assert {"runId", "target", "status", "startTimeUtc", "properties", "inputDatasets",
            "outputDatasets", "runDefinition", "logFiles", "submittedBy", "displayName",
            "description"} <= set(details)
    assert "endTimeUtc" not in details and "error" not in details
    assert details["runId"] == run.id and details["target"] == "local"
    assert details["startTimeUtc"].endswith("Z")
    assert got.get_detailed_status() == {"status": "Running", "details": None}

    from jupyter_mlws.core import lab_link

    ws_id = experiment.workspace._record.id
    monkeypatch.setattr(lab_link, "lab_server_url", lambda store: None)
    monkeypatch.setattr(lab_link, "in_notebook", lambda: True)
    assert run.get_portal_url() == f"mlws://runs/{ws_id}/{run.id}"
    monkeypatch.setattr(lab_link, "lab_server_url", lambda store: "http://localhost:8888/")
    assert run.get_portal_url() == (
        f"http://localhost:8888/lab?mlws-run={run.id}&mlws-workspace={ws_id}")
    html = run._repr_html_()
    assert "Details Page" in html and "mlws-run=" in html
    run.complete()


def test_list_get_and_get_run(experiment):
    first = experiment.start_logging(snapshot_directory=None, tags={"kind": "a"})
    first.complete()
    second = experiment.start_logging(snapshot_directory=None, tags={"kind": "b"})
    child = second.child_run()
    assert [r.id for r in Run.list(experiment)] == [second.id, first.id]
    assert next(r.id for r in experiment.get_runs(include_children=True)) == child.id
    assert [r.id for r in Run.list(experiment, tags={"kind": "a"})] == [first.id]
    assert [r.id for r in Run.list(experiment, tags="kind")] == [second.id, first.id]
    assert [r.id for r in Run.list(experiment, status="Completed")] == [first.id]
    assert get_run(experiment, first.id).id == first.id
    other = Experiment(experiment.workspace, "other")
    with pytest.raises(UserErrorException):
        get_run(other, first.id)
    assert Run(experiment, first.id).status == RunStatus.COMPLETED
    child.complete()
    second.complete()


def test_type_provider_used_when_rehydrating(experiment):
    class SpecialRun(Run):
        pass

    run = Run._create(experiment)
    store = experiment.workspace._store
    # A run of a registered type, as the executor or a pipeline would create it.
    typed = store.create_run(experiment.workspace._record.id, experiment._record.id,
                             run_id="typed-1", run_type="test.special", status="Completed")
    Run.add_type_provider("test.special", SpecialRun._from_record)
    try:
        runs = {r.id: r for r in Run.list(experiment)}
        assert type(runs[typed.id]) is SpecialRun and type(runs[run.id]) is Run
        assert type(Run.get(experiment.workspace, "typed-1")) is SpecialRun
    finally:
        Run._type_providers.pop("test.special")
    run.complete()


def test_children(experiment):
    parent = experiment.start_logging(snapshot_directory=None)
    with parent.child_run("step") as child:
        assert child.status == RunStatus.RUNNING and child.parent.id == parent.id
    assert fresh(child).status == RunStatus.COMPLETED
    assert fresh(child)._record.parent_run_id == parent.id

    batch = parent.create_children(count=3)
    assert sorted(c.tags["azureml.batch_child_number"] for c in batch) == ["0", "1", "2"]
    tagged = parent.create_children(tag_key="lr", tag_values=["0.1", "0.01"])
    assert sorted(c.tags["lr"] for c in tagged) == ["0.01", "0.1"]
    grandchild = tagged[0].child_run()
    for c in batch + tagged[1:]:
        c.complete()

    assert len(list(parent.get_children())) == 6
    assert len(list(parent.get_children(recursive=True))) == 7
    assert [c.id for c in parent.get_children(tags={"lr": "0.1"})] == [tagged[0].id]
    assert {c.id for c in parent.get_children(status="Running")} == {tagged[0].id}
    with pytest.raises(UserErrorException):
        parent.create_children(count=101)
    with pytest.raises(UserErrorException):
        parent.create_children()
    grandchild.complete()
    tagged[0].complete()
    parent.complete()


def test_snapshot_failure_leaves_no_run_behind(experiment, monkeypatch):
    from jupyter_mlws.exceptions import SnapshotException

    store = experiment.workspace._store

    def refuse(workspace_id, files):
        raise SnapshotException("the store refused the snapshot")

    monkeypatch.setattr(store, "create_snapshot", refuse)
    with pytest.raises(SnapshotException):
        experiment.start_logging()
    assert list(Run.list(experiment)) == []  # checked before the run was created


def test_start_logging_takes_snapshot_and_git_properties(experiment, tmp_path):
    (tmp_path / "work" / "train.py").write_text("print('hi')\n")
    run = experiment.start_logging()
    assert fresh(run)._record.snapshot_id
    assert "ContentSnapshotId" in run.get_properties()
    run.complete()
