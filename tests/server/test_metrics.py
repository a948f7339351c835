"""Metrics over REST: the list, one series (NaN/inf as strings, downsampling, since cursor),
tables as columns, and several runs at once."""

from __future__ import annotations

import json
import time

import pytest

from jupyter_mlws.store.codec import encode_points
from jupyter_mlws.store.columns import SeriesChunk


async def test_list_metrics(api, seed):
    body = await api("GET", "/runs/run0/metrics")
    by_name = {m["name"]: m for m in body["metrics"]}
    assert set(by_name) == {"loss", "acc", "weird", "table"}
    assert by_name["loss"]["kind"] == "scalar" and by_name["loss"]["count"] == 50
    assert by_name["weird"]["last_value"] == 1.5
    assert by_name["table"]["kind"] == "table"
    assert by_name["table"]["last_value"] == {"epoch": 2, "f1": 0.2}


async def test_non_finite_values_are_strings_in_valid_json(api, seed):
    response = await api.raw("GET", "/runs/run0/metrics/weird")
    text = response.body.decode()
    assert "NaN" in text
    # Strict parsing: a bare NaN/Infinity literal would be rejected here.
    body = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert body["value"] == ["NaN", "Infinity", "-Infinity", 1.5]


async def test_series_downsampling_and_since(api, seed, store):
    base = "/runs/run0/metrics"
    full = await api("GET", f"{base}/loss")
    assert full["total"] == 50 and len(full["value"]) == 50
    assert full["seq"] == list(range(1, 51)) and full["step"][:3] == [0, 1, 2]
    small = await api("GET", f"{base}/loss?max_points=10")
    assert 2 <= len(small["value"]) <= 10 and small["total"] == 50
    assert max(small["value"]) == max(full["value"])  # extremes kept
    store.append_metrics([("run0", "loss", "scalar", 50, time.time(), 0.001, "")])
    newer = await api("GET", f"{base}/loss?since=50")
    assert newer["seq"] == [51] and newer["value"] == [0.001]
    # A window (zoomed chart) or a page (table): since < seq <= until, total of the series.
    page = await api("GET", f"{base}/loss?since=10&until=20")
    assert page["seq"] == list(range(11, 21)) and page["total"] == 51
    assert page["value"] == full["value"][10:20]
    await api("GET", f"{base}/loss?since=20&until=10", expect=400)


async def test_metric_names_with_slashes(api, seed, store):
    store.append_metrics([("run1", "train/loss", "scalar", 0, time.time(), 2.0, "")])
    body = await api("GET", "/runs/run1/metrics/train/loss")
    assert body["name"] == "train/loss" and body["value"] == [2.0]
    body = await api("GET", "/runs/run1/metrics/train%2Floss")
    assert body["value"] == [2.0]


async def test_table_series_as_columns(api, seed):
    body = await api("GET", "/runs/run0/metrics/table")
    assert body["columns"] == {"epoch": [0, 1, 2], "f1": [0.0, 0.1, 0.2]}
    assert "value" not in body


async def test_metric_errors(api, seed):
    base = "/runs/run0/metrics"
    error = await api("GET", f"{base}/unknown", expect=404)
    assert error["reason"] == "NotFound"
    await api("GET", f"{base}/loss?max_points=1", expect=400)
    await api("GET", f"{base}/loss?since=-3", expect=400)
    await api("GET", f"{base}/loss?since=abc", expect=400)
    await api("GET", "/runs/nope/metrics", expect=404)
    await api("GET", f"/runs/run0/metrics/loss?workspace_id={seed.other_ws}", expect=404)


async def test_query_several_runs(api, seed):
    url = f"/workspaces/{seed.ws}/metrics/query"
    body = await api("POST", url, body={"run_ids": seed.runs, "names": ["loss", "acc"],
                                        "max_points": 20})
    got = {(s["run_id"], s["name"]) for s in body["series"]}
    assert got == {(r, n) for r in seed.runs for n in ("loss", "acc")}
    assert all(len(s["value"]) <= 20 for s in body["series"])
    everything = await api("POST", url, body={"run_ids": ["run0"]})
    assert {s["name"] for s in everything["series"]} == {"loss", "acc", "weird", "table"}


async def test_query_errors(api, seed):
    url = f"/workspaces/{seed.ws}/metrics/query"
    for body in ({}, {"run_ids": []}, {"run_ids": "run0"}, {"run_ids": [".."]},
                 {"run_ids": ["run0"], "max_points": 1}, {"run_ids": ["run0"], "names": "x"},
                 {"run_ids": ["run0"], "max_points": True}, {"run_ids": ["run0"], "x": 1}):
        await api("POST", url, expect=400, body=body)
    await api("POST", url, expect=404, body={"run_ids": ["run0", "missing"]})
    await api("POST", f"/workspaces/{seed.other_ws}/metrics/query", expect=404,
              body={"run_ids": ["run0"]})


async def test_series_of_every_value_type_through_the_array_path(api, seed, store):
    """getMetricSeries reads numpy columns (typed or object) and answers the same body shape
    and escaping as the codec: ints stay ints, a string spelling NaN is wrapped, rows too."""
    now = time.time()
    store.append_metrics(
        [("run1", "ints", "scalar", i, now, 2**40 + i, "") for i in range(3)]
        + [("run1", "flags", "scalar", None, now, v, "") for v in (True, False)]
        + [("run1", "words", "scalar", None, now, v, "") for v in ("NaN", "a", 1.5)]
        + [("run1", "rows", "table", None, now, {"a": 1, "b": "Infinity"}, "")])
    ints = await api("GET", "/runs/run1/metrics/ints")
    assert ints["value"] == [2**40, 2**40 + 1, 2**40 + 2] and ints["escaped"] is False
    assert ints["step"] == [0, 1, 2] and ints["seq"] == [1, 2, 3] and ints["total"] == 3
    flags = await api("GET", "/runs/run1/metrics/flags")
    assert flags["value"] == [True, False] and flags["step"] == [None, None]
    words = await api("GET", "/runs/run1/metrics/words")
    assert words["value"] == [["NaN"], "a", 1.5] and words["escaped"] is True
    rows = await api("GET", "/runs/run1/metrics/rows?tables=rows")
    assert rows["value"] == [{"a": 1, "b": ["Infinity"]}] and rows["escaped"] is True
    weird = await api("GET", "/runs/run0/metrics/weird")
    assert weird["escaped"] is True  # NaN as "NaN": the reader must decode it


def _no_metric_writes_to_run2(user, action, resource) -> bool:
    return not (action == "write" and resource.kind == "metric" and resource.name == "run2")


@pytest.mark.parametrize("jp_server_config", [{
    "ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}},
    "MlwsApp": {"authorization_policy": _no_metric_writes_to_run2}}])
async def test_empty_metrics_of_a_batch_are_authorized_and_recorded(api, seed, store):
    """A batch's ``empty`` list records metrics without points, and its runs pass the
    authorization point like the runs of its points."""
    def batch(empty, points=()):
        return json.loads(encode_points(list(points), [
            SeriesChunk(run, name, kind, "", [], [], [], columns)
            for run, name, kind, columns in empty]))

    point = ("run0", "p", "scalar", None, time.time(), 1.0, "")
    for body in (batch([("run2", "nothing", "list", None)]),
                 batch([("run2", "nothing", "list", None)], [point])):
        error = await api("POST", "/metrics/append", expect=403, body=body)
        assert error["reason"] == "Forbidden"
    assert "nothing" not in {m.name for m in store.list_metrics("run2")}
    assert "p" not in {m.name for m in store.list_metrics("run0")}  # nothing of it stored
    await api("POST", "/metrics/append", expect=204, body=batch(
        [("run0", "nothing", "list", None), ("run0", "no_rows", "table", ("x", "y"))],
        [point]))
    infos = {m.name: m for m in store.list_metrics("run0")}
    assert infos["nothing"].count == 0 and infos["nothing"].kind == "list"
    assert infos["no_rows"].last_value == {"x": None, "y": None}
    assert infos["p"].count == 1
    for bad in ([["run0", "x", "nokind", "", None]], [["run0", "x", "list", ""]],
                [["..", "x", "list", "", None]], [["run0", "x", "list", "", "cols"]]):
        await api("POST", "/metrics/append", expect=400, body={"count": 0, "empty": bad})
