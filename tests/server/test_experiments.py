"""Experiments over REST: list with view types and counts, create, archive/tag, delete."""

from __future__ import annotations


async def test_experiment_lifecycle(api, seed):
    base = f"/workspaces/{seed.ws}/experiments"
    listed = await api("GET", f"{base}?with_run_counts=true")
    # Child runs count too: 3 top-level runs and one child.
    assert [(e["name"], e["run_count"]) for e in listed["experiments"]] == [("exp1", 4)]
    created = await api("POST", base, expect=201, body={"name": "new_exp"})
    assert created["workspace_id"] == seed.ws and created["name"] == "new_exp"
    await api("POST", base, expect=409, body={"name": "new_exp"})
    got = await api("GET", f"{base}/new_exp")
    assert got["id"] == created["id"] and got["archived_time"] is None

    by_id = f"/experiments/{created['id']}"
    patched = await api("PATCH", by_id,
                        body={"archived": True, "tags": {"stage": "dev", "x": "1"}})
    assert patched["archived_time"] is not None
    assert patched["tags"] == {"stage": "dev", "x": "1"}
    active = await api("GET", f"{base}?view_type=ActiveOnly")
    assert [e["name"] for e in active["experiments"]] == ["exp1"]
    archived = await api("GET", f"{base}?view_type=ArchivedOnly")
    assert [e["name"] for e in archived["experiments"]] == ["new_exp"]
    tagged = await api("GET", f"{base}?view_type=All&tag=stage:dev")
    assert [e["name"] for e in tagged["experiments"]] == ["new_exp"]
    patched = await api("PATCH", by_id, body={"archived": False, "remove_tags": ["x"]})
    assert patched["archived_time"] is None and patched["tags"] == {"stage": "dev"}

    await api("DELETE", by_id, expect=204)
    await api("GET", f"{base}/new_exp", expect=404)
    await api("GET", by_id, expect=404)
    # Deleting an experiment deletes its runs; the name can be reused.
    exp1 = await api("GET", f"{base}/exp1")
    await api("DELETE", f"/experiments/{exp1['id']}", expect=204)
    await api("GET", "/runs/run0", expect=404)
    await api("POST", base, expect=201, body={"name": "exp1"})


async def test_experiment_errors(api, seed):
    base = f"/workspaces/{seed.ws}/experiments"
    for body in ({}, {"name": ""}, {"name": "bad name"}, {"name": "-lead"}, {"name": 3},
                 {"name": "ok", "extra": True}):
        assert (await api("POST", base, expect=400, body=body))["reason"] == "InvalidInput"
    await api("GET", f"{base}?view_type=Sometimes", expect=400)
    await api("GET", f"{base}?with_run_counts=maybe", expect=400)
    await api("GET", f"{base}/missing", expect=404)
    await api("GET", f"{base}/bad%20name", expect=400)
    exp1 = (await api("GET", f"{base}/exp1"))["id"]
    await api("PATCH", f"/experiments/{exp1}", expect=400, body={"archived": "yes"})
    await api("PATCH", f"/experiments/{exp1}", expect=400, body={"remove_tags": "x"})
    await api("GET", "/workspaces/nope/experiments", expect=404)
    # An experiment is only reachable through its own workspace.
    await api("GET", f"/workspaces/{seed.other_ws}/experiments/exp1", expect=404)
    await api("GET", f"/experiments/{exp1}?workspace_id={seed.other_ws}", expect=404)
    await api("DELETE", f"/experiments/{exp1}?workspace_id={seed.other_ws}", expect=404)


async def test_concurrent_creates_make_one_experiment(api, seed, store):
    import asyncio

    base = f"/workspaces/{seed.ws}/experiments"
    responses = await asyncio.gather(*(api.raw("POST", base, body={"name": "raced"})
                                       for _ in range(12)))
    codes = sorted(r.code for r in responses)
    # The store decides in one atomic step: exactly one creation, the others see the conflict.
    assert codes == [201] + [409] * 11, codes
    assert [e.name for e in store.list_experiments(seed.ws) if e.name == "raced"] == ["raced"]
    # exist_ok: everyone gets the same experiment, created once.
    again = await asyncio.gather(*(api("POST", base, expect=201,
                                       body={"name": "raced2", "exist_ok": True})
                                   for _ in range(8)))
    assert len({e["id"] for e in again}) == 1


async def test_run_edit_is_one_atomic_change(api, seed, store):
    edited = await api("PATCH", "/runs/run1", body={
        "tags": {"a": "1", "b": "2"}, "remove_tags": ["lr", "b"], "display_name": "n"})
    assert edited["tags"] == {"a": "1"} and edited["display_name"] == "n"
    # A refused edit changes nothing, not even its valid parts.
    await api("PATCH", "/runs/run1", expect=400, body={"tags": {"c": "3"}, "remove_tags": [""]})
    assert store.get_run("run1").tags == {"a": "1"}
