"""Models and services over REST, as rows of the operation table (each answer checked against
the OpenAPI document): the registry with aliases, edits and history; a service's state,
figures matching the requests sent, logs, the test console; keys only from listServiceKeys."""

from __future__ import annotations

import asyncio
import json

import pytest

from jupyter_mlws.core.model import Model
from jupyter_mlws.core.webservice import AciWebservice, Webservice
from tests.server.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


async def test_models_over_rest(api: Api, workspace, model, work_dir) -> None:
    ws = workspace._record.id
    model.set_alias("production")
    second = await asyncio.to_thread(Model.register, workspace, work_dir / "model.pkl", "lin")
    models = await api("GET", f"/workspaces/{ws}/models")
    assert [(m["id"], m["aliases"]) for m in models["models"]] == [
        ("lin:2", []), ("lin:1", ["production"])]
    assert models["models"][1]["files"] == {"model.pkl": (work_dir / "model.pkl").stat().st_size}
    assert [m["id"] for m in (await api("GET", f"/workspaces/{ws}/models?latest=true"))[
        "models"]] == ["lin:2"]
    assert (await api("GET", f"/workspaces/{ws}/models?name=other"))["models"] == []
    one = await api("GET", f"/workspaces/{ws}/models/lin?alias=production")
    assert one["version"] == 1
    # Move the alias, edit, and find both in the history, who and when.
    moved = await api("PUT", f"/workspaces/{ws}/models/lin/aliases/production",
                      body={"version": 2})
    assert moved["aliases"] == ["production"] and moved["version"] == 2
    edited = await api("PATCH", f"/workspaces/{ws}/models/lin/versions/1",
                       body={"tags": {"stage": "old"}, "description": "first",
                             "properties": {"auc": "0.9"}})
    assert (edited["tags"], edited["description"], edited["properties"]) == (
        {"stage": "old"}, "first", {"auc": "0.9"})
    assert Model(workspace, "lin", version=1).tags == {"stage": "old"}  # the SDK sees it
    history = await api("GET", f"/workspaces/{ws}/models/lin/history")
    actions = [(e["action"], e.get("version"), e.get("previous_version"))
               for e in history["events"]]
    assert actions == [("register", 1, None), ("alias", 1, None), ("register", 2, None),
                       ("alias", 2, 1), ("update", 1, None), ("update", 1, None)]
    # (the tags and description in one event, the added properties in another)
    assert all(e["actor"] for e in history["events"])
    await api("DELETE", f"/workspaces/{ws}/models/lin/aliases/production", expect=204)
    assert second.aliases == []
    await api("DELETE", f"/workspaces/{ws}/models/lin/versions/2", expect=204)
    assert [m.id for m in Model.list(workspace)] == ["lin:1"]
    await api("GET", f"/workspaces/{ws}/models/lin?version=2", expect=404)
    await api("GET", f"/workspaces/{ws}/models/nope/history", expect=404)
    await api("PUT", f"/workspaces/{ws}/models/lin/aliases/Bad%20Alias",
              body={"version": 1}, expect=400)
    await api("PUT", f"/workspaces/{ws}/models/lin/aliases/latest", body={"version": 1},
              expect=400)  # reserved


async def test_services_over_rest(api: Api, workspace, model, source, deploy) -> None:
    ws = workspace._record.id
    service = await asyncio.to_thread(
        deploy, "svc-rest", [model], source(),
        AciWebservice.deploy_configuration(auth_enabled=True))
    keys = await asyncio.to_thread(service.get_keys)
    listed = await api("GET", f"/workspaces/{ws}/services")
    assert [(s["name"], s["state"], s["models"]) for s in listed["services"]] == [
        ("svc-rest", "Healthy", ["lin:1"])]
    one = await api("GET", f"/workspaces/{ws}/services/svc-rest")
    assert one["auth_enabled"] and one["scoring_uri"] == service.scoring_uri
    for text in (json.dumps(listed), json.dumps(one), repr(service)):
        assert keys[0] not in text and keys[1] not in text  # keys only from listServiceKeys
    used = await api("GET", f"/workspaces/{ws}/models/lin")
    assert used["used_by"] == ["svc-rest"]
    await api("DELETE", f"/workspaces/{ws}/models/lin/versions/1", expect=409)

    # The test console sends the request with the service's key; errors come back as answers.
    answer = await api("POST", f"/workspaces/{ws}/services/svc-rest/score",
                       body=json.dumps({"data": [4]}))
    assert answer["status"] == 200 and json.loads(answer["body"])["y"] == [9.0]
    failed = await api("POST", f"/workspaces/{ws}/services/svc-rest/score",
                       body=json.dumps({"fail": True}))
    assert failed["status"] == 500 and "asked to fail" in failed["body"]

    async def figures() -> dict:
        for _ in range(300):
            found = await api("GET", f"/workspaces/{ws}/services/svc-rest/metrics")
            if found["requests"] == 2:
                return found
            await asyncio.sleep(0.1)  # polling the monitoring store
        raise AssertionError("2 requests not recorded")

    found = await figures()
    assert found["errors"] == 1 and found["error_rate"] == 0.5
    assert sum(found["series"]["requests"]) == 2
    logs = await api("GET", f"/workspaces/{ws}/services/svc-rest/logs")
    assert "asked to fail" in logs["logs"]

    listed_keys = await api("POST", f"/workspaces/{ws}/services/svc-rest/listKeys")
    assert (listed_keys["primary_key"], listed_keys["secondary_key"]) == keys
    await api("POST", f"/workspaces/{ws}/services/svc-rest/regenerateKeys",
              body={"key_type": "Primary", "key_value": "k" * 32}, expect=204)
    assert (await asyncio.to_thread(service.get_keys))[0] == "k" * 32
    await api("POST", f"/workspaces/{ws}/services/svc-rest/regenerateKeys",
              body={"key_type": "Tertiary"}, expect=400)

    await api("GET", f"/workspaces/{ws}/services/nope", expect=404)
    await api("POST", f"/workspaces/{ws}/services/nope/score", expect=404, body="{}")
    await api("DELETE", f"/workspaces/{ws}/services/svc-rest", expect=204)
    assert Webservice.list(workspace) == []


TEAM = {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True},
                      "identity_provider_class":
                          "jupyter_mlws.server.team.TeamIdentityProvider"},
        "TeamIdentityProvider": {"users": {"alice": {"token": "tok-alice-0123456789",
                                                     "groups": []}}},
        "MlwsApp": {"access_control": True, "admin_users": ["alice"]}}


@pytest.mark.parametrize("jp_server_config", [TEAM])
async def test_history_names_the_rest_caller(api: Api, workspace, model) -> None:
    ws = workspace._record.id
    await api("PUT", f"/workspaces/{ws}/models/lin/aliases/production", body={"version": 1},
              headers={"Authorization": "token tok-alice-0123456789"}, auth=False)
    last = Model.history(workspace, "lin")[-1]
    assert (last["action"], last["actor"]) == ("alias", "alice")
