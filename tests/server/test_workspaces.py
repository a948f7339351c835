"""Workspaces over REST: list, create, get, update, delete, and their errors."""

from __future__ import annotations

import json


async def test_workspace_lifecycle(api):
    assert (await api("GET", "/workspaces"))["workspaces"] == []
    created = await api("POST", "/workspaces", expect=201, body={
        "name": "my-ws", "subscription_id": "sub", "resource_group": "rg",
        "location": "here", "tags": {"team": "ml", "flag": None},
        "friendly_name": "Mine", "description": "for tests"})
    assert created["name"] == "my-ws"
    assert created["tags"] == {"team": "ml", "flag": None}
    listed = await api("GET", "/workspaces")
    assert [w["id"] for w in listed["workspaces"]] == [created["id"]]
    filtered = await api("GET", "/workspaces?subscription_id=other")
    assert filtered["workspaces"] == []
    got = await api("GET", f"/workspaces/{created['id']}")
    assert got["friendly_name"] == "Mine" and got["resource_group"] == "rg"
    patched = await api("PATCH", f"/workspaces/{created['id']}",
                        body={"description": "changed"})
    assert patched["description"] == "changed"
    await api("DELETE", f"/workspaces/{created['id']}", expect=204)
    await api("GET", f"/workspaces/{created['id']}", expect=404)
    # A real delete: the name can be used again.
    await api("POST", "/workspaces", expect=201, body={"name": "my-ws",
                                                        "subscription_id": "sub",
                                                        "resource_group": "rg"})


async def test_create_defaults_to_local_namespace(api):
    created = await api("POST", "/workspaces", expect=201, body={"name": "plain"})
    assert (created["subscription_id"], created["resource_group"]) == ("local", "local")


async def test_duplicate_workspace_is_409(api):
    await api("POST", "/workspaces", expect=201, body={"name": "twice"})
    error = await api("POST", "/workspaces", expect=409, body={"name": "twice"})
    assert error["reason"] == "Conflict" and error["message"]


async def test_bad_workspace_input_is_400(api):
    for body in ({"name": "x"}, {"name": "has space"}, {}, {"name": 12},
                 {"name": "okname", "tags": ["a"]}, {"name": "okname", "tags": {"a": 1}},
                 {"name": "okname", "unknown": 1}, ["not", "an", "object"]):
        error = await api("POST", "/workspaces", expect=400, body=body)
        assert error["reason"] == "InvalidInput", body
    error = await api("POST", "/workspaces", expect=400, body=b"{not json",
                      headers={"Content-Type": "application/json"})
    assert "JSON" in error["message"]


async def test_unknown_and_malformed_workspace_ids(api):
    error = await api("GET", "/workspaces/does-not-exist", expect=404)
    assert error["reason"] == "NotFound"
    await api("DELETE", "/workspaces/does-not-exist", expect=404)
    for bad in ("%2E%2E", ".hidden", "a%20b", "x" * 300):
        error = await api("GET", f"/workspaces/{bad}", expect=400)
        assert json.dumps(error)  # a JSON error, never a traceback page


async def test_workspace_named_by_a_folders_config(api, jp_root_dir):
    created = await api("POST", "/workspaces", expect=201,
                        body={"name": "configured", "resource_group": "rg"})
    assert (await api("GET", "/workspace-config")) == {"workspace": None, "config_path": None}
    nested = jp_root_dir / "project" / "notebooks"
    nested.mkdir(parents=True)
    (jp_root_dir / "project" / ".azureml").mkdir()
    (jp_root_dir / "project" / ".azureml" / "config.json").write_text(json.dumps(
        {"subscription_id": "local", "resource_group": "rg", "workspace_name": "configured"}))
    # Found walking up from the notebook's folder, as Workspace.from_config() finds it.
    found = await api("GET", "/workspace-config?path=project/notebooks")
    assert found["workspace"]["id"] == created["id"]
    assert found["config_path"] == "project/.azureml/config.json"
    assert (await api("GET", "/workspace-config"))["workspace"] is None  # not below the root
    (jp_root_dir / "project" / ".azureml" / "config.json").write_text("{not json")
    assert (await api("GET", "/workspace-config?path=project"))["workspace"] is None
    for bad in ("../..", "missing-folder", "/etc"):
        await api("GET", f"/workspace-config?path={bad}", expect=400)
