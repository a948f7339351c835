"""The authorization matrix, generated from the operation table (every row declares its
Azure action and its scope): each operation x {no
identity, Reader, Contributor, Owner, a custom role, a user of another workspace, the server
admin} over REST (file, zip and log routes included) and the live WebSocket. Expected
allow/deny comes from the built-in and custom role definitions; zero unexpected successes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mlws.api import OPERATIONS
from jupyter_mlws.server.access_policy import OPEN_KINDS
from jupyter_mlws.server.authz import resource_kind
from jupyter_mlws.store.roles import CompiledRole, compiled_built_ins, parse_role_definition
from tests.access.test_roles import V1_CUSTOM_ROLE

pytestmark = pytest.mark.timeout(300)
API = "mlws/api/v1"
PRINCIPALS = {  # user -> (role, which workspace)
    "reader": ("Reader", "main"), "contrib": ("Contributor", "main"),
    "owner": ("Owner", "main"), "custom": ("Data Scientist Custom", "main"),
    "outsider": ("Owner", "other"), "root": (None, None), "newcomer": (None, None),
    "nobody": (None, None)}
TOKENS = {name: f"tok-{name}-0123456789" for name in PRINCIPALS}


@pytest.fixture
def jp_server_config():
    users = {n: {"token": t, "groups": []} for n, t in TOKENS.items() if n != "nobody"}
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True},
                          "identity_provider_class":
                              "jupyter_mlws.server.team.TeamIdentityProvider"},
            "TeamIdentityProvider": {"users": users},
            "MlwsApp": {"access_control": True, "admin_users": ["root"]}}


@pytest.fixture
def team(seed, store) -> dict[str, Any]:
    custom = dict(V1_CUSTOM_ROLE, AssignableScopes=[])
    store.put_role_definition(custom)
    for user, (role, where) in PRINCIPALS.items():
        if role is not None:
            store.assign_role(role, user, workspace_id=seed.ws if where == "main"
                              else seed.other_ws)
    spare = store.assign_role("Reader", "someone-else", workspace_id=seed.ws)
    store.set_secrets(seed.ws, {"s1": "value-one"})
    exp_id = store.get_experiment(seed.ws, "exp1").id
    return {"assignment": spare.id, "experiment_id": exp_id}


def _roles() -> dict[str, CompiledRole]:
    roles = dict(compiled_built_ins())
    roles["Data Scientist Custom"] = CompiledRole(parse_role_definition(V1_CUSTOM_ROLE))
    return roles


def expected(user: str, action: str, scope: str) -> bool:
    """scope: "main" (the seeded workspace), "anywhere", "every" (needs a role on every
    workspace) or "any-user" (any authenticated identity)."""
    if user == "nobody":
        return False
    if not action or user == "root":
        return True
    if scope == "any-user":
        return True  # listing (filtered) and creating workspaces
    role, where = PRINCIPALS[user]
    if scope == "every" or role is None:
        return False
    if scope == "main" and where != "main":
        return False
    return _roles()[role].grants(action)


# How a row's scope finds the workspace the expectation is about: the seeded workspace (its
# path, its run, experiment or assignment), "anywhere" (no workspace, or one only found after
# a coarse "anywhere?" check: the example snapshot does not exist), "every" workspace.
_SCOPES = {"workspace": "main", "run": "main", "experiment": "main", "assignment": "main",
           "snapshot": "anywhere", "runs": "anywhere", "server": "anywhere",
           "global": "every"}
ANY_USER = {"listWorkspaces", "createWorkspace",  # filtered listing; creators own what they make
            "getWorkspaceConfig"}  # null unless the caller may read the workspace it names


def operations(seed, team) -> list[tuple[str, str, str, str]]:
    """(method, path, action, scope) of every REST operation of the table."""
    values = {"workspace_id": seed.ws, "experiment_name": "exp1", "run_id": "run0",
              "metric_name": "loss", "path": "outputs/x.txt", "compute_name": "c",
              "sha256": "0" * 64, "snapshot_id": "no-snapshot", "kind": "environment",
              "name": "n", "version": "1", "experiment_id": team["experiment_id"],
              "secret_name": "s1", "role_name": "Data Scientist Custom",
              "assignment_id": team["assignment"], "datastore_name": "workspaceblobstore",
              "dataset_name": "d", "model_name": "m", "alias": "production",
              "service_name": "svc", "env_hash": "a" * 12, "designation": "inputs"}
    found = []
    for op in OPERATIONS:
        if op.response_kind == "websocket":
            continue  # test_websocket_matrix
        path = op.path
        for name in op.path_names:
            path = path.replace("{" + name + "}", values[name].replace(" ", "%20"))
        action = "" if resource_kind(op) in OPEN_KINDS else op.action_for(values)
        scope = "any-user" if op.id in ANY_USER else _SCOPES[op.scope]
        found.append((op.method, path, action, scope))
    return found


@pytest.mark.parametrize("user", list(PRINCIPALS))
async def test_rest_matrix(user, api, seed, team, store):
    headers = {"Authorization": f"token {TOKENS[user]}"}
    unexpected = []
    ops = operations(seed, team)
    assert len(ops) >= 60
    # Deleting the workspace (and its assignments) last keeps the rest meaningful.
    ops.sort(key=lambda o: o[0] == "DELETE" and o[1] == f"/workspaces/{seed.ws}")
    for method, path, action, scope in ops:
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        response = await api.raw(method, path, body=body, headers=headers, auth=False)
        # Handlers that check a body's shape before asking the policy refuse a malformed
        # body with 400 whoever asks: refused either way, nothing done.
        refused = response.code in (400, 401, 403)
        if (refused and expected(user, action, scope) and response.code != 400) or (
                not refused and not expected(user, action, scope)):
            unexpected.append((method, path, action, response.code))
    assert unexpected == [], f"{user}: {unexpected}"


@pytest.mark.parametrize("user", list(PRINCIPALS))
async def test_websocket_matrix(user, seed, team, jp_ws_fetch):
    try:
        conn = await jp_ws_fetch("mlws", "api", "v1", "live",
                                 headers={"Authorization": f"token {TOKENS[user]}"})
    except HTTPClientError as exc:
        assert user == "nobody" and exc.code in (401, 403), (user, exc.code)
        return
    assert user != "nobody"
    try:
        await conn.write_message(json.dumps({"op": "subscribe", "id": "s",
                                             "workspace_id": seed.ws, "run_id": "run0"}))
        message = json.loads(await conn.read_message())
        while message.get("type") not in ("subscribed", "error"):
            message = json.loads(await conn.read_message())
        ok = expected(user, "Microsoft.MachineLearningServices/workspaces/experiments/runs/read",
                      "main")
        assert message["type"] == ("subscribed" if ok else "error"), (user, message)
    finally:
        conn.close()


async def test_listing_names_only_what_the_caller_may_read(api, seed, team):
    for user, names in (("reader", {"ws-main"}), ("outsider", {"ws-other"}), ("newcomer", set()),
                        ("root", {"ws-main", "ws-other"})):
        body = await api("GET", "/workspaces", headers={
            "Authorization": f"token {TOKENS[user]}"}, auth=False)
        assert {w["name"] for w in body["workspaces"]} == names, user


async def test_denials_are_audited_for_owners(api, seed, team):
    reader = {"Authorization": f"token {TOKENS['reader']}"}
    owner = {"Authorization": f"token {TOKENS['owner']}"}
    await api("POST", f"/workspaces/{seed.ws}/secrets/values", expect=403,
              body={"names": ["s1"]}, headers=reader, auth=False)
    await api("DELETE", "/runs/run0", expect=403, headers=reader, auth=False)
    values = await api("POST", f"/workspaces/{seed.ws}/secrets/values",
                       body={"names": ["s1"]}, headers=owner, auth=False)
    assert values["secrets"] == {"s1": "value-one"}
    await api("GET", f"/workspaces/{seed.ws}/audit", expect=403, headers=reader, auth=False)
    events = (await api("GET", f"/workspaces/{seed.ws}/audit", headers=owner,
                        auth=False))["events"]
    seen = {(e["actor"], e["outcome"], e["action"].rsplit("/", 2)[-2]) for e in events}
    assert ("reader", "denied", "getsecret") in seen
    assert ("reader", "denied", "runs") in seen
    assert ("owner", "read", "getsecret") in seen


async def test_key_vault_over_rest_and_its_bad_input(api, seed, team):
    owner = {"Authorization": f"token {TOKENS['owner']}"}
    reader = {"Authorization": f"token {TOKENS['reader']}"}
    base = f"/workspaces/{seed.ws}/secrets"

    async def call(method, path, expect=200, headers=owner, **kw):
        return await api(method, path, expect=expect, headers=headers, auth=False, **kw)

    created = await call("POST", base, 201, body={"secrets": {"api-key": "v1"},
                                                  "content_types": {"api-key": "text/plain"}})
    assert created["secrets"][0]["version"] == 1 and "v1" not in json.dumps(created)
    names = (await call("GET", base, headers=reader))["secrets"]
    assert {s["name"] for s in names} == {"api-key", "s1"}
    assert all("value" not in s for s in names)
    await call("POST", base + "/values", 403, headers=reader, body={"names": ["api-key"]})
    got = await call("POST", base + "/values", body={"names": ["api-key", "missing"]})
    assert got["secrets"] == {"api-key": "v1"}
    big = "z" * (25 * 1024 + 1)
    error = await call("POST", base, 400, body={"secrets": {"big": big}})
    assert "25600" in error["message"] and "zzzz" not in json.dumps(error)
    for bad in ({"secrets": {"bad name": "x"}}, {"secrets": "x"}, {"secrets": {}},
                {"secrets": {"a": 1}}, {"nope": 1}):
        await call("POST", base, 400, body=bad)
    await call("POST", base + "/values", 400, body={"names": "api-key"})
    await call("POST", base + "/delete", 204, body={"names": ["api-key"]})
    await call("POST", base + "/delete", 404, body={"names": ["api-key"]})
    await call("POST", base + "/api-key/recover", body={})
    versions = await call("GET", base + "/api-key/versions")
    assert [v["version"] for v in versions["versions"]] == [1]
    await call("POST", f"/workspaces/{seed.ws}/roleassignments", 404,
               body={"role": "Superuser", "principal": "x"})
    await call("POST", "/roledefinitions", 403, body={"Name": "x", "Actions": ["*"]})
    root = {"Authorization": f"token {TOKENS['root']}"}
    await call("POST", "/roledefinitions", 400, headers=root, body={"Name": "x"})
    await call("POST", "/roledefinitions", 400, headers=root, body={"Actions": ["*"]})
