"""Datastore credentials in the key vault (SQLite and PostgreSQL): sealed under the
workspace's data key, bound to their datastore, not key vault secrets (never listed, never
read by get_secrets), surviving a master key rotation, refused with a wrong master key, and
written by many processes at once."""

from __future__ import annotations

import base64
import multiprocessing
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from jupyter_mlws.store import InvalidInputError
from jupyter_mlws.store.keyvault import envelope
from jupyter_mlws.store.keyvault.keys import MasterKeyError, file_provider
from jupyter_mlws.store.sql import access_schema as t

VALUE = "dscred-" + "9f3a" * 8


def _rows(store, table: sa.Table) -> list:  # type: ignore[no-untyped-def, type-arg]
    return store.db.read(lambda c: list(c.execute(sa.select(table))))


def test_credentials_are_sealed_under_the_workspace_data_key(store, ws) -> None:
    store.put_datastore_secret(ws.id, "MyStore", {"key": "k1", "secret": VALUE})
    [row] = _rows(store, t.datastore_credential)
    assert (row.name, row.version) == ("mystore", 1)
    assert VALUE.encode() not in bytes(row.value) and b"k1" not in bytes(row.value)
    assert len(_rows(store, t.secret_key)) == 1  # the workspace's one data key, made now
    assert store.get_datastore_secret(ws.id, "MYSTORE") == {"key": "k1", "secret": VALUE}
    store.put_datastore_secret(ws.id, "mystore", {"key": "k2", "odd": "\ud800 lone"})
    [row] = _rows(store, t.datastore_credential)
    assert row.version == 2
    assert store.get_datastore_secret(ws.id, "mystore") == {"key": "k2", "odd": "\ud800 lone"}
    with pytest.raises(InvalidInputError, match="datastore secret"):
        store.put_datastore_secret(ws.id, "mystore", {"key": 5})
    store.delete_datastore_secret(ws.id, "mystore")
    assert _rows(store, t.datastore_credential) == []  # gone at once: no soft delete
    assert store.get_datastore_secret(ws.id, "mystore") == {}


def test_credentials_are_not_key_vault_secrets(store, ws) -> None:
    store.put_datastore_secret(ws.id, "blob", {"account_key": VALUE})
    assert store.list_secrets(ws.id) == [] and store.list_secrets(ws.id, deleted=True) == []
    assert store.get_secrets(ws.id, ["blob", "datastore-blob", "Blob"]) == {}
    with pytest.raises(InvalidInputError, match="letters, digits and dashes"):
        store.get_secrets(ws.id, [envelope.datastore_key("blob")])
    store.set_secrets(ws.id, {"blob": "a key vault secret"})  # a secret of the same name
    assert store.get_secrets(ws.id, ["blob"]) == {"blob": "a key vault secret"}
    assert store.get_datastore_secret(ws.id, "blob") == {"account_key": VALUE}
    store.delete_secrets(ws.id, ["blob"])
    store.purge_deleted_secret(ws.id, "blob")
    assert store.get_datastore_secret(ws.id, "blob") == {"account_key": VALUE}


def test_a_moved_ciphertext_does_not_open(store, ws) -> None:
    store.put_datastore_secret(ws.id, "a", {"k": VALUE})
    store.put_datastore_secret(ws.id, "b", {"k": "other"})
    store.set_secrets(ws.id, {"a": "plain secret"})
    sealed = {r.name: bytes(r.value) for r in _rows(store, t.datastore_credential)}
    c = t.datastore_credential.c
    store.db.write(lambda conn: conn.execute(t.datastore_credential.update().where(
        c.name == "b").values(value=sealed["a"])))
    with pytest.raises(envelope.SecretDecryptionError, match="does not decrypt"):
        store.get_datastore_secret(ws.id, "b")
    # Onto the key vault secret of the same name: a secret read cannot open it either.
    store.db.write(lambda conn: conn.execute(t.secret.update().where(
        t.secret.c.name_key == "a").values(value=sealed["a"])))
    with pytest.raises(envelope.SecretDecryptionError):
        store.get_secrets(ws.id, ["a"])


def test_rotation_keeps_them_and_a_wrong_key_is_refused(store, ws, mlws_home: Path,
                                                        monkeypatch) -> None:
    store.put_datastore_secret(ws.id, "s3", {"key": "k", "secret": VALUE})
    new_key = mlws_home / "new.key"
    assert store.rotate_master_key(file_provider(new_key, create=True)) == 1
    monkeypatch.setenv("MLWS_MASTER_KEY_URL", new_key.as_uri())
    assert store.get_datastore_secret(ws.id, "s3") == {"key": "k", "secret": VALUE}
    store._unwrapped.clear()
    monkeypatch.setenv("MLWS_MASTER_KEY_URL", "env:OTHER_KEY")
    monkeypatch.setenv("OTHER_KEY", base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(MasterKeyError, match="environment variable OTHER_KEY") as caught:
        store.get_datastore_secret(ws.id, "s3")
    assert VALUE not in str(caught.value)
    with pytest.raises(MasterKeyError):
        store.put_datastore_secret(ws.id, "s3", {"key": "replaced"})
    monkeypatch.setenv("MLWS_MASTER_KEY_URL", new_key.as_uri())
    assert store.get_datastore_secret(ws.id, "s3") == {"key": "k", "secret": VALUE}


def _put(args: tuple[str, str, str, int]) -> None:
    from jupyter_mlws.store.settings import StoreSettings
    from jupyter_mlws.store.sql import SqlStore

    url, home, ws_id, i = args
    store = SqlStore(StoreSettings(home=Path(home), database_url=url,
                                   storage_root=str(Path(home) / "workspaces")))
    try:
        for round_ in range(3):
            store.put_datastore_secret(ws_id, f"own{i}", {"key": f"k{i}-{round_}"})
            store.put_datastore_secret(ws_id, "shared", {"key": f"from{i}"})
    finally:
        store.close()


def test_many_processes_writing_credentials_of_a_new_workspace(store, ws,
                                                               mlws_home: Path) -> None:
    # The first writers race for the workspace's data key and for the shared row.
    url = store.db.engine.url.render_as_string(hide_password=False)
    n = 8
    with multiprocessing.get_context("spawn").Pool(n) as pool:
        pool.map(_put, [(url, str(mlws_home), ws.id, i) for i in range(n)])
    assert len(_rows(store, t.secret_key)) == 1
    for i in range(n):
        assert store.get_datastore_secret(ws.id, f"own{i}") == {"key": f"k{i}-2"}
    assert store.get_datastore_secret(ws.id, "shared")["key"] in {f"from{i}" for i in range(n)}
    assert {r.name: r.version for r in _rows(store, t.datastore_credential)}["shared"] == 3 * n
