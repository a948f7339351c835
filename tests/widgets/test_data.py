"""The widget's request ops answer with the REST bodies, only for the run and its descendants."""

from __future__ import annotations

import base64
import io
import json

import pytest

from jupyter_mlws.widgets import data as data_module
from jupyter_mlws.widgets.data import WidgetData


def ask(widget_data: WidgetData, op: str, **args):
    return widget_data.answer({"type": "request", "id": 7, "op": op, "args": args})


def ok(widget_data: WidgetData, op: str, **args):
    answer = ask(widget_data, op, **args)
    assert answer["ok"], answer
    assert answer["type"] == "response" and answer["id"] == 7
    json.dumps(answer, allow_nan=False)  # travels as strict JSON over the comm
    return answer["data"]


@pytest.fixture
def family(experiment, tmp_path):
    """A parent with a child and a grandchild, metrics, files, a log and a snapshot."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text("print('hi')\n")
    parent = experiment.start_logging(display_name="parent", snapshot_directory=str(source),
                                      outputs=False)
    for step in range(50):
        parent.log("loss", 1 / (step + 1), step=step)
    parent.log("nan_metric", float("nan"))
    parent.log_row("table", a=1, b="x")
    parent.log_row("table", a=2)
    parent.upload_file("outputs/model.bin", io.BytesIO(b"\x00\x01binary"))
    parent._store.append_log(parent.id, "logs/train.log", "héllo\n".encode())
    child = parent.child_run(name="child")
    grandchild = child.child_run(name="grandchild")
    grandchild.log("acc", 0.5)
    for run in (grandchild, child, parent):
        run.flush()
    other = experiment.start_logging(display_name="other", snapshot_directory=None,
                                     outputs=False)
    yield parent, child, grandchild, other
    for run in (grandchild, child, parent, other):
        run.complete()


def test_run_op_is_the_rest_run_body(family):
    parent, *_ = family
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    body = ok(wd, "run")
    assert body["id"] == parent.id and body["status"] == "Running"
    assert body["display_name"] == "parent" and body["snapshot_id"]
    assert set(body) >= {"experiment_name", "number", "tags", "properties", "error"}


def test_metrics_and_series_ops(family):
    parent, *_ = family
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    names = {m["name"]: m for m in ok(wd, "metrics")["metrics"]}
    assert names["loss"]["count"] == 50 and names["loss"]["kind"] == "scalar"
    series = ok(wd, "series", name="loss", since=40)
    assert series["seq"] == list(range(41, 51)) and series["total"] == 50
    small = ok(wd, "series", name="loss", max_points=10)
    assert len(small["value"]) <= 10
    assert ok(wd, "series", name="nan_metric")["value"] == ["NaN"]
    table = ok(wd, "series", name="table")
    assert table["columns"] == {"a": [1, 2], "b": ["x", None]} and "value" not in table
    bad = ask(wd, "series", name="loss", max_points=1)
    assert not bad["ok"] and "max_points" in bad["error"]
    missing = ask(wd, "series", name="nope")
    assert not missing["ok"]
    window = ok(wd, "series", name="loss", since=10, until=15)
    assert window["seq"] == [11, 12, 13, 14, 15] and window["total"] == 50


def test_cancel_op_cancels_the_run_or_a_descendant(family):
    parent, _child, grandchild, _ = family
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    assert ok(wd, "cancel", run_id=grandchild.id)["status"] == "Canceled"
    assert grandchild.get_status() == "Canceled"
    body = ok(wd, "cancel")
    assert body["status"] == "Canceled" and parent.get_status() == "Canceled"
    assert ok(wd, "cancel")["status"] == "Canceled"  # a finished run stays as it is


def test_children_op_lists_direct_children(family):
    parent, child, grandchild, _ = family
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    body = ok(wd, "children")
    assert [r["id"] for r in body["runs"]] == [child.id] and body["total"] == 1
    nested = ok(wd, "children", run_id=child.id)
    assert [r["id"] for r in nested["runs"]] == [grandchild.id]


def test_artifacts_artifact_and_log_tail_ops(family):
    parent, *_ = family
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    listing = ok(wd, "artifacts")
    paths = sorted(a["path"] for a in listing["artifacts"])
    assert paths == ["logs/train.log", "outputs/model.bin"]
    folders = {c["name"] for c in listing["tree"]["children"]}
    assert folders == {"logs", "outputs"}
    only = ok(wd, "artifacts", prefix="outputs/")
    assert [a["path"] for a in only["artifacts"]] == ["outputs/model.bin"]
    content = ok(wd, "artifact", path="outputs/model.bin")
    assert base64.b64decode(content["base64"]) == b"\x00\x01binary" and content["size"] == 8
    tail = ok(wd, "log_tail", path="logs/train.log")
    assert tail["data"] == "héllo\n" and tail["offset"] == tail["size"] == 7
    parent._store.append_log(parent.id, "logs/train.log", b"more\n")
    assert ok(wd, "log_tail", path="logs/train.log", offset=tail["offset"])["data"] == "more\n"
    escape = ask(wd, "artifact", path="../other/x")
    assert not escape["ok"] and ".." in escape["error"]


def test_artifact_cap(family, monkeypatch):
    parent, *_ = family
    monkeypatch.setattr(data_module, "MAX_ARTIFACT_BYTES", 4)
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    answer = ask(wd, "artifact", path="outputs/model.bin")
    assert not answer["ok"] and "too large" in answer["error"]
    answer = ask(wd, "snapshot_file", path="train.py")
    assert not answer["ok"] and "too large" in answer["error"]


def test_snapshot_ops(family):
    parent, child, *_ = family
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    manifest = ok(wd, "snapshot")
    assert manifest["id"] == parent._record.snapshot_id and "train.py" in manifest["files"]
    body = ok(wd, "snapshot_file", path="train.py")
    assert base64.b64decode(body["base64"]) == b"print('hi')\n"
    assert ok(wd, "snapshot", run_id=child.id) is None
    assert not ask(wd, "snapshot_file", run_id=child.id, path="train.py")["ok"]


def test_only_the_run_and_its_descendants(family):
    parent, child, grandchild, other = family
    # Runs with parents that are not the widget's run: its sibling, and a child of another
    # tree (a check that only asked "has a parent" or "same tree" would let them through).
    sibling = parent.child_run(name="sibling")
    cousin = other.child_run(name="cousin")
    wd = WidgetData(parent._store, parent._record.workspace_id, child.id)
    assert ok(wd, "run", run_id=grandchild.id)["id"] == grandchild.id
    assert ok(wd, "metrics", run_id=grandchild.id)["metrics"][0]["name"] == "acc"
    for outsider in (parent.id, other.id, sibling.id, cousin.id, "no-such-run"):
        for op, args in (("run", {}), ("metrics", {}), ("artifacts", {}),
                         ("log_tail", {"path": "logs/train.log"})):
            answer = ask(wd, op, run_id=outsider, **args)
            assert not answer["ok"] and "is not" in answer["error"], (outsider, op)
    for run in (sibling, cousin):
        run.complete()


def test_bad_requests_answer_errors(family):
    parent, *_ = family
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    assert "Unknown op" in ask(wd, "explode")["error"]
    assert not wd.answer({"type": "request", "id": 1, "op": "run", "args": [1]})["ok"]
    assert not ask(wd, "log_tail", path="logs/train.log", offset=-1)["ok"]
    assert not ask(wd, "artifact")["ok"]
    assert "'name'" in ask(wd, "series")["error"]


def test_child_ops_serve_a_sweep(family):
    parent, child, grandchild, _ = family
    child.log("acc", 0.5)
    child.log("acc", 0.7)
    child.tag("lr", "0.1")
    child.flush()
    wd = WidgetData(parent._store, parent._record.workspace_id, parent.id)
    values = ok(wd, "child_values", columns=["metrics.acc", "tags.lr"])
    assert values["ids"] == [child.id] and values["columns"]["metrics.acc"] == [0.7]
    assert values["columns"]["tags.lr"] == ["0.1"]
    # The analysis reads the names with the values: the wildcards bring every one.
    every = ok(wd, "child_values", columns=["metrics.*", "tags.*"])["columns"]
    assert every["metrics.acc"] == [0.7] and every["tags.lr"] == ["0.1"]
    series = ok(wd, "child_series", run_ids=[child.id], names=["acc"])["series"]
    assert [s["value"] for s in series] == [[0.5, 0.7]]
    # Only the widget's run and its descendants: the child's widget does not reach its parent.
    assert ok(wd, "child_series", run_ids=[grandchild.id], names=["acc"])["series"] is not None
    refused = ask(WidgetData(parent._store, parent._record.workspace_id, child.id),
                  "child_series", run_ids=[parent.id], names=["acc"])
    assert not refused["ok"] and "one of its child runs" in refused["error"]
    assert not ask(wd, "child_values", columns="metrics.acc")["ok"]
    assert not ask(wd, "child_values", columns=["bogus"])["ok"]
