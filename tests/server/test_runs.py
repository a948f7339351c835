"""Runs over REST: filtered and sorted pages, details, edits, cancel, delete, children."""

from __future__ import annotations

import pytest


def ids(page):
    return [r["id"] for r in page["runs"]]


async def test_list_filter_sort_page(api, seed, store):
    base = f"/workspaces/{seed.ws}/runs"
    page = await api("GET", base)
    assert page["total"] == 3 and set(ids(page)) == {"run0", "run1", "run2"}
    page = await api("GET", f"{base}?order_by=number&descending=false")
    assert ids(page) == ["run0", "run1", "run2"]
    page = await api("GET", f"{base}?order_by=number&limit=2&offset=1&descending=false")
    assert ids(page) == ["run1", "run2"] and page["total"] == 3
    page = await api("GET", f"{base}?status=Completed,Failed&order_by=number&descending=false")
    assert ids(page) == ["run0", "run1"] and page["total"] == 2
    page = await api("GET", f"{base}?status=Running")
    assert ids(page) == ["run2"]
    page = await api("GET", f"{base}?tag=lr:1")
    assert ids(page) == ["run1"]
    page = await api("GET", f"{base}?property=kind:even&order_by=number&descending=false")
    assert ids(page) == ["run0", "run2"]
    page = await api("GET", f"{base}?text=number%202")
    assert ids(page) == ["run2"]
    page = await api("GET", f"{base}?experiment=exp1&include_children=true")
    assert page["total"] == 4 and "run0_child" in ids(page)
    # The experiment filter keeps the runs of other experiments out.
    exp2 = store.get_or_create_experiment(seed.ws, "exp2")
    store.create_run(seed.ws, exp2.id, run_id="other_exp_run")
    page = await api("GET", f"{base}?experiment=exp1&include_children=true")
    assert page["total"] == 4 and "other_exp_run" not in ids(page)
    page = await api("GET", f"{base}?experiment=exp2")
    assert ids(page) == ["other_exp_run"] and page["total"] == 1
    await api("GET", f"{base}?experiment=no-such-exp", expect=404)
    store.delete_experiment(exp2.id)
    page = await api("GET", f"{base}?order_by=metric:acc&descending=true")
    assert ids(page) == ["run2", "run1", "run0"]


async def test_value_queries(api, seed):
    from urllib.parse import urlencode

    base = f"/workspaces/{seed.ws}/runs"

    async def get(path: str, expect: int = 200, **params: str):  # type: ignore[no-untyped-def]
        return await api("GET", f"{path}?{urlencode(params)}", expect=expect)
    query = "metrics.acc > 0.55 and tags.lr = '1'"
    page = await get(base, filter=query)
    assert ids(page) == ["run1"] and page["total"] == 1
    page = await get(base, filter="tags.lr >= 1", order_by="number", descending="false")
    assert ids(page) == ["run1", "run2"]
    children = await get(base, parent_run_id="run0", filter="status = 'Running'")
    assert ids(children) == ["run0_child"]
    error = await get(base, 400, filter="metrics.acc >")
    assert error["reason"] == "InvalidInput" and "position 14" in error["message"]
    error = await get(base, 400, filter="colour = 'red'")
    assert "Unknown run attribute 'colour'" in error["message"]


@pytest.mark.parametrize("query", [
    "order_by=colour", "order_by=metric:", "status=Happy", "limit=0", "limit=100000",
    "limit=ten", "offset=-1", "descending=perhaps", "parent_run_id=..", "experiment=bad%20name",
    "limit=1&limit=2", "order_by=tag:", "order_by=end_times", "filter=" + "x" * 4097,
])
async def test_bad_run_queries_are_400(api, seed, query):
    error = await api("GET", f"/workspaces/{seed.ws}/runs?{query}", expect=400)
    assert error["reason"] == "InvalidInput"


async def test_run_details_edit_cancel_delete(api, seed, store):
    base = "/runs"
    details = await api("GET", f"{base}/run1")
    assert details["status"] == "Failed" and details["tags"] == {"lr": "1"}
    assert details["properties"] == {"kind": "odd"}
    assert details["start_time"] is not None and details["end_time"] is not None

    edited = await api("PATCH", f"{base}/run1", body={
        "tags": {"best": "yes"}, "remove_tags": ["lr"], "description": "tuned",
        "display_name": "Tuned run"})
    assert edited["tags"] == {"best": "yes"}
    assert (edited["description"], edited["display_name"]) == ("tuned", "Tuned run")
    assert store.get_run("run1").display_name == "Tuned run"

    canceled = await api("POST", f"{base}/run2/cancel", expect=200)
    assert canceled["status"] == "Canceled" and canceled["end_time"] is not None
    # Canceling a finished run leaves it as it was.
    assert (await api("POST", f"{base}/run1/cancel"))["status"] == "Failed"

    children = await api("GET", f"/workspaces/{seed.ws}/runs?parent_run_id=run0")
    assert ids(children) == ["run0_child"] and children["total"] == 1
    await api("DELETE", f"{base}/run0", expect=204)
    await api("GET", f"{base}/run0", expect=404)
    await api("GET", f"{base}/run0_child", expect=404)


async def test_run_errors(api, seed):
    base = "/runs"
    await api("GET", f"{base}/nope", expect=404)
    await api("GET", f"{base}/..", expect=400)
    await api("GET", f"{base}/a%2Fb", expect=400)
    await api("PATCH", f"{base}/run1", expect=400, body={"tags": {"a": 1}})
    await api("PATCH", f"{base}/run1", expect=400, body={"remove_tags": [""]})
    await api("PATCH", f"{base}/run1", expect=400, body={"status": "Completed"})
    await api("POST", f"{base}/nope/cancel", expect=404)
    await api("GET", "/workspaces/nope/runs", expect=404)
    # A run is only reachable through the workspace it belongs to.
    await api("GET", f"/runs/run0?workspace_id={seed.other_ws}", expect=404)
    await api("DELETE", f"/runs/run0?workspace_id={seed.other_ws}", expect=404)
    await api("GET", f"/runs/run0?workspace_id={seed.ws}")


async def test_run_keys_and_values(api, seed, store):
    from urllib.parse import urlencode

    base = f"/workspaces/{seed.ws}"
    keys = await api("GET", f"{base}/run-keys?experiment=exp1")
    assert keys["runs"] == 3
    assert {(k["name"], k["kind"], k["runs"]) for k in keys["metrics"]} >= {
        ("loss", "scalar", 3), ("acc", "scalar", 3), ("table", "table", 1)}
    assert [k["name"] for k in keys["tags"]] == ["lr"] and keys["tags"][0]["runs"] == 3
    assert [k["name"] for k in keys["properties"]] == ["kind"]
    children = await api("GET", f"{base}/run-keys?include_children=true")
    assert children["runs"] == 4
    query = urlencode([("column", "metrics.acc"), ("column", "tags.lr"),
                       ("column", "metrics.weird"), ("order_by", "number"),
                       ("descending", "false"), ("filter", "metrics.acc < 0.65")])
    values = await api("GET", f"{base}/run-values?{query}")
    assert values["ids"] == ["run0", "run1"] and values["total"] == 2
    assert values["columns"]["metrics.acc"] == [0.5, 0.6]
    assert values["columns"]["tags.lr"] == ["0", "1"]
    assert values["columns"]["metrics.weird"] == [1.5, None]
    assert values["columns"]["attributes.status"] == ["Completed", "Failed"]
    paged = await api("GET", f"{base}/run-values?limit=1&offset=1&order_by=number")
    assert paged["ids"] == ["run1"] and paged["total"] == 3
    for bad in ("column=accuracy", "column=bogus.x", "filter=status%20%3E%203",
                "limit=100001", "order_by=tag:"):
        error = await api("GET", f"{base}/run-values?{bad}", expect=400)
        assert error["reason"] == "InvalidInput"
    await api("GET", f"{base}/run-keys?experiment=nope", expect=404)
    await api("GET", f"/workspaces/{'0' * 32}/run-values", expect=404)
