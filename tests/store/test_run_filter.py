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
