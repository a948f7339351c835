"""A service's collected data over REST (``getCollectedData``, ``registerCollectedData``;
every answer checked against the OpenAPI document) and through the SDK on a server-backed
store: figures that match the rows sent, versions made on request, bad input refused with a
clear message and nothing registered."""

from __future__ import annotations

import asyncio
import json

import pytest

from jupyter_mlws.core import Dataset, Workspace
from jupyter_mlws.core.webservice import AciWebservice
from tests.helpers import wait_until
from tests.server.conftest import Api
from tests.serving.test_collected_data import COLLECTING

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _send(service, rows: list[list[int]]) -> None:
    for start in range(0, len(rows), 10):
        service.run(json.dumps({"data": rows[start:start + 10]}))


def _rows(summary: dict, designation: str) -> int:
    found = {d["designation"]: d for d in summary["designations"]}
    return int(found.get(designation, {}).get("rows", 0))


async def _collected(api: Api, service, base: str, designation: str, rows: int) -> dict:
    """The REST listing once ``rows`` rows of ``designation`` were written (every few
    seconds; waited for through the SDK, off the event loop the server runs on)."""
    await asyncio.to_thread(
        wait_until, lambda: _rows(service.get_collected_data_summary(), designation) >= rows,
        60, 0.5, f"{rows} collected {designation} rows")
    return await api("GET", base + "/collectedData")  # type: ignore[no-any-return]


async def test_collected_data_over_rest(api: Api, workspace: Workspace, model, source,
                                        deploy) -> None:
    ws = workspace._record.id
    service = await asyncio.to_thread(
        deploy, "svc-crest", [model], source(text=COLLECTING),
        AciWebservice.deploy_configuration(collect_model_data=True))
    base = f"/workspaces/{ws}/services/svc-crest"
    empty = await api("GET", base + "/collectedData")
    assert empty["collect_model_data"] is True and empty["service"] == "svc-crest"
    rows = [[i, i % 3] for i in range(30)]
    await asyncio.to_thread(_send, service, rows)
    listed = await _collected(api, service, base, "inputs", 30)
    inputs = {d["designation"]: d for d in listed["designations"]}["inputs"]
    assert inputs["rows"] == 30 and inputs["files"] >= 1 and inputs["bytes"] > 0
    assert inputs["first_time"] <= inputs["last_time"]
    assert inputs["dataset_name"] == "svc-crest-inputs"
    assert inputs["versions"] == [] and inputs["new_files"] == inputs["files"]

    made = await api("POST", base + "/collectedData/inputs", body={})
    assert made["created"] is True
    assert (made["dataset"]["name"], made["dataset"]["version"]) == ("svc-crest-inputs", 1)
    assert made["dataset"]["files"] == inputs["files"]
    frame = await asyncio.to_thread(
        lambda: Dataset.get_by_name(workspace, "svc-crest-inputs").to_pandas_dataframe())
    assert sorted(frame[["a", "b"]].values.tolist()) == rows
    # Nothing new: the same version, said so.
    again = await api("POST", base + "/collectedData/inputs", body={})
    assert again["created"] is False and again["dataset"]["version"] == 1
    after = {d["designation"]: d for d in
             (await api("GET", base + "/collectedData"))["designations"]}["inputs"]
    assert [(v["name"], v["version"]) for v in after["versions"]] == [("svc-crest-inputs", 1)]
    assert after["new_files"] == 0
    # Another name: its own dataset, listed with the designation's versions.
    named = await api("POST", base + "/collectedData/inputs",
                      body={"dataset_name": "my.inputs"})
    assert named["created"] and named["dataset"]["tags"]["mlws.service"] == "svc-crest"

    # Bad input: a clear status and message, nothing registered.
    async def refused(method: str, path: str, expect: int, text: str, **kwargs) -> None:
        response = await api.raw(method, path, **kwargs)
        assert response.code == expect, (path[:100], response.code, response.body[:300])
        assert text in json.loads(response.body)["message"], response.body[:300]

    await refused("POST", base + "/collectedData/nothing", 404, "no collected data",
                  body={})
    await refused("POST", base + "/collectedData/%2E%2E", 400, "designation", body={})
    await refused("POST", base + "/collectedData/" + "d" * 65, 400, "designation", body={})
    await refused("POST", f"/workspaces/{ws}/services/nope/collectedData/inputs", 404,
                  "nope", body={})
    await refused("GET", f"/workspaces/{ws}/services/nope/collectedData", 404, "nope")
    await refused("POST", base + "/collectedData/inputs", 400, "dataset_name",
                  body={"dataset_name": "../escape"})
    await refused("POST", base + "/collectedData/inputs", 400, "dataset_name",
                  body={"dataset_name": "a..b/c"})
    await refused("POST", base + "/collectedData/inputs", 400, "dataset_name",
                  body={"dataset_name": "x" * 1000_000})
    await refused("POST", base + "/collectedData/inputs", 413, "at most",
                  body={"dataset_name": "x" * (1 << 20)})
    await refused("POST", base + "/collectedData/inputs", 400, "unknown body field",
                  body={"designation": "inputs"})
    # A dataset of that name that is not this designation's collection is not versioned over.
    await refused("POST", base + "/collectedData/predictions", 400, "another dataset_name",
                  body={"dataset_name": "svc-crest-inputs"})
    versions = await asyncio.to_thread(
        lambda: workspace._store.list_assets(ws, "dataset", latest_only=False))
    assert sorted((r.name, r.version) for r in versions) == [("my.inputs", 1),
                                                             ("svc-crest-inputs", 1)]
    # ... and the SDK refuses the same before copying a file.
    with pytest.raises(Exception, match="designation"):
        await asyncio.to_thread(service.get_collected_data, "d" * 10**6)


@pytest.mark.parametrize("mlws_store_backend", ["http"], indirect=True)
def test_collected_data_through_the_server(workspace: Workspace, model, source, deploy,
                                           mlws_http_server, sql_view, monkeypatch) -> None:
    """The SDK on an HttpStore asks the server (one call): the export never runs here."""
    from jupyter_mlws.core.webservice import collected_data

    assert type(workspace._store).__name__ == "HttpStore"
    service = deploy("svc-chttp", [model], source(text=COLLECTING),
                     AciWebservice.deploy_configuration(collect_model_data=True))

    def not_here(*args, **kwargs):
        raise AssertionError("the client exported collected files itself")

    monkeypatch.setattr(collected_data, "export_collected", not_here)
    monkeypatch.setattr(collected_data, "register_collected", not_here)
    rows = [[i, 1] for i in range(20)]
    _send(service, rows)
    summary = wait_until(
        lambda: _rows(s := service.get_collected_data_summary(), "inputs") == 20 and s, 60,
        0.5, "20 collected input rows listed through the server")
    assert {d["designation"] for d in summary["designations"]} >= {"inputs", "predictions"}
    dataset = service.get_collected_data("inputs")
    assert (dataset.name, dataset.version) == ("svc-chttp-inputs", 1)
    assert sorted(dataset.to_pandas_dataframe()[["a", "b"]].values.tolist()) == rows
    # The version is in the server's own database, its files in the server's datastore.
    ws = workspace._record.id
    record = sql_view.get_asset(ws, "dataset", "svc-chttp-inputs")
    assert record.tags == {"mlws.service": "svc-chttp", "mlws.designation": "inputs"}
    assert service.get_collected_data("inputs").version == 1
    listed = service.get_collected_data_summary()
    inputs = {d["designation"]: d for d in listed["designations"]}["inputs"]
    assert [v["version"] for v in inputs["versions"]] == [1] and inputs["new_files"] == 0
