"""Who acts, on a server enforcing roles: what the table's rows record is the identity the
server authenticated (a run's submitter, a workspace's creator, the actor of a secret read),
never what a client claims; a run token acts as its run, on its workspace only, while the
run is active."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import team_server_config, team_tokens, token_header

TOKENS = team_tokens("owner", "contrib", "newcomer")


def _as(user: str) -> dict[str, str]:
    return token_header(TOKENS, user)


@pytest.fixture
def jp_server_config():
    return team_server_config(TOKENS)


@pytest.fixture
def team(seed, store) -> dict[str, Any]:
    store.assign_role("Owner", "owner", workspace_id=seed.ws)
    store.assign_role("Contributor", "contrib", workspace_id=seed.ws)
    store.set_secrets(seed.ws, {"db-pass": "hunter2-value"})
    return {"exp_id": store.get_experiment(seed.ws, "exp1").id}


async def test_a_run_records_who_the_server_authenticated(api, seed, team, store):
    body = {"experiment_id": team["exp_id"], "run_id": "claimed",
            "properties": {"mlws.submittedBy": "mallory", "k": "v"}}
    await api("POST", f"/workspaces/{seed.ws}/runs", expect=201, body=body,
              headers=_as("contrib"), auth=False)
    properties = store.get_run("claimed").properties
    assert properties == {"mlws.submittedBy": "contrib", "k": "v"}


async def test_the_creator_of_a_workspace_owns_it(api, store):
    created = await api("POST", "/workspaces", expect=201, body={"name": "fresh-ws"},
                        headers=_as("newcomer"), auth=False)
    owners = [(a.role, a.principal) for a in store.list_role_assignments(created["id"],
                                                                          include_global=False)]
    assert owners == [("Owner", "newcomer")]
    # At once (no wait for the decider's refresh): the creator manages access and deletes it.
    listed = await api("GET", f"/workspaces/{created['id']}/roleassignments",
                       headers=_as("newcomer"), auth=False)
    assert [a["principal"] for a in listed["assignments"]] == ["newcomer"]
    await api("DELETE", f"/workspaces/{created['id']}", expect=204, headers=_as("newcomer"),
              auth=False)


async def test_an_assigned_role_applies_at_once(api, seed, team):
    ws = seed.ws
    await api("GET", f"/workspaces/{ws}/secrets", expect=403, headers=_as("newcomer"),
              auth=False)
    made = await api("POST", f"/workspaces/{ws}/roleassignments", expect=201,
                     body={"role": "Reader", "principal": "newcomer"}, headers=_as("owner"),
                     auth=False)
    names = await api("GET", f"/workspaces/{ws}/secrets", headers=_as("newcomer"), auth=False)
    assert [s["name"] for s in names["secrets"]] == ["db-pass"]
    await api("POST", f"/workspaces/{ws}/secrets/values", expect=403,
              body={"names": ["db-pass"]}, headers=_as("newcomer"), auth=False)
    await api("DELETE", f"/roleassignments/{made['id']}", expect=204, headers=_as("owner"),
              auth=False)
    await api("GET", f"/workspaces/{ws}/secrets", expect=403, headers=_as("newcomer"),
              auth=False)


async def test_a_run_token_acts_as_its_run_in_its_workspace_only(api, seed, team, store):
    minted = await api("POST", "/runs/run2/token", expect=201, headers=_as("contrib"),
                       auth=False)
    run = {"Authorization": f"token {minted['token']}"}
    credential = await api("GET", "/credential", headers=run, auth=False)
    assert credential == {"run_id": "run2", "workspace_id": seed.ws, "submitted_by": "contrib"}
    assert await api("GET", "/credential", headers=_as("contrib"), auth=False) == {}
    values = await api("POST", f"/workspaces/{seed.ws}/secrets/values",
                       body={"names": ["db-pass"]}, headers=run, auth=False)
    assert values["secrets"] == {"db-pass": "hunter2-value"}
    events = store.list_audit(seed.ws)
    assert ("run:run2", "read") in {(e.actor, e.outcome) for e in events}
    # Its own workspace only, and nothing of access control.
    await api("GET", f"/workspaces/{seed.other_ws}", expect=403, headers=run, auth=False)
    await api("GET", f"/workspaces/{seed.ws}/roleassignments", expect=403, headers=run,
              auth=False)
    # Once the run has ended the token stands for nothing.
    store.update_run("run2", status="Completed")
    response = await api.raw("GET", "/credential", headers=run, auth=False)
    assert response.code in (401, 403)


NO_ROLES = {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}}}


@pytest.mark.parametrize("jp_server_config", [NO_ROLES])
async def test_without_roles_the_clients_record_stands(api, seed, store):
    # One user: the SDK logging through the server records who it runs as.
    exp_id = store.get_experiment(seed.ws, "exp1").id
    body = {"experiment_id": exp_id, "run_id": "mine",
            "properties": {"mlws.submittedBy": "alice"}}
    await api("POST", f"/workspaces/{seed.ws}/runs", expect=201, body=body)
    assert store.get_run("mine").properties["mlws.submittedBy"] == "alice"
