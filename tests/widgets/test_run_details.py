"""RunDetails: traits, request handling, live updates that stop, display bundles, v1 data."""

from __future__ import annotations

import base64
import threading

import pytest

from jupyter_mlws.core import lab_link
from jupyter_mlws.widgets import RunDetails
from jupyter_mlws.widgets.run_details import FrontEndNotBuiltError
from tests.helpers import wait_until

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def details_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("mlws-run-details-")]


def test_traits_and_requests(experiment, sent, widget_esm, monkeypatch):
    monkeypatch.setattr(lab_link, "lab_server_url", lambda store: None)
    run = experiment.start_logging(display_name="traits", snapshot_directory=None,
                                   outputs=False)
    widget = RunDetails(run, refresh_interval=0.05)
    widget.send = sent
    try:
        assert widget.run_id == run.id and widget.workspace_id == run._record.workspace_id
        assert widget.summary["status"] == "Running" and not widget.is_finished
        assert widget.lab_url == "" and widget.error == ""
        assert widget._esm == widget_esm.read_text()
        widget._handle_custom_msg({"type": "request", "id": "a", "op": "run", "args": {}}, [])
        answer = sent.messages[-1]
        assert answer["type"] == "response" and answer["id"] == "a" and answer["ok"]
        assert answer["data"]["id"] == run.id and set(answer["data"]) == set(widget.summary)
        widget._handle_custom_msg({"type": "other"}, [])  # not a request: ignored
        assert len(sent.messages) == 1
    finally:
        run.complete()
        widget.close()


def test_lab_url_only_for_a_running_jupyterlab(experiment, monkeypatch):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.complete()
    monkeypatch.setattr(lab_link, "lab_server_url", lambda store: "http://localhost:8888/")
    widget = RunDetails(run)
    assert widget.lab_url == (f"http://localhost:8888/lab?mlws-run={run.id}"
                              f"&mlws-workspace={run._record.workspace_id}")
    widget.close()


def test_live_updates_stop_after_the_final_refresh(experiment, sent):
    run = experiment.start_logging(display_name="live", snapshot_directory=None,
                                   outputs=False)
    child = run.child_run(name="child")
    widget = RunDetails(run, refresh_interval=0.05)
    widget.send = sent
    thread = widget.refresh_thread
    assert thread is not None and thread.is_alive()
    run.log("loss", 0.5)
    run.flush()
    wait_until(lambda: ["metrics"] in sent.changes(), 10, what="a metrics change")
    run._store.append_log(run.id, "logs/out.txt", b"line\n")
    wait_until(lambda: any("logs" in w for w in sent.changes()), 10, what="a logs change")
    run.upload_file("outputs/a.txt", __file__)
    wait_until(lambda: any("files" in w for w in sent.changes()), 10, what="a files change")
    run.complete()
    wait_until(lambda: any("status" in w for w in sent.changes()), 10, what="a status change")
    # The parent ended but a child is active: still refreshing.
    assert thread.is_alive() and not widget.is_finished
    child.fail("child broke")
    thread.join(10)
    assert not thread.is_alive(), "the refresh thread must end once everything is terminal"
    assert widget.is_finished and widget.summary["status"] == "Completed"
    assert "children" in sent.changes()[-1]
    assert run.id not in {t.name.removeprefix("mlws-run-details-") for t in details_threads()}
    widget.close()


def test_finished_run_starts_no_thread_and_failed_run_shows_error(experiment):
    run = experiment.start_logging(display_name="fails", snapshot_directory=None,
                                   outputs=False)
    try:
        raise RuntimeError("diverged")
    except RuntimeError as exc:
        run.fail(exc)
    before = len(details_threads())
    widget = RunDetails(run)
    assert widget.refresh_thread is None and len(details_threads()) == before
    assert widget.is_finished and widget.summary["status"] == "Failed"
    assert "diverged" in widget.error
    widget.close()


def test_close_stops_the_thread(experiment):
    run = experiment.start_logging(display_name="closed", snapshot_directory=None,
                                   outputs=False)
    widget = RunDetails(run, refresh_interval=0.05)
    thread = widget.refresh_thread
    widget.close()
    thread.join(5)
    assert not thread.is_alive()
    run.complete()


def test_display_bundle_has_widget_and_static_fallback(experiment, widget_esm):
    run = experiment.start_logging(display_name="bundle", snapshot_directory=None,
                                   outputs=False)
    for step in range(10):
        run.log("loss", 1 / (step + 1), step=step)
    run.log("final", 0.25)
    run.tag("team", "blue")
    run.complete()
    widget = RunDetails(run)
    data, _ = widget._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == widget.model_id
    html = data["text/html"]
    assert "Completed" in html and run.id in html and "team" in html and "final" in html
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG") and "data:image/png;base64," in html
    assert data["text/plain"] == f"RunDetails(run {run.id}, Completed)"
    widget.close()


def test_missing_front_end_fails_at_display_with_a_clear_error(experiment, monkeypatch,
                                                               tmp_path):
    monkeypatch.setenv("MLWS_WIDGET_ESM", str(tmp_path / "missing.js"))
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    run.complete()
    widget = RunDetails(run)  # creating it works
    with pytest.raises(FrontEndNotBuiltError, match="front end is not built"):
        widget._repr_mimebundle_()
    with pytest.raises(FrontEndNotBuiltError):
        widget.show()
    widget.close()


def test_get_widget_data_is_v1_shaped(experiment):
    run = experiment.start_logging(display_name="v1", snapshot_directory=None, outputs=False)
    run.log("acc", 0.9)
    run.log_list("folds", [1, 2])
    with run.child_run(name="c1") as child:
        child.log("loss", 0.1)
    run._store.append_log(run.id, "logs/70_driver_log.txt", b"hello")
    run.complete()
    widget = RunDetails(run)
    data = widget.get_widget_data({"debug": True})
    assert set(data) == {"status", "workbench_run_details_uri", "run_id", "run_properties",
                         "child_runs", "children_metrics", "run_metrics", "run_logs", "graph",
                         "widget_settings"}
    assert data["status"] == "Completed" and data["widget_settings"]["debug"] is True
    assert data["run_properties"]["log_groups"] == [["logs/70_driver_log.txt"]]
    assert data["run_logs"] == "hello\n\nRun is completed."
    metrics = {m["name"]: m["series"][0]["data"] for m in data["run_metrics"]}
    assert metrics == {"acc": [0.9], "folds": [1, 2]}
    assert data["child_runs"][0]["metric"] == {"loss": 0.1}
    assert data["children_metrics"]["series"]["loss"][0]["run_id"] == child.id
    widget.close()


def test_rejects_non_runs():
    with pytest.raises(Exception, match="needs a Run"):
        RunDetails("not a run")
