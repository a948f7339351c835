"""Datastores and datasets over REST (SQLite and PostgreSQL): every response checked against
the OpenAPI document; files confined; credentials never answered."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from jupyter_mlws.core import Dataset, Datastore, Workspace
from jupyter_mlws.server.authz import MlwsResource
from jupyter_mlws.store import reset_store_cache

SECRET = "never-shown-secret-value"


@pytest.fixture
def db_api(database_url, monkeypatch, api):
    """The API over the parametrized database (the server opens the store lazily)."""
    return api


@pytest.fixture(autouse=True)
def _database(database_url, monkeypatch):
    monkeypatch.setenv("MLWS_DATABASE_URL", database_url)
    reset_store_cache()


@pytest.fixture
def ws(tmp_path):
    return Workspace.create("dataws", show_output=False)


@pytest.fixture
def rows_dataset(ws, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.csv").write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(120)))
    blob = ws.get_default_datastore()
    blob.upload(str(src), target_path="rows", show_progress=False)
    return Dataset.Tabular.from_delimited_files((blob, "rows/*.csv")).register(ws, "rows")


async def test_datastores_list_and_write_only_secret(db_api, ws) -> None:
    Datastore.register_azure_blob_container(ws, "az", "cont", "acct", account_key=SECRET,
                                            skip_validation=True)
    wid = ws._record.id
    body = await db_api("GET", f"/workspaces/{wid}/datastores")
    names = {d["name"]: d for d in body["datastores"]}
    assert {"workspaceblobstore", "workspacefilestore", "az"} <= set(names)
    assert body["default"] == "workspaceblobstore" and names["workspaceblobstore"]["is_default"]
    assert SECRET not in json.dumps(body)
    for path in (f"/workspaces/{wid}/assets/datastore", f"/workspaces/{wid}/assets/datastore/az",
                 f"/workspaces/{wid}/datastores/az/files/info?path="):
        response = await db_api.raw("GET", path)
        assert SECRET.encode() not in response.body, path
    await db_api("PUT", f"/workspaces/{wid}/datastores/az/secret", 204,
                 body={"secret": {"account_key": "other"}})
    assert ws._store.get_datastore_secret(wid, "az") == {"account_key": "other"}
    response = await db_api.raw("GET", f"/workspaces/{wid}/datastores/az/secret")
    assert response.code == 405  # there is no way to read a secret back
    await db_api("PUT", f"/workspaces/{wid}/datastores/az/secret", 400,
                 body={"secret": {"k": 1}})
    await db_api("DELETE", f"/workspaces/{wid}/datastores/az/secret", 204)
    assert ws._store.get_datastore_secret(wid, "az") == {}


async def test_datastore_files_upload_list_range_delete(db_api, ws, tmp_path) -> None:
    base = f"/workspaces/{ws._record.id}/datastores/workspaceblobstore/files"
    entry = await db_api("PUT", f"{base}/content/dir/hello.txt", 201, body=b"hello world",
                         headers={"Content-Type": "application/octet-stream"})
    assert entry["path"] == "dir/hello.txt" and entry["size"] == 11
    await db_api("PUT", f"{base}/content/dir/hello.txt", 409, body=b"again",
                 headers={"Content-Type": "application/octet-stream"})
    listing = await db_api("GET", f"{base}?path=&recursive=true")
    assert [f["path"] for f in listing["files"]] == ["dir/hello.txt"]
    top = await db_api("GET", f"{base}?path=")
    assert top["files"] == [{"path": "dir", "type": "directory", "size": 0,
                             "mtime": top["files"][0]["mtime"], "etag": None}]
    globbed = await db_api("GET", f"{base}?glob=**/*.txt")
    assert [f["path"] for f in globbed["files"]] == ["dir/hello.txt"]
    info = await db_api("GET", f"{base}/info?path=dir/hello.txt")
    assert info["size"] == 11
    part = await db_api("GET", f"{base}/content/dir/hello.txt", 206,
                        headers={"Range": "bytes=6-"})
    assert part.body == b"world"
    whole = await db_api("GET", f"{base}/content/dir/hello.txt")
    assert whole.body == b"hello world"
    for bad in ("..%2Fescape", "dir/..%2F..%2Fx", "%2Fetc%2Fpasswd"):
        response = await db_api.raw("GET", f"{base}/info?path={bad}")
        assert response.code in (400, 404), bad
    response = await db_api.raw("GET", f"{base}/content/dir/../../../etc/passwd")
    assert response.code in (400, 404)
    await db_api("DELETE", f"{base}/content/dir/hello.txt", 204)
    await db_api("GET", f"{base}/info?path=dir/hello.txt", 404)


async def test_a_link_out_of_a_datastore_is_not_served(db_api, ws, tmp_path) -> None:
    store_dir = tmp_path / "linked"
    store_dir.mkdir()
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", store_dir / "out.txt")
    Datastore.register_local_folder(ws, "linked", str(store_dir))
    base = f"/workspaces/{ws._record.id}/datastores/linked/files"
    response = await db_api.raw("GET", f"{base}/content/out.txt")
    assert response.code == 400 and b"secret" not in response.body
    assert (await db_api("GET", f"{base}?path="))["files"] == []


async def test_datasets_list_detail_preview_profile(db_api, ws, rows_dataset) -> None:
    wid = ws._record.id
    listed = await db_api("GET", f"/workspaces/{wid}/datasets")
    assert [(d["name"], d["version"], d["type"]) for d in listed["datasets"]] == [
        ("rows", 1, "tabular")]
    rows_dataset.take(5).register(ws, "rows", create_new_version=True)
    one = await db_api("GET", f"/workspaces/{wid}/datasets/rows")
    assert one["version"] == 2 and [v["version"] for v in one["versions"]] == [2, 1]
    assert one["columns"] == [["x", "int64"], ["y", "int64"]]
    v1 = await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/1")
    assert v1["definition"]["sources"] == [{"datastore": "workspaceblobstore",
                                            "path": "rows/*.csv"}]
    page = await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/1/preview"
                                "?offset=100&limit=15")
    assert page["rows"][0] == [100, 10000] and len(page["rows"]) == 15 and page["has_more"]
    last = await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/1/preview"
                                "?offset=110&limit=50")
    assert len(last["rows"]) == 10 and not last["has_more"]
    await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/1/profile", 404)
    profile = await db_api("POST", f"/workspaces/{wid}/datasets/rows/versions/1/profile")
    assert profile["row_count"] == 120 and profile["columns"]["x"]["max"] == 119
    stored = await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/1/profile")
    assert stored["computed_time"] == profile["computed_time"]
    await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/9", 404)
    await db_api("GET", f"/workspaces/{wid}/datasets/bad%20name", 400)


async def test_register_from_file_browser_selection(db_api, ws, jp_root_dir) -> None:
    wid = ws._record.id
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "t.csv").write_text("a\n1\n2\n")
    (jp_root_dir / "data" / "u.csv").write_text("a\n3\n")
    made = await db_api("POST", f"/workspaces/{wid}/datasets", 201, body={
        "name": "picked", "type": "tabular", "paths": ["data/t.csv", "data/u.csv"]})
    assert made["version"] == 1 and made["files"] == 2
    assert Dataset.get_by_name(ws, "picked").to_pandas_dataframe()["a"].tolist() == [1, 2, 3]
    files = await db_api("POST", f"/workspaces/{wid}/datasets", 201, body={
        "name": "picked_files", "paths": ["data"]})
    preview = await db_api("GET", f"/workspaces/{wid}/datasets/picked_files/versions/1/preview")
    assert [f["path"] for f in preview["files"]] == ["/t.csv", "/u.csv"] and files["files"] == 2
    for paths in (["../outside"], ["/etc/passwd"], ["data/missing.csv"]):
        await db_api("POST", f"/workspaces/{wid}/datasets", 400,
                     body={"name": "bad", "paths": paths})
    await db_api("POST", f"/workspaces/{wid}/datasets", 400,
                 body={"name": "-bad", "paths": ["data"]})
    assert set(Dataset.get_all(ws)) == {"picked", "picked_files"}


async def test_lineage_routes(db_api, ws, rows_dataset) -> None:
    from jupyter_mlws.core import Experiment

    wid = ws._record.id
    run = Experiment(ws, "lineage").start_logging(snapshot_directory=None, outputs=False)
    key = "mlws.dataset.in.rows.v1"
    run.add_properties({key: json.dumps({"id": rows_dataset.id,
                                         "inputs": [{"name": "train", "mode": "direct"}]})})
    run.complete()
    used = await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/1/runs")
    assert [r["id"] for r in used["inputs"]] == [run.id] and used["outputs"] == []
    lineage = await db_api("GET", f"/runs/{run.id}/datasets?workspace_id={wid}")
    assert lineage["inputs"] == [{"name": "rows", "version": 1, "saved": False,
                                  "id": rows_dataset.id,
                                  "inputs": [{"name": "train", "mode": "direct"}]}]


async def test_the_server_never_reads_urls_on_behalf_of_a_client(db_api, ws, tmp_path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("secret\nvalue\n")
    Dataset.Tabular.from_delimited_files(str(outside)).register(ws, "outside")
    wid = ws._record.id
    for tail in ("preview", "profile"):
        method = "GET" if tail == "preview" else "POST"
        response = await db_api.raw(method, f"/workspaces/{wid}/datasets/outside/versions/1/"
                                             f"{tail}")
        assert response.code == 400 and b"value" not in response.body


def no_runs_nor_other_datastores(user: Any, action: str, resource: MlwsResource) -> bool:
    """Datasets yes, runs no; only the default datastore's files."""
    if resource.kind == "run":
        return False
    return resource.kind != "datastore" or resource.name in (None, "workspaceblobstore")


@pytest.mark.parametrize("jp_server_config", [{
    "ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}},
    "MlwsApp": {"authorization_policy": no_runs_nor_other_datastores}}])
async def test_data_rows_pass_the_policy_per_datastore_and_for_runs(db_api, ws,
                                                                    rows_dataset) -> None:
    wid = ws._record.id
    Datastore.register_azure_blob_container(ws, "az", "cont", "acct", account_key=SECRET,
                                            skip_validation=True)
    await db_api("GET", f"/workspaces/{wid}/datastores")
    await db_api("GET", f"/workspaces/{wid}/datastores/workspaceblobstore/files?path=rows")
    for method, tail in (("GET", "files?path="), ("GET", "files/info?path="),
                         ("GET", "files/content/a.csv"), ("DELETE", "secret")):
        response = await db_api.raw(method, f"/workspaces/{wid}/datastores/az/{tail}")
        assert response.code == 403, (method, tail, response.code)
    await db_api("GET", f"/workspaces/{wid}/datasets/rows/versions/1")
    # The runs that used a version are runs: the policy's say on runs holds there too.
    response = await db_api.raw("GET", f"/workspaces/{wid}/datasets/rows/versions/1/runs")
    assert response.code == 403
