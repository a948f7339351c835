"""Models and services over REST (each answer checked against the OpenAPI document): the
registry with aliases and history, a service's state, figures, logs and the test console."""

from __future__ import annotations

import asyncio
import json

import pytest

from jupyter_mlws.core.webservice import AciWebservice
from tests.server.conftest import Api

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


async def test_models_and_services_over_rest(api: Api, workspace, model, source,
                                             deploy) -> None:
    ws = workspace._record.id
    model.set_alias("production")
    models = await api("GET", f"/workspaces/{ws}/models")
    assert [(m["id"], m["aliases"]) for m in models["models"]] == [("lin:1", ["production"])]
    assert (await api("GET", f"/workspaces/{ws}/models?name=other"))["models"] == []
    history = await api("GET", f"/workspaces/{ws}/models/lin/history")
    assert [e["action"] for e in history["events"]] == ["register", "alias"]

    service = await asyncio.to_thread(
        deploy, "svc-rest", [model], source(),
        AciWebservice.deploy_configuration(auth_enabled=True))
    listed = await api("GET", f"/workspaces/{ws}/services")
    assert [(s["name"], s["state"], s["models"]) for s in listed["services"]] == [
        ("svc-rest", "Healthy", ["lin:1"])]
    one = await api("GET", f"/workspaces/{ws}/services/svc-rest")
    assert one["authEnabled"] and one["scoringUri"] == service.scoring_uri
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
    logs = await api("GET", f"/workspaces/{ws}/services/svc-rest/logs")
    assert "asked to fail" in logs["logs"]
    await api("GET", f"/workspaces/{ws}/services/nope", expect=404)
    await api("POST", f"/workspaces/{ws}/services/nope/score", expect=404, body="{}")
