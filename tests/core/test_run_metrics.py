"""Run metric logging and get_metrics shapes (v1 sections 4.5 and 4.6), through the SDK."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from jupyter_mlws.api.table import operation
from jupyter_mlws.core.run_metrics import MAX_STRING_LENGTH
from jupyter_mlws.exceptions import UserErrorException

LIST_MESSAGE = "run.log does not support list type. Use run.log_list instead"


def test_single_scalar_is_bare_value(run):
    run.log("a", 0.5)
    assert run.get_metrics() == {"a": 0.5}


def test_repeated_scalar_is_list_and_types_kept(run):
    for value in (1, 2.5, 3):
        run.log("a", value)
    metrics = run.get_metrics()
    assert metrics == {"a": [1, 2.5, 3]}
    assert [type(v) for v in metrics["a"]] == [int, float, int]


def test_scalar_types_round_trip(run):
    for value in (True, None, "text", 2**60, -1.25):
        run.log(f"m{type(value).__name__}", value)
    assert run.get_metrics() == {"mbool": True, "mNoneType": None, "mstr": "text",
                                 "mint": 2**60, "mfloat": -1.25}


def test_nan_and_inf_round_trip(run):
    for value in (math.nan, math.inf, -math.inf):
        run.log("x", value)
    values = run.get_metrics()["x"]
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf


def test_step_is_accepted_and_not_returned(run):
    run.log("loss", 0.3, step=1)
    run.log("loss", 0.2, step=np.int64(2))
    assert run.get_metrics() == {"loss": [0.3, 0.2]}
    with pytest.raises(UserErrorException, match="step"):
        run.log("loss", 0.1, step="three")


def test_log_list_shapes(run):
    run.log_list("l", [1, 2, 3])
    run.log_list("one", [7])
    run.log_list("twice", [1, 2])
    run.log_list("twice", [3])
    assert run.get_metrics() == {"l": [1, 2, 3], "one": 7, "twice": [1, 2, 3]}


def test_log_row_shapes(run):
    run.log_row("once", x=1, y=0.5)
    run.log_row("r", x=1, y=0.5)
    run.log_row("r", x=2, y=0.7)
    assert run.get_metrics() == {"once": {"x": 1, "y": 0.5},
                                 "r": {"x": [1, 2], "y": [0.5, 0.7]}}


def test_log_table_shapes_and_concatenation_with_rows(run):
    run.log_table("t", {"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})
    run.log_table("single", {"x": [1], "y": [0.1]})
    run.log_table("mixed", {"x": [1, 2], "y": [0.1, 0.2]})
    run.log_row("mixed", x=3, y=0.3)
    assert run.get_metrics() == {
        "t": {"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]},
        "single": {"x": 1, "y": 0.1},
        "mixed": {"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]},
    }


def test_name_filter_and_empty_run(run):
    assert run.get_metrics() == {}
    run.log("a", 1)
    run.log("b", 2)
    assert run.get_metrics(name="b") == {"b": 2}
    assert run.get_metrics(name="missing") == {}


def test_numpy_scalars_become_python(run):
    run.log("f", np.float32(0.5))
    run.log("i", np.int64(3))
    run.log("b", np.bool_(True))
    run.log_list("l", np.array([1, 2]))
    metrics = run.get_metrics()
    assert metrics == {"f": 0.5, "i": 3, "b": True, "l": [1, 2]}
    assert type(metrics["i"]) is int and type(metrics["b"]) is bool


@pytest.mark.parametrize("value", [[1, 2], (1, 2), range(3), (i for i in range(2)),
                                   np.array([1.0, 2.0])])
def test_log_rejects_sequences(run, value):
    with pytest.raises(UserErrorException,
                       match=re.escape(LIST_MESSAGE)):
        run.log("a", value)


def test_other_objects_stored_as_repr_with_warning(run):
    class Thing:
        def __repr__(self) -> str:
            return "<thing>"

    with pytest.warns(UserWarning, match="repr"):
        run.log("obj", Thing())
    assert run.get_metrics() == {"obj": "<thing>"}


@pytest.mark.parametrize("name", ["", "   ", 3, None, "x" * 300])
def test_invalid_names_rejected(run, name):
    with pytest.raises(UserErrorException, match="metric name"):
        run.log(name, 1)


def test_bad_input_loses_nothing_already_logged(run):
    run.log("kept", 1)
    run.log_list("lst", [1, 2])
    with pytest.raises(UserErrorException, match=str(MAX_STRING_LENGTH)):
        run.log("s", "x" * (MAX_STRING_LENGTH + 1))
    with pytest.raises(UserErrorException, match="same length"):
        run.log_table("t", {"x": [1, 2], "y": [1]})
    with pytest.raises(UserErrorException, match="scalar"):
        run.log_list("lst", [3, [4, 5]])
    with pytest.raises(UserErrorException, match="scalar"):
        run.log_row("r", x=[1, 2])
    with pytest.raises(UserErrorException, match="cannot also take"):
        run.log_list("kept", [2])
    run.log("s", "x" * MAX_STRING_LENGTH)
    metrics = run.get_metrics()
    assert metrics["kept"] == 1 and metrics["lst"] == [1, 2]
    assert "t" not in metrics and "r" not in metrics
    assert len(metrics["s"]) == MAX_STRING_LENGTH


def test_metrics_of_an_attached_run_keep_their_kind(experiment, run):
    from jupyter_mlws.core import Run

    run.log("a", 1)
    run.flush()
    attached = Run(experiment, run.id)
    with pytest.raises(UserErrorException, match="cannot also take"):
        attached.log_row("a", x=1)
    attached.log("a", 2)
    assert run.get_metrics() == {"a": [1, 2]}


def test_recursive_metrics_keyed_by_run_id(run):
    run.log("parent_metric", 1)
    child = run.child_run("child")
    grandchild = child.child_run("grandchild")
    silent = run.child_run("silent")
    child.log("c", 2)
    grandchild.log_list("g", [1, 2])
    metrics = run.get_metrics(recursive=True)
    assert metrics == {run.id: {"parent_metric": 1}, child.id: {"c": 2},
                       grandchild.id: {"g": [1, 2]}}
    assert silent.id not in metrics
    assert child.get_metrics(recursive=True, name="g") == {grandchild.id: {"g": [1, 2]}}
    for r in (grandchild, child, silent):
        r.complete()


def test_logging_is_visible_after_flush_without_get_metrics(run):
    run.log("a", 1)
    run.flush()
    info = {m.name: m.count for m in run._store.list_metrics(run.id)}
    assert info == {"a": 1}


def test_artifact_metric_first_value_and_populate(run, tmp_path):
    source = tmp_path / "blob.bin"
    source.write_bytes(b"\x89PNG fake bytes")
    run.upload_file("plots/a.png", str(source))
    uri = f"aml://artifactId/ExperimentRun/dcid.{run.id}/plots/a.png"
    run._log_point("img", "image", uri)
    run._log_point("img", "image", uri + "?second")
    assert run.get_metrics() == {"img": uri}
    populated = run.get_metrics(populate=True)["img"]
    assert populated.data == b"\x89PNG fake bytes" and populated.path == "plots/a.png"


# ---- values no store can hold are refused at the call (issue 9), both stores

SURROGATE = "bad\ud800text"


def _refused(match: str, call, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserErrorException, match=match):
        call(*args, **kwargs)


def test_lone_surrogates_are_refused_wherever_text_goes(run):
    run.log("kept", 1)
    where = "surrogate"
    _refused(where, run.log, SURROGATE, 1)
    _refused(r"metric 'v'.*surrogate", run.log, "v", SURROGATE)
    _refused(r"description of metric 'v'.*surrogate", run.log, "v", 1, description=SURROGATE)
    _refused(r"list metric 'l'.*surrogate", run.log_list, "l", [1, SURROGATE])
    _refused(r"table 'r'.*surrogate", run.log_row, "r", ok=1, bad=SURROGATE)
    _refused(r"column name of table 'r'.*surrogate", run.log_row, "r", **{SURROGATE: 1})
    _refused(r"table 't'.*surrogate", run.log_table, "t", {"x": [1, 2], "y": ["a", SURROGATE]})
    _refused(r"column name of table 't'.*surrogate", run.log_table, "t", {SURROGATE: [1]})
    _refused(r"metric 'n'.*NUL", run.log, "n", "a\x00b")
    _refused(r"metric name.*NUL", run.log, "a\x00b", 1)
    # Nothing of a refused call was queued; later logging works and is stored.
    run.log("v", "fine ✓")
    run.log_list("l", [1, 2])
    assert run.get_metrics() == {"kept": 1, "v": "fine ✓", "l": [1, 2]}


def test_numbers_beyond_a_float_are_refused_and_big_ints_kept_exactly(run):
    huge = 10**400
    _refused(r"metric 'x'.*too large", run.log, "x", huge)
    _refused(r"list metric 'l'.*too large", run.log_list, "l", [1, huge])
    _refused(r"table 'r'.*too large", run.log_row, "r", a=huge)
    _refused(r"table 't'.*too large", run.log_table, "t", {"a": [1, huge]})
    _refused(r"step of metric 'x'.*64-bit", run.log, "x", 1.0, step=huge)
    _refused(r"step of metric 'x'.*64-bit", run.log, "x", 1.0, step=2**63)
    _refused(r"step of metric 'x'.*64-bit", run.log, "x", 1.0, step=np.uint64(2**63))
    # Integers a float can order are stored exactly, as before; NaN and inf as ever.
    run.log("x", 2**100 + 1, step=2**63 - 1)
    run.log("x", math.inf, step=-(2**63))
    run.log_row("r", a=-(2**70))
    values = run.get_metrics()
    assert values["x"][0] == 2**100 + 1 and type(values["x"][0]) is int
    assert values["x"][1] == math.inf and values["r"] == {"a": -(2**70)}
    steps = run._store.get_metric_series(run.id, "x").step
    assert steps == [2**63 - 1, -(2**63)] and all(type(s) is int for s in steps)


# ---- empty lists and tables are recorded (v1 shape)

def test_empty_list_and_table_are_recorded(run):
    run.log_list("empty", [])
    run.log_list("grows", [])
    run.log_list("grows", [7])
    run.log_table("no_rows", {"x": [], "y": []})
    run.log_table("later", {"a": []})
    run.log_row("later", a=1, b=2)
    assert run.get_metrics() == {"empty": [], "grows": 7, "no_rows": {"x": [], "y": []},
                                 "later": {"a": 1, "b": 2}}
    assert run.get_metrics(name="no_rows") == {"no_rows": {"x": [], "y": []}}
    info = {m.name: m for m in run._store.list_metrics(run.id)}
    assert info["empty"].count == 0 and info["empty"].kind == "list"
    assert info["no_rows"].count == 0 and info["no_rows"].kind == "table"
    # A run whose only metric is empty still appears in a recursive read.
    child = run.child_run("child")
    child.log_list("nothing", [])
    assert run.get_metrics(recursive=True)[child.id] == {"nothing": []}
    child.complete()
    with pytest.raises(UserErrorException, match="cannot also take"):
        run.log("empty", 1)


def test_server_answers_400_to_batches_it_cannot_store(run, mlws_store_backend):
    """The SDK route the HTTP store posts to: values no store can hold are a 400 with a JSON
    message (never a 500 the writer would retry), and nothing of such a batch is stored."""
    if mlws_store_backend != "http":
        pytest.skip("a route of the server")
    http = run._store.http
    path = operation("appendMetrics").path
    head = f'{{"count":2,"run":"{run.id}","name":"m","kind":"scalar","description":"",'
    bodies = {
        "surrogate": head + '"step":[null,null],"time":[1.0,2.0],"value":["ok","\\ud800"]}',
        "too large": head + '"step":[null,null],"time":[1.0,2.0],"value":[1,1' + "0" * 400
        + "]}",
        "64-bit": head + '"step":[1,' + "9" * 30 + '],"time":[1.0,2.0],"value":[1,2]}',
    }
    for problem, body in bodies.items():
        response = http.client.post(http.base + path, content=body.encode(),
                                    headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (problem, response.text)
        assert problem in response.json()["message"]
    run.log("m", "fine")
    assert run.get_metrics() == {"m": "fine"}
