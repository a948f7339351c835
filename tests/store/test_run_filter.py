"""Value queries over runs: parsed in the store layer, evaluated in SQL (SQLite and
PostgreSQL), with clear errors for queries that cannot mean anything."""

from __future__ import annotations

import math

import pytest

from jupyter_mlws.store.base import InvalidInputError, RunQuery
from jupyter_mlws.store.run_columns import parameters_of, parse_column
from jupyter_mlws.store.run_filter import And, Compare, In, IsNull, Not, Or, parse_filter


@pytest.fixture
def runs(store, ws, exp):  # type: ignore[no-untyped-def]
    """Five runs with metrics, tags and properties of every kind."""
    specs = [
        ("a", "Completed", {"team": "vision", "lr": "0.1"}, {"accuracy": 0.95, "loss": 0.2}),
        ("b", "Completed", {"team": "nlp", "lr": "0.01"}, {"accuracy": 0.85, "note": "ok"}),
        ("c", "Failed", {"team": "vision", "lr": "oops"}, {"accuracy": math.nan}),
        ("d", "Running", {"team": "vision's"}, {"accuracy": 0.91, "flag": True}),
        ("e", "Completed", {}, {}),
    ]
    for i, (run_id, status, tags, metrics) in enumerate(specs):
        store.create_run(ws.id, exp.id, run_id=run_id, status=status, display_name=f"run {run_id}",
                         tags=tags, properties={"mlws.submittedBy": "alice" if i % 2 else "bob"})
        store.append_metrics([(run_id, name, "scalar", None, 1.0 + i, value, "")
                              for name, value in metrics.items()])
    store.create_run(ws.id, exp.id, run_id="a-child", parent_run_id="a", status="Completed",
                     tags={"team": "vision"})
    return ws


def ids(store, ws, text: str, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    query = RunQuery(filter=text, order_by="number", descending=False, **kwargs)
    found = [r.id for r in store.list_runs(ws.id, query)]
    assert store.count_runs(ws.id, query) == len(found)
    return found


def test_metric_tag_and_attribute_comparisons(store, runs) -> None:  # type: ignore[no-untyped-def]
    q = lambda text, **kw: ids(store, runs, text, **kw)  # noqa: E731
    assert q("metrics.accuracy > 0.9 and tags.team = 'vision'") == ["a"]  # d is "vision's"
    assert q("metrics.accuracy > 0.9") == ["a", "d"]  # NaN never compares
    assert q("metrics.accuracy >= 0.85 and metrics.accuracy < 0.95") == ["b", "d"]
    assert q("metrics.accuracy is null") == ["e"]
    assert q("metrics.accuracy is not null") == ["a", "b", "c", "d"]
    assert q("metrics.note = 'ok'") == ["b"]
    assert q("metrics.flag = true") == ["d"]
    assert q("tags.team = 'vision''s'") == ["d"]
    assert q("tags.team in ('nlp', 'vision')") == ["a", "b", "c"]
    assert q("tags.team not in ('nlp')") == ["a", "c", "d"]  # runs with the tag only
    assert q("tags.lr > 0.05") == ["a"]  # numbers compare as numbers; "oops" never matches
    assert q("tags.lr < 1 or tags.lr = 'oops'") == ["a", "b", "c"]
    assert q("tags.team contains 'VIS'") == ["a", "c", "d"]
    assert q("tags.team is null") == ["e"]
    assert q("status = 'Completed' and not tags.team = 'nlp'") == ["a", "e"]
    assert q("status in ('Failed', 'Running')") == ["c", "d"]
    assert q("number >= 4") == ["d", "e"]
    assert q("attributes.display_name contains 'run b'") == ["b"]
    assert q("user = 'alice'") == ["b", "d"]
    assert q("properties.`mlws.submittedBy` = 'bob'") == ["a", "c", "e"]
    assert q("(status = 'Failed' or metrics.loss < 1) and tags.team = 'vision'") == ["a", "c"]
    assert q("created_time > '2000-01-01' and created_time < 4102444800") == list("abcde")
    assert q("tags.team = 'vision'", include_children=True) == ["a", "c", "a-child"]
    assert q("") == list("abcde")


def test_parse_tree_and_names() -> None:
    node = parse_filter("not (metrics.`val/acc` > 1 or tags.a in ('x', 2)) and "
                        "metrics.train.loss is not null")
    assert isinstance(node, And) and isinstance(node.items[0], Not)
    inner = node.items[0].item
    assert isinstance(inner, Or)
    assert inner.items[0] == Compare(parse_column("metrics.val/acc"), ">", 1.0)
    assert inner.items[1] == In(parse_column("tags.a"), ("x", 2.0))
    assert node.items[1] == IsNull(parse_column("metrics.train.loss"), negate=True)
    assert parse_filter("  ") is None
    assert parse_column("metric.x").key == "metrics.x"
    assert parse_column("attributes.name").key == "attributes.display_name"


@pytest.mark.parametrize(("text", "message"), [
    ("metrics.accuracy >", "expected a number, 'text', true or false at position 19"),
    ("metrics.accuracy > 0.9 tags.x = 1", "expected 'and', 'or' or the end at position 24"),
    ("tags.team = 'open", "unexpected"),
    ("bogus.x = 1", "'bogus' is not a namespace"),
    ("colour = 'red'", "Unknown run attribute 'colour'"),
    ("status > 3", "attributes.status is text"),
    ("number = 'five'", "attributes.number is a number"),
    ("duration contains 'x'", "'contains' compares text"),
    ("created_time > 'yesterday'", "is not a time"),
    ("parameters.lr > 0.1", "parameters (script arguments) cannot be queried"),
    ("(status = 'x'", "expected ')'"),
    ("tags.a is 3", "expected 'null'"),
    ("and = 1", "expected a column"),
    ("x" * 5000, "longer than 4096"),
    (" or ".join(["number > 1"] * 101), "more than 100 comparisons"),
    ("not " * 40 + "number > 1", "nested deeper than 32"),
])
def test_bad_queries_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_filter(text)


def test_store_rejects_bad_queries(store, runs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="position"):
        store.list_runs(runs.id, RunQuery(filter="metrics.accuracy >"))
    with pytest.raises(InvalidInputError):
        store.count_runs(runs.id, RunQuery(filter="status > 3"))


def test_parameters_are_script_arguments() -> None:
    assert parameters_of({"arguments": ["--lr", "0.01", "--epochs", 3, "--fast", "--name=x y",
                                        "-d", "-1", "positional", "--", "--flag"]}) == {
        "lr": 0.01, "epochs": 3, "fast": True, "name": "x y", "d": -1, "flag": True}
    assert parameters_of({}) == {} and parameters_of(None) == {}
    assert parameters_of({"arguments": "not a list"}) == {}
    assert parameters_of({"arguments": ["--big", "1e400", "--on", "True"]}) == {
        "big": "1e400", "on": True}


def test_keys_of_the_runs_a_query_matches(store, runs) -> None:  # type: ignore[no-untyped-def]
    store.update_run("b", run_definition={"arguments": ["--lr", "0.01", "--fast"]})
    keys = store.list_run_keys(runs.id, RunQuery())
    assert {(k.name, k.kind, k.runs) for k in keys.metrics} == {
        ("accuracy", "scalar", 4), ("loss", "scalar", 1), ("note", "scalar", 1),
        ("flag", "scalar", 1)}
    assert {(k.name, k.runs) for k in keys.tags} == {("team", 4), ("lr", 3)}
    assert [(k.name, k.runs) for k in keys.properties] == [("mlws.submittedBy", 5)]
    assert [(k.name, k.runs) for k in keys.parameters] == [("fast", 1), ("lr", 1)]
    assert "duration" in keys.attributes and keys.runs == 5
    narrowed = store.list_run_keys(runs.id, RunQuery(filter="tags.team = 'nlp'"))
    assert narrowed.runs == 1 and {k.name for k in narrowed.metrics} == {"accuracy", "note"}
    with_children = store.list_run_keys(runs.id, RunQuery(include_children=True))
    assert with_children.runs == 6 and dict((k.name, k.runs) for k in
                                            with_children.tags)["team"] == 5


def test_values_of_many_runs_as_columns(store, runs) -> None:  # type: ignore[no-untyped-def]
    store.update_run("b", run_definition={"arguments": ["--lr", "0.01", "--fast"]})
    values = store.get_run_values(runs.id, RunQuery(order_by="number", descending=False), [
        "metrics.accuracy", "metrics.note", "tags.team", "properties.mlws.submittedBy",
        "parameters.lr", "parameters.fast", "attributes.duration", "attributes.user",
        "attributes.compute", "attributes.experiment", "metric.missing"])
    assert values.ids == list("abcde") and values.total == 5
    cols = values.columns
    acc = cols["metrics.accuracy"]
    assert acc[:2] == [0.95, 0.85] and math.isnan(acc[2]) and acc[3:] == [0.91, None]
    assert cols["metrics.note"] == [None, "ok", None, None, None]
    assert cols["tags.team"] == ["vision", "nlp", "vision", "vision's", None]
    assert cols["properties.mlws.submittedBy"] == ["bob", "alice", "bob", "alice", "bob"]
    assert cols["attributes.user"] == cols["properties.mlws.submittedBy"]
    assert cols["parameters.lr"] == [None, 0.01, None, None, None]
    assert cols["parameters.fast"] == [None, True, None, None, None]
    assert cols["attributes.status"] == ["Completed", "Completed", "Failed", "Running",
                                         "Completed"]
    assert cols["attributes.number"] == [1, 2, 3, 4, 5]
    assert cols["attributes.compute"] == ["local"] * 5 and cols["attributes.experiment"] == \
        ["exp"] * 5
    assert cols["metrics.missing"] == [None] * 5
    assert all(d is None or d >= 0 for d in cols["attributes.duration"])
    page = store.get_run_values(runs.id, RunQuery(filter="tags.team contains 'vision'",
                                                  order_by="metric:accuracy", limit=2),
                                ["metrics.accuracy"])
    assert page.ids == ["a", "d"] and page.total == 3
    sorted_by_tag = store.get_run_values(runs.id, RunQuery(order_by="tag:team",
                                                           descending=False), [])
    assert sorted_by_tag.ids == ["b", "a", "c", "d", "e"]  # no tag: last
    with pytest.raises(InvalidInputError, match="namespace"):
        store.get_run_values(runs.id, RunQuery(), ["accuracy"])


def test_wildcard_columns_read_every_value_of_a_namespace(store, runs) -> None:  # type: ignore[no-untyped-def]
    store.update_run("b", run_definition={"arguments": ["--lr", "0.01", "--fast"]})
    store.append_metrics([("a", "rows", "table", None, 1.0, {"x": 1}, "")])
    values = store.get_run_values(runs.id, RunQuery(order_by="number", descending=False),
                                  ["parameters.*", "tags.*", "metrics.*", "tags.absent"])
    cols = values.columns
    assert cols["parameters.lr"] == [None, 0.01, None, None, None]
    assert cols["parameters.fast"][1] is True
    assert cols["tags.team"][0] == "vision" and cols["tags.lr"][1] == "0.01"
    assert {k for k in cols if k.startswith("metrics.")} == {
        "metrics.accuracy", "metrics.loss", "metrics.note", "metrics.flag"}  # scalars only
    assert cols["tags.absent"] == [None] * 5  # asked for by name: there, empty
    assert "parameters.*" not in cols and "tags.*" not in cols
