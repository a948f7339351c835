"""The workspace key vault through the SDK: v1's Keyvault API, versions, soft deletes, Key
Vault's rules, and master keys (env, key file, rotation, wrong or missing keys)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.keyvault import Keyvault
from jupyter_mlws.exceptions import UserErrorException
from jupyter_mlws.store import reset_store_cache
from jupyter_mlws.store.base import ConflictError, InvalidInputError
from jupyter_mlws.store.keyvault.keys import MasterKeyError, file_provider


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_v1_api_round_trip(workspace: Workspace) -> None:
    kv = workspace.get_default_keyvault()
    assert isinstance(kv, Keyvault) and isinstance(Keyvault(workspace), Keyvault)
    kv.set_secret("db-password", "s3cr3t!", content_type="text/plain")
    kv.set_secrets({"api-key": "abc", "token-2": "xyz"})
    assert kv.get_secret("db-password") == "s3cr3t!"
    assert kv.get_secret("DB-PASSWORD") == "s3cr3t!"  # names are case-insensitive
    assert kv.get_secret_content_type("db-password") == "text/plain"
    assert kv.get_secrets(["api-key", "missing"]) == {"api-key": "abc", "missing": None}
    assert sorted(s["name"] for s in kv.list_secrets()) == ["api-key", "db-password",
                                                           "token-2"]
    assert all(set(s) == {"name"} for s in kv.list_secrets())  # names only
    with pytest.raises(UserErrorException, match="not found"):
        kv.get_secret("missing")


def test_versions_kept_and_latest_wins(workspace: Workspace) -> None:
    kv = workspace.get_default_keyvault()
    kv.set_secret("rotating", "one")
    kv.set_secret("rotating", "two")
    assert kv.get_secret("rotating") == "two"
    assert [v["version"] for v in kv.list_secret_versions("rotating")] == [2, 1]


def test_soft_delete_recover_purge(workspace: Workspace) -> None:
    kv = workspace.get_default_keyvault()
    kv.set_secrets({"a": "1", "b": "2"})
    kv.delete_secrets(["a"])
    assert [s["name"] for s in kv.list_secrets()] == ["b"]
    assert kv.get_secrets(["a"]) == {"a": None}
    deleted = kv.list_deleted_secrets()
    assert [d["name"] for d in deleted] == ["a"] and deleted[0]["purge_time"] > 0
    with pytest.raises(ConflictError, match="recover"):
        kv.set_secret("a", "again")  # Key Vault refuses a name in the deleted state
    kv.recover_deleted_secret("a")
    assert kv.get_secret("a") == "1"
    kv.delete_secret("a")
    kv.purge_deleted_secret("a")
    kv.set_secret("a", "fresh")
    assert [v["version"] for v in kv.list_secret_versions("a")] == [1]
    with pytest.raises(UserErrorException, match="No secret"):
        kv.delete_secrets(["b", "never-was"])  # all or none
    assert kv.get_secret("b") == "2"


def test_retention_purges_expired_deletes(workspace: Workspace,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    kv = workspace.get_default_keyvault()
    kv.set_secret("old", "x")
    kv.delete_secret("old")
    monkeypatch.setenv("MLWS_SECRET_RETENTION_DAYS", "0")
    kv.set_secret("other", "y")  # any write purges what outlived the retention period
    assert kv.list_deleted_secrets() == []
    kv.set_secret("old", "reusable")


@pytest.mark.parametrize("name", ["", "a" * 128, "has space", "under_score", "dot.ted",
                                  "../x", "ünï", "\ud800"])
def test_bad_names(workspace: Workspace, name: str) -> None:
    with pytest.raises(InvalidInputError, match="1-127 characters"):
        workspace.get_default_keyvault().set_secret(name, "v")


def test_bad_values(workspace: Workspace) -> None:
    kv = workspace.get_default_keyvault()
    kv.set_secret("max", "x" * 25 * 1024)
    with pytest.raises(InvalidInputError, match="at most 25600 bytes") as info:
        kv.set_secret("big", "y" * (25 * 1024 + 1))
    assert "yyyy" not in str(info.value)  # never echoed
    with pytest.raises(InvalidInputError, match="lone surrogate"):
        kv.set_secret("surrogate", "a\ud800b")
    with pytest.raises(InvalidInputError, match="must be a string"):
        kv.set_secret("number", 10**400)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        kv.set_secrets({"ok": "1", "bad name": "2"})
    assert kv.get_secrets(["ok"]) == {"ok": None}  # nothing of a rejected batch is kept


def test_value_never_stored_in_clear(workspace: Workspace, mlws_home: Path) -> None:
    marker = "PLAINTEXT-MARKER-" + os.urandom(8).hex()
    workspace.get_default_keyvault().set_secret("marker", marker)
    for path in mlws_home.rglob("*"):
        if path.is_file():
            assert marker.encode() not in path.read_bytes(), path


def test_key_file_created_private_on_first_use(workspace: Workspace, mlws_home: Path) -> None:
    key_file = mlws_home / "master.key"
    assert not key_file.exists()
    workspace.get_default_keyvault().set_secret("x", "1")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_missing_key_file_is_an_error_not_a_new_key(workspace: Workspace,
                                                    mlws_home: Path) -> None:
    kv = workspace.get_default_keyvault()
    kv.set_secret("x", "1")
    key_file = mlws_home / "master.key"
    key_file.rename(mlws_home / "moved.key")
    reset_store_cache()
    ws = Workspace.get(workspace.name)
    with pytest.raises(MasterKeyError, match=f"key file {key_file}"):
        ws.get_default_keyvault().get_secret("x")
    with pytest.raises(MasterKeyError):
        ws.get_default_keyvault().set_secret("y", "2")  # nor in another workspace's way
    with pytest.raises(MasterKeyError):
        Workspace.create("other-ws").get_default_keyvault().set_secret("z", "3")
    assert not key_file.exists()  # no new key was made
    (mlws_home / "moved.key").rename(key_file)
    assert ws.get_default_keyvault().get_secret("x") == "1"


def test_env_key_wrong_key_names_source(workspace: Workspace,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLWS_MASTER_KEY", _key())
    workspace.get_default_keyvault().set_secret("x", "1")
    monkeypatch.setenv("MLWS_MASTER_KEY", _key())
    reset_store_cache()
    ws = Workspace.get(workspace.name)
    with pytest.raises(MasterKeyError, match="environment variable MLWS_MASTER_KEY"):
        ws.get_default_keyvault().get_secret("x")
    with pytest.raises(MasterKeyError):
        ws.get_default_keyvault().set_secret("x", "overwrite")  # never under a new key
    monkeypatch.setenv("MLWS_MASTER_KEY", "not base64!")
    with pytest.raises(MasterKeyError, match="not valid base64"):
        ws.get_default_keyvault().get_secret("x")


def test_key_provider_by_url(workspace: Workspace, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "kms" / "k.key"
    monkeypatch.setenv("MLWS_MASTER_KEY_URL", key_file.as_uri())
    workspace.get_default_keyvault().set_secret("x", "1")
    assert key_file.exists()
    monkeypatch.setenv("MLWS_MASTER_KEY_URL", "kms+nothing://host/key")
    reset_store_cache()
    with pytest.raises(MasterKeyError, match="no key provider for scheme"):
        Workspace.get(workspace.name).get_default_keyvault().get_secret("x")


def test_rotation_rewraps_without_reencrypting(workspace: Workspace, mlws_home: Path,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    kv = workspace.get_default_keyvault()
    kv.set_secrets({"a": "1", "b": "2"})
    store = workspace._store
    read = sa.text("SELECT value FROM secret ORDER BY name_key")
    before = store.db.read(lambda c: [bytes(r[0]) for r in c.execute(read)])
    new_file = tmp_path / "new.key"
    new = file_provider(new_file, create=True)
    assert store.rotate_master_key(new) == 1
    after = store.db.read(lambda c: [bytes(r[0]) for r in c.execute(read)])
    assert before == after  # secrets untouched, only the data key re-wrapped
    reset_store_cache()
    with pytest.raises(MasterKeyError):  # the old key no longer opens it
        Workspace.get(workspace.name).get_default_keyvault().get_secret("a")
    monkeypatch.setenv("MLWS_MASTER_KEY_URL", new_file.as_uri())
    reset_store_cache()
    assert Workspace.get(workspace.name).get_default_keyvault().get_secret("a") == "1"
