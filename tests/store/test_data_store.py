"""The store side of data (SQLite and PostgreSQL): datastore secrets apart from records, asset
updates, manifests as blobs, dataset registration under concurrency."""

from __future__ import annotations

import multiprocessing

import pytest

from jupyter_mlws.store import ConflictError, InvalidInputError, NotFoundError
from jupyter_mlws.store.data import manifest as manifests
from jupyter_mlws.store.data import registry


def test_secrets_are_kept_apart_and_removed_with_the_workspace(store, ws) -> None:
    store.put_datastore_secret(ws.id, "MyStore", {"key": "k1", "secret": "s1"})
    assert store.get_datastore_secret(ws.id, "mystore") == {"key": "k1", "secret": "s1"}
    store.put_datastore_secret(ws.id, "mystore", {"key": "k2"})
    assert store.get_datastore_secret(ws.id, "MYSTORE") == {"key": "k2"}
    assert store.list_assets(ws.id, "datastore") == []  # no record holds it
    with pytest.raises(InvalidInputError):
        store.put_datastore_secret(ws.id, "bad-name", {"k": "v"})
    with pytest.raises(InvalidInputError):
        store.put_datastore_secret(ws.id, "ok", {"k": 5})
    store.delete_datastore_secret(ws.id, "mystore")
    assert store.get_datastore_secret(ws.id, "mystore") == {}
    store.put_datastore_secret(ws.id, "again", {"k": "v"})
    store.delete_workspace(ws.id)
    assert store.get_datastore_secret(ws.id, "again") == {}


def test_update_asset_merges_tags_and_description(store, ws) -> None:
    store.register_asset(ws.id, "dataset", "d", {"x": 1}, tags={"a": "1", "b": "2"})
    record = store.update_asset(ws.id, "dataset", "d", 1, tags={"c": "3"}, remove_tags=["a"],
                                description="new")
    assert record.tags == {"b": "2", "c": "3"} and record.description == "new"
    assert record.spec == {"x": 1}
    with pytest.raises(NotFoundError):
        store.update_asset(ws.id, "dataset", "d", 2, tags={})


def test_manifest_blob_round_trip(store, ws) -> None:
    manifest = manifests.Manifest(sources=[{"datastore": "workspaceblobstore"}],
                                  files=[[0, f"f{i}.bin", i, 1.5, None] for i in range(1000)])
    ref = manifests.save(store, ws.id, manifest)
    assert ref["files"] == 1000 and ref["bytes"] == sum(range(1000))
    manifests._cache.clear()
    loaded = manifests.load(store, ref)
    assert loaded.files == manifest.files and loaded.sources == manifest.sources
    assert manifests.save(store, ws.id, manifest)["sha256"] == ref["sha256"]


def _register(args: tuple[str, str, str, int]) -> int:
    from pathlib import Path

    from jupyter_mlws.store.settings import StoreSettings
    from jupyter_mlws.store.sql import SqlStore

    url, home, ws_id, i = args
    store = SqlStore(StoreSettings(home=Path(home), database_url=url,
                                   storage_root=str(Path(home) / "workspaces")))
    spec = {"type": "file", "definition": {"sources": [], "n": i}, "manifest": {"sha256": "x"}}
    return registry.register_dataset(store, ws_id, "raced", spec,
                                     create_new_version=True).version


def test_concurrent_registrations_get_distinct_versions(store, ws, store_settings) -> None:
    ctx = multiprocessing.get_context("spawn")
    args = [(store_settings.database_url, str(store_settings.home), ws.id, i)
            for i in range(32)]
    with ctx.Pool(8) as pool:
        versions = pool.map(_register, args)
    assert sorted(versions) == list(range(1, 33))


def test_register_without_new_version_conflicts_on_another_definition(store, ws) -> None:
    spec = {"type": "file", "definition": {"sources": [{"url": "/a"}]},
            "manifest": {"sha256": "1"}}
    first = registry.register_dataset(store, ws.id, "d1", spec, create_new_version=False)
    same = registry.register_dataset(store, ws.id, "d1", spec, create_new_version=False)
    assert same.version == first.version == 1 and same.spec["id"] == first.spec["id"]
    with pytest.raises(ConflictError, match="different definition"):
        registry.register_dataset(store, ws.id, "d1", {**spec, "definition": {"sources": []}},
                                  create_new_version=False)
    with pytest.raises(ConflictError, match="other files"):
        registry.register_dataset(store, ws.id, "d1", {**spec, "manifest": {"sha256": "2"}},
                                  create_new_version=False)
    assert len(store.list_assets(ws.id, "dataset", "d1", latest_only=False)) == 1
