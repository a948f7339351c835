"""Roles and assignments in the store (SQLite and PostgreSQL) and the compiled decision."""

from __future__ import annotations

import json

import pytest

from jupyter_mlws.store.base import ConflictError, InvalidInputError, NotFoundError
from jupyter_mlws.store.decide import AccessDecider, Principal
from jupyter_mlws.store.roles import (
    AUDIT_READ,
    ROLE_ASSIGNMENTS_WRITE,
    SECRET_VALUE_ACTION,
    compiled_built_ins,
    parse_role_definition,
)

ML = "Microsoft.MachineLearningServices/workspaces/"
RUNS_READ = ML + "experiments/runs/read"
RUNS_WRITE = ML + "experiments/runs/write"
COMPUTE_WRITE = ML + "computes/write"
SECRETS_LIST = ML + "secrets/read"

# The v1 documentation's custom role file, as users have it on disk.
V1_CUSTOM_ROLE = {
    "Name": "Data Scientist Custom",
    "IsCustom": True,
    "Description": "Can run experiment but can't create or delete compute.",
    "Actions": ["*"],
    "NotActions": [
        "Microsoft.MachineLearningServices/workspaces/*/delete",
        "Microsoft.MachineLearningServices/workspaces/write",
        "Microsoft.MachineLearningServices/workspaces/computes/*/write",
        "Microsoft.MachineLearningServices/workspaces/computes/*/delete",
        "Microsoft.Authorization/*/write",
    ],
    "AssignableScopes": [
        "/subscriptions/local/resourceGroups/local/providers/"
        "Microsoft.MachineLearningServices/workspaces/team-ws"],
}


@pytest.mark.parametrize(("role", "action", "granted"), [
    ("Owner", ROLE_ASSIGNMENTS_WRITE, True),
    ("Owner", AUDIT_READ, True),
    ("Contributor", RUNS_WRITE, True),
    ("Contributor", SECRET_VALUE_ACTION, True),
    ("Contributor", ROLE_ASSIGNMENTS_WRITE, False),
    ("Contributor", AUDIT_READ, False),
    ("Reader", RUNS_READ, True),
    ("Reader", SECRETS_LIST, True),
    ("Reader", SECRET_VALUE_ACTION, False),
    ("Reader", ML + "datastores/listsecrets/action", False),
    ("Reader", RUNS_WRITE, False),
    ("AzureML Data Scientist", RUNS_WRITE, True),
    ("AzureML Data Scientist", COMPUTE_WRITE, False),
    ("AzureML Data Scientist", ML.rstrip("/") + "/delete", False),
])
def test_built_in_semantics(role: str, action: str, granted: bool) -> None:
    assert compiled_built_ins()[role].grants(action) is granted
    assert compiled_built_ins()[role].grants(action.upper()) is granted  # case-insensitive


def test_v1_custom_role_file_accepted_as_is() -> None:
    role = parse_role_definition(json.loads(json.dumps(V1_CUSTOM_ROLE)))
    from jupyter_mlws.store.roles import CompiledRole

    compiled = CompiledRole(role)
    assert compiled.grants(RUNS_WRITE)
    assert not compiled.grants(ML + "computes/cpu/write")
    assert not compiled.grants(ML + "experiments/delete")


def test_arm_rest_form() -> None:
    role = parse_role_definition({"properties": {
        "roleName": "runner", "permissions": [{"actions": [ML + "experiments/*"],
                                               "notActions": [ML + "experiments/delete"]}]}})
    assert role.name == "runner" and role.not_actions == [ML + "experiments/delete"]


@pytest.mark.parametrize(("definition", "message"), [
    ([], "JSON object"),
    ({"Actions": ["*"]}, "needs a Name"),
    ({"Name": "x"}, "grants nothing"),
    ({"Name": "x", "Actions": "*"}, "must be a list"),
    ({"Name": "x", "Actions": ["bad action!"]}, "not an action pattern"),
    ({"Name": "x", "Actions": [None]}, "not an action pattern"),
    ({"Name": "Owner", "Actions": ["*"]}, "built-in"),
    ({"Name": "x", "Actions": ["*"], "AssignableScopes": "/"}, "AssignableScopes"),
])
def test_malformed_role_json(definition, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_role_definition(definition)


def test_assignments_and_decisions(store) -> None:
    ws = store.create_workspace("team-ws", "local", "local")
    other = store.create_workspace("other-ws", "local", "local")
    decider = AccessDecider(store, admins=frozenset({"root"}), refresh_seconds=0)
    alice, bob = Principal("alice"), Principal("bob", frozenset({"data-scientists"}))
    assert not decider.decide(alice, RUNS_READ, ws.id)
    store.assign_role("Reader", "alice", workspace_id=ws.id)
    assert decider.decide(alice, RUNS_READ, ws.id)
    assert not decider.decide(alice, RUNS_READ, other.id)  # another workspace
    assert decider.decide(alice, RUNS_READ, None)  # "anywhere?"
    assert not decider.decide(alice, SECRET_VALUE_ACTION, ws.id)
    store.put_role_definition(V1_CUSTOM_ROLE)
    store.assign_role("data scientist custom", "data-scientists", principal_type="group",
                      workspace_id=ws.id)
    assert decider.decide(bob, RUNS_WRITE, ws.id)
    assert not decider.decide(bob, ML + "computes/c/write", ws.id)
    with pytest.raises(InvalidInputError, match="AssignableScopes"):
        store.assign_role("Data Scientist Custom", "bob", workspace_id=other.id)
    again = store.assign_role("Reader", "alice", workspace_id=ws.id)
    assert len([a for a in store.list_role_assignments(ws.id) if a.principal == "alice"]) == 1
    store.remove_role_assignment(again.id)
    assert not decider.decide(alice, RUNS_READ, ws.id)
    store.assign_role("Contributor", "alice")  # every workspace
    assert decider.decide(alice, RUNS_WRITE, other.id)
    assert decider.decide(Principal("root"), ROLE_ASSIGNMENTS_WRITE, other.id)  # admin
    assert not decider.decide(None, RUNS_READ, ws.id)
    run_principal = Principal("run:x", run_id="x", workspace_id=ws.id)
    assert decider.decide(run_principal, SECRET_VALUE_ACTION, ws.id)
    assert decider.decide(run_principal, RUNS_WRITE, ws.id)
    assert not decider.decide(run_principal, RUNS_READ, other.id)
    assert not decider.decide(run_principal, ROLE_ASSIGNMENTS_WRITE, ws.id)


def test_bad_assignments(store) -> None:
    ws = store.create_workspace("team-ws", "local", "local")
    with pytest.raises(NotFoundError, match=r"Unknown role 'Superuser'.*Owner, Contributor"):
        store.assign_role("Superuser", "alice", workspace_id=ws.id)
    with pytest.raises(NotFoundError, match="Workspace nope not found"):
        store.assign_role("Reader", "alice", workspace_id="nope")
    with pytest.raises(InvalidInputError, match="principal_type"):
        store.assign_role("Reader", "alice", principal_type="robot", workspace_id=ws.id)
    with pytest.raises(InvalidInputError, match="principal"):
        store.assign_role("Reader", "", workspace_id=ws.id)
    with pytest.raises(NotFoundError):
        store.remove_role_assignment("no-such-id")
    store.put_role_definition({"Name": "tmp", "Actions": ["*/read"]})
    store.assign_role("tmp", "alice", workspace_id=ws.id)
    with pytest.raises(ConflictError, match="used by 1"):
        store.delete_role_definition("tmp")
    with pytest.raises(InvalidInputError, match="built-in"):
        store.delete_role_definition("Reader")


def test_generation_moves_with_every_change(store) -> None:
    ws = store.create_workspace("team-ws", "local", "local")
    seen = [store.access_generation()]
    a = store.assign_role("Reader", "alice", workspace_id=ws.id)
    seen.append(store.access_generation())
    store.put_role_definition({"Name": "r", "Actions": ["*/read"]})
    seen.append(store.access_generation())
    store.remove_role_assignment(a.id)
    seen.append(store.access_generation())
    assert seen == sorted(set(seen))


def test_secrets_on_both_engines(store) -> None:
    ws = store.create_workspace("team-ws", "local", "local")
    store.set_secrets(ws.id, {"k": "v1"}, actor="alice")
    store.set_secrets(ws.id, {"K": "v2"}, actor="alice")
    assert store.get_secrets(ws.id, ["k"], actor="bob") == {"k": "v2"}
    assert [p.version for p in store.list_secret_versions(ws.id, "k")] == [2, 1]
    events = store.list_audit(ws.id)
    assert [(e.actor, e.outcome) for e in events] == [("bob", "read")]
