"""Who may list and register a service's collected data on a server enforcing roles: a
Reader lists (services and datasets read) but cannot register (``workspaces/datasets/write``);
a registration also needs read on the service and write on the datastores it copies into."""

from __future__ import annotations

import asyncio
import json

import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.webservice import AciWebservice
from tests.helpers import team_server_config, team_tokens, token_header, wait_until
from tests.server.conftest import Api
from tests.serving.test_collected_data import COLLECTING

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
ML = "Microsoft.MachineLearningServices/workspaces/"
TOKENS = team_tokens("contrib", "reader", "datasets-only", "services-only")


def _as(user: str) -> dict[str, str]:
    return token_header(TOKENS, user)


@pytest.fixture
def jp_server_config():
    return team_server_config(TOKENS)


async def test_reader_lists_but_cannot_register(api: Api, workspace: Workspace, model, source,
                                                deploy) -> None:
    ws = workspace._record.id
    store = workspace._store
    # Dataset rights without the datastore write a registration's copy needs; service read
    # without dataset read.
    store.put_role_definition({"Name": "Datasets only", "Actions": [
        ML + "services/read", ML + "datasets/read", ML + "datasets/write"]})
    store.put_role_definition({"Name": "Services only", "Actions": [ML + "services/read"]})
    for role, user in (("Contributor", "contrib"), ("Reader", "reader"),
                       ("Datasets only", "datasets-only"), ("Services only", "services-only")):
        store.assign_role(role, user, workspace_id=ws)
    service = await asyncio.to_thread(
        deploy, "svc-cacc", [model], source(text=COLLECTING),
        AciWebservice.deploy_configuration(collect_model_data=True))
    await asyncio.to_thread(service.run, json.dumps({"data": [[1, 2], [3, 4]]}))
    await asyncio.to_thread(
        wait_until, lambda: any(d["designation"] == "inputs" for d in
                                service.get_collected_data_summary()["designations"]),
        60, 0.5, "collected inputs")
    base = f"/workspaces/{ws}/services/svc-cacc/collectedData"

    listed = await api("GET", base, headers=_as("reader"), auth=False)
    assert "inputs" in {d["designation"] for d in listed["designations"]}
    await api("GET", base, 403, headers=_as("services-only"), auth=False)  # names datasets
    for user in ("reader", "datasets-only", "services-only"):
        refused = await api.raw("POST", base + "/inputs", body={}, headers=_as(user),
                                auth=False)
        assert refused.code == 403, (user, refused.code, refused.body[:200])
    # Nothing was registered or copied by the refused calls.
    assert store.list_assets(ws, "dataset") == []
    assert not store.list_datastore_files(ws, "workspaceblobstore", "", recursive=True)
    made = await api("POST", base + "/inputs", body={}, headers=_as("contrib"), auth=False)
    assert made["created"] and made["dataset"]["name"] == "svc-cacc-inputs"
    assert [(r.name, r.version) for r in store.list_assets(ws, "dataset")] == [
        ("svc-cacc-inputs", 1)]
