"""Runs: lifecycle, tags, properties, queries."""

from __future__ import annotations

import pytest

from jupyter_mlws.store import ConflictError, InvalidInputError, NotFoundError, RunQuery


def test_create_and_get_run(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    r1 = store.create_run(ws.id, exp.id, run_id="r1", tags={"t": None, "u": "1"},
                          properties={"p": "x"}, run_definition={"script": "a.py"},
                          display_name="first", run_type="azureml.scriptrun")
    assert r1.number == 1 and r1.status == "NotStarted" and r1.start_time is None
    assert r1.experiment_name == "exp" and r1.tags == {"t": None, "u": "1"}
    assert r1.properties == {"p": "x"} and r1.run_definition == {"script": "a.py"}
    r2 = store.create_run(ws.id, exp.id, run_id="r2", status="Running")
    assert r2.number == 2 and r2.start_time is not None
    assert store.get_run("r1") == r1
    assert store.get_run("r1", workspace_id=ws.id) == r1
    with pytest.raises(NotFoundError):
        store.get_run("r1", workspace_id="other")
    with pytest.raises(ConflictError):
        store.create_run(ws.id, exp.id, run_id="r1")
    with pytest.raises(InvalidInputError):
        store.create_run(ws.id, exp.id, run_id="r3", status="Bogus")
    with pytest.raises(NotFoundError):
        store.create_run(ws.id, "no-such-experiment", run_id="r4")
    # numbers are per experiment and keep increasing after deletes
    store.delete_run("r2")
    assert store.create_run(ws.id, exp.id, run_id="r5").number == 3
    other = store.get_or_create_experiment(ws.id, "other")
    assert store.create_run(ws.id, other.id, run_id="o1").number == 1


def test_update_run_keeps_timings(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    running = store.update_run("r1", status="Running")
    assert running.start_time is not None and running.end_time is None
    again = store.update_run("r1", status="Running", display_name="dn", heartbeat=True)
    assert again.start_time == running.start_time and again.display_name == "dn"
    assert again.heartbeat_time is not None
    done = store.update_run("r1", status="Completed", snapshot_id="s1")
    assert done.end_time is not None and done.snapshot_id == "s1"
    kept = store.update_run("r1", status="Failed", error={"error": {"code": "X"}},
                            only_if_active=True)
    assert kept.status == "Completed" and kept.error is None
    failed = store.update_run("r1", status="Failed", error={"error": {"code": "X"}})
    assert failed.status == "Failed" and failed.end_time == done.end_time
    assert failed.error == {"error": {"code": "X"}}
    with pytest.raises(NotFoundError):
        store.update_run("missing", status="Running")


def test_tags_and_properties(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1", tags={"a": "1"})
    assert store.set_run_tags("r1", {"a": "2", "b": None}) == {"a": "2", "b": None}
    assert store.remove_run_tags("r1", ["a", "zz"]) == {"b": None}
    assert store.add_run_properties("r1", {"p": "1"}) == {"p": "1"}
    assert store.add_run_properties("r1", {"p": "1", "q": "2"}) == {"p": "1", "q": "2"}
    with pytest.raises(ConflictError):
        store.add_run_properties("r1", {"p": "changed", "r": "3"})
    assert store.get_run("r1").properties == {"p": "1", "q": "2"}
    with pytest.raises(InvalidInputError):
        store.add_run_properties("r1", {"n": 5})
    assert store.get_run("r1").tags == {"b": None}


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\x00"])
def test_text_no_database_can_hold_is_refused_alike_everywhere(store, ws, exp, bad) -> None:  # type: ignore[no-untyped-def]
    """A lone surrogate (no driver can encode it) or a NUL (PostgreSQL refuses it, SQLite
    would keep it) is the same clear 400 on both databases, and nothing is half-written."""
    store.create_run(ws.id, exp.id, run_id="r1", tags={"keep": "1"}, properties={"p": "1"})
    attempts = [
        lambda: store.create_run(ws.id, exp.id, run_id="r2", tags={"t" + bad: "v"}),
        lambda: store.create_run(ws.id, exp.id, run_id="r2", display_name="d" + bad),
        lambda: store.set_run_tags("r1", {"t": "v" + bad, "other": "x"}),
        lambda: store.set_run_tags("r1", {"t" + bad: "v"}),
        lambda: store.add_run_properties("r1", {"q" + bad: "v"}),
        lambda: store.add_run_properties("r1", {"q": bad}),
        lambda: store.update_run("r1", display_name=bad),
        lambda: store.update_run("r1", description="x" + bad),
        lambda: store.edit_run("r1", description=bad),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidInputError, match=r"lone surrogate|NUL character"):
            attempt()
    run = store.get_run("r1")
    assert run.tags == {"keep": "1"} and run.properties == {"p": "1"}
    assert run.display_name is None and run.description is None
    with pytest.raises(NotFoundError):
        store.get_run("r2")


def _ids(records) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.id for r in records]


def test_list_runs_filters_sorting_paging(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    other = store.get_or_create_experiment(ws.id, "other")
    for i in range(6):
        store.create_run(ws.id, exp.id, run_id=f"run_{i}", display_name=f"Trial {i}",
                         tags={"even": str(i % 2 == 0)} | ({"star": None} if i == 3 else {}),
                         properties={"grp": "a" if i < 3 else "b"},
                         run_type="hyper" if i == 5 else None)
    store.create_run(ws.id, other.id, run_id="x_0")
    store.create_run(ws.id, exp.id, run_id="child_a", parent_run_id="run_0")
    store.create_run(ws.id, exp.id, run_id="child_b", parent_run_id="child_a")
    store.update_run("run_1", status="Running")
    store.update_run("run_2", status="Completed")
    store.append_metrics([("run_0", "acc", "scalar", None, 1.0, 0.5, ""),
                          ("run_4", "acc", "scalar", None, 1.0, 0.1, ""),
                          ("run_4", "acc", "scalar", None, 2.0, 0.9, ""),
                          ("run_2", "acc", "scalar", None, 1.0, 0.7, "")])

    def q(**kw):  # type: ignore[no-untyped-def]
        return _ids(store.list_runs(ws.id, RunQuery(experiment_id=exp.id, **kw)))

    assert q() == [f"run_{i}" for i in reversed(range(6))]
    assert q(descending=False, order_by="number") == [f"run_{i}" for i in range(6)]
    assert store.count_runs(ws.id) == 7
    assert store.count_runs(ws.id, RunQuery(include_children=True)) == 9
    assert q(status=["Running", "Completed"], order_by="number") == ["run_2", "run_1"]
    assert q(tags={"even": "True"}, order_by="number", descending=False) == [
        "run_0", "run_2", "run_4"]
    assert q(tags={"star": None}) == ["run_3"]
    assert q(tags={"even": "False", "star": None}) == ["run_3"]
    assert q(properties={"grp": "b"}, tags={"even": "True"}) == ["run_4"]
    assert q(properties={"grp": None}, limit=2) == ["run_5", "run_4"]
    assert q(run_type="hyper") == ["run_5"]
    assert q(text="TRIAL 3") == ["run_3"]
    assert q(text="run_") == q()
    assert q(text="%") == []
    assert q(order_by="metric:acc") == ["run_4", "run_2", "run_0", "run_5", "run_3", "run_1"]
    assert q(order_by="metric:acc", descending=False)[:3] == ["run_0", "run_2", "run_4"]
    assert q(order_by="start_time")[0] == "run_1"
    assert q(order_by="number", limit=2, offset=1) == ["run_4", "run_3"]
    assert q(order_by="number", limit=10, offset=10) == []
    children = RunQuery(parent_run_id="run_0")
    assert _ids(store.list_runs(ws.id, children)) == ["child_a"]
    children.recursive = True
    assert sorted(_ids(store.list_runs(ws.id, children))) == ["child_a", "child_b"]
    assert store.count_runs(ws.id, children) == 2
    page = store.list_runs(ws.id, RunQuery(experiment_id=exp.id, limit=1, order_by="number"))
    assert page[0].tags == {"even": "False"} and page[0].properties == {"grp": "b"}
    with pytest.raises(InvalidInputError):
        store.list_runs(ws.id, RunQuery(order_by="nonsense"))


def test_delete_run_removes_descendants(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="p")
    store.create_run(ws.id, exp.id, run_id="c", parent_run_id="p")
    store.create_run(ws.id, exp.id, run_id="g", parent_run_id="c")
    store.create_run(ws.id, exp.id, run_id="keep")
    store.append_metrics([("g", "m", "scalar", None, 1.0, 1, "")])
    store.append_log("g", "logs/x.log", b"abc")
    store.delete_run("p")
    for rid in ("p", "c", "g"):
        with pytest.raises(NotFoundError):
            store.get_run(rid)
    assert store.get_run("keep").id == "keep"
    store.create_run(ws.id, exp.id, run_id="g")
    assert store.list_metrics("g") == [] and store.list_artifacts("g") == []
