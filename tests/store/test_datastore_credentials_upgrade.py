"""A store written at schema 0003_access (datastore credentials as plaintext JSON rows) opens
with the current code: migration 0004 seals the credentials in the key vault and drops the
plaintext table. The S3 datastore still reaches its bucket with them, the SQLite file no longer
holds them, a crash half-way or a wrong master key changes nothing, and the downgrade restores
the plaintext rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jupyter_mlws.store.base import StoreError
from jupyter_mlws.store.settings import StoreSettings
from jupyter_mlws.store.sql import SqlStore
from jupyter_mlws.store.sql import schema as t
from jupyter_mlws.store.sql.engine import _MIGRATIONS, VERSION_TABLE
from tests.store.test_s3_storage import s3_endpoint  # noqa: F401 - the moto server fixture

BUCKET = "mlws-upgrade-test"
OLD = "0003_access"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store_0003.db'}"
    return request.getfixturevalue("empty_pg_url")


@pytest.fixture
def no_secure_delete() -> Any:
    """SQLite as built without SECURE_DELETE (Debian's has it on by default, macOS's and
    python.org's do not): freed pages keep their bytes unless the code asks otherwise."""
    import sqlite3

    def off(dbapi_conn: Any, _record: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.execute("PRAGMA secure_delete = OFF")

    sa.event.listen(sa.pool.Pool, "connect", off)
    yield
    sa.event.remove(sa.pool.Pool, "connect", off)


def _alembic(conn: sa.Connection, revision: str, *, down: bool = False,
             home: Path | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    cfg.attributes["mlws_home"] = home
    (command.downgrade if down else command.upgrade)(cfg, revision)


def _settings(home: Path, url: str) -> StoreSettings:
    return StoreSettings(home=home, database_url=url, storage_root=str(home / "workspaces"))


def _s3_spec(name: str, endpoint: str) -> dict[str, Any]:
    # What Datastore.register_s3 stores (core/datastore.py), as the 0003 release stored it.
    return {"type": "fsspec", "datastore_type": "S3", "url": f"s3://{BUCKET}/data",
            "protocol": "s3", "endpoint": endpoint, "container_name": BUCKET,
            "storage_options": {"endpoint_url": endpoint}, "name": name, "has_secret": True,
            "credential_type": "key, secret"}


def make_0003_store(url: str, credentials: dict[str, dict[str, dict[str, str]]],
                    endpoint: str = "http://127.0.0.1:9") -> dict[str, str]:
    """A database at 0003_access with one workspace per key of ``credentials`` and, in each, an
    S3 datastore per name with its credentials as the 0003 release's put_datastore_secret
    wrote them (JSON text in ``datastore_secret``). Returns workspace name -> id."""
    engine = sa.create_engine(url)
    ids = {}
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        _alembic(conn, OLD)
        plain = sa.table("datastore_secret", sa.column("workspace_id"), sa.column("name"),
                         sa.column("secret"), sa.column("updated_time"))
        for ws_name, stores in credentials.items():
            ws_id = ids[ws_name] = str(uuid.uuid4())
            conn.execute(t.workspace.insert().values(
                id=ws_id, name=ws_name, subscription_id="sub", resource_group="rg",
                location="local", storage_url=f"file:///nowhere/{ws_id}", friendly_name="",
                description="", tags="{}", created_time=time.time()))
            for name, secret in stores.items():
                conn.execute(t.asset.insert().values(
                    workspace_id=ws_id, kind="datastore", name=name.casefold(), version=1,
                    spec=json.dumps(_s3_spec(name, endpoint)), state="{}", tags="{}",
                    description="", created_time=time.time(), updated_time=time.time()))
                conn.execute(plain.insert().values(workspace_id=ws_id, name=name.casefold(),
                                                   secret=json.dumps(secret),
                                                   updated_time=time.time()))
    engine.dispose()
    return ids


def _revision(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
    engine.dispose()
    return found


def _plain_rows(url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(
            "SELECT workspace_id, name, secret FROM datastore_secret ORDER BY 1, 2")]
    engine.dispose()
    return rows


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def _file_bytes(url: str) -> bytes:
    db = Path(sa.engine.make_url(url).database or "")
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())


def test_an_s3_datastore_of_a_0003_store_still_reaches_its_bucket(
        tmp_path: Path, url: str, s3_endpoint: str,  # noqa: F811
        no_secure_delete: None) -> None:
    import s3fs

    key, secret = "AKIA" + secrets.token_hex(8), "s3-" + secrets.token_hex(20)
    bucket = s3fs.S3FileSystem(key=key, secret=secret, endpoint_url=s3_endpoint)
    if not bucket.exists(BUCKET):
        bucket.mkdir(BUCKET)
    bucket.pipe(f"{BUCKET}/data/hello.txt", b"hello")
    ids = make_0003_store(url, {"ws1": {"S3Data": {"key": key, "secret": secret}}},
                          endpoint=s3_endpoint)
    if url.startswith("sqlite"):
        assert secret.encode() in _file_bytes(url)  # the old store holds it in plaintext
    store = SqlStore(_settings(tmp_path, url))
    try:
        assert "datastore_secret" not in _tables(url)
        assert store.get_datastore_secret(ids["ws1"], "s3data") == {"key": key,
                                                                   "secret": secret}
        opened = store.datastore_filesystem(ids["ws1"], "S3DATA")
        assert (opened.fs.key, opened.fs.secret) == (key, secret)
        assert [f.path for f in store.list_datastore_files(ids["ws1"], "s3data")] == [
            "hello.txt"]
        assert store.list_secrets(ids["ws1"]) == []  # not a key vault secret
    finally:
        store.close()
    if url.startswith("sqlite"):
        raw = _file_bytes(url)
        assert secret.encode() not in raw and key.encode() not in raw


def test_no_free_page_keeps_credentials_replaced_before_the_upgrade(
        tmp_path: Path, no_secure_delete: None) -> None:
    # Values the 0003 release replaced or deleted went to SQLite's free pages, overflow pages
    # (values over a page) included: after the upgrade none of them is in the file.
    url = f"sqlite:///{tmp_path / 'store_0003.db'}"

    def token(tag: str) -> dict[str, str]:
        return {"sas_token": f"{tag}-" + secrets.token_hex(6000)}  # over a page: overflow

    # More freed than the upgrade allocates again, so free pages remain.
    first = {f"ds{i}": token(f"v{i}") for i in range(8)}
    ids = make_0003_store(url, {"ws1": first})
    gone = [first[n]["sas_token"] for n in first if n != "ds1"]
    engine = sa.create_engine(url)
    latest = first["ds0"]
    for i in range(3):  # one transaction each, as separate put_datastore_secret calls were
        with engine.begin() as conn:
            latest = token(f"old{i}")
            gone.append(latest["sas_token"])
            conn.exec_driver_sql("UPDATE datastore_secret SET secret = ? WHERE name = ?",
                                 (json.dumps(latest), "ds0"))
    gone.pop()  # the last one is ds0's current value
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM datastore_secret WHERE name NOT IN ('ds0', 'ds1')")
        conn.exec_driver_sql("DELETE FROM asset WHERE name NOT IN ('ds0', 'ds1')")
    engine.dispose()
    before = _file_bytes(url)
    assert any(v[3000:3032].encode() in before for v in gone)  # left in free pages
    SqlStore(_settings(tmp_path, url)).close()
    raw = _file_bytes(url)
    # Slices of each value: its head is in a table page, the rest in overflow pages.
    leaked = [(value[:8], at) for value in [*gone, latest["sas_token"], first["ds1"]["sas_token"]]
              for at in range(0, len(value) - 32, 1000) if value[at:at + 32].encode() in raw]
    assert leaked == []
    store = SqlStore(_settings(tmp_path, url))
    try:
        assert store.get_datastore_secret(ids["ws1"], "ds0") == latest
        assert store.get_datastore_secret(ids["ws1"], "ds1") == first["ds1"]
        assert store.get_datastore_secret(ids["ws1"], "ds2") == {}
    finally:
        store.close()


def test_the_downgrade_restores_the_plaintext_rows(tmp_path: Path, url: str) -> None:
    creds = {"ws1": {"a": {"key": "k-a", "secret": "s-\u00e9-a"}, "b": {"token": "t-b"}},
             "ws2": {"a": {"key": "k-2a"}}}
    make_0003_store(url, creds)
    before = _plain_rows(url)
    SqlStore(_settings(tmp_path, url)).close()
    assert "datastore_secret" not in _tables(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _alembic(conn, OLD, down=True, home=tmp_path)
    engine.dispose()
    assert _revision(url) == OLD and "datastore_credential" not in _tables(url)
    assert _plain_rows(url) == before
    store = SqlStore(_settings(tmp_path, url))  # and up again
    try:
        ws2 = store.get_workspace("ws2", "sub", "rg").id
        assert store.get_datastore_secret(ws2, "A") == {"key": "k-2a"}
    finally:
        store.close()


def test_a_wrong_master_key_leaves_the_0003_store_untouched(
        tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = make_0003_store(url, {"ws1": {"a": {"key": "k-a"}}})
    right, wrong = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    # The workspace already has a data key (a key vault secret of the 0003 release).
    monkeypatch.setenv("MLWS_MASTER_KEY", right)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        from jupyter_mlws.store.keyvault import envelope
        from jupyter_mlws.store.keyvault.keys import env_provider

        provider = env_provider()
        conn.execute(sa.table("secret_key", sa.column("workspace_id"), sa.column("wrapped"),
                              sa.column("key_id"), sa.column("created_time")).insert().values(
            workspace_id=ids["ws1"], wrapped=provider.wrap(envelope.new_data_key(),
                                                           ids["ws1"].encode()),
            key_id=provider.key_id, created_time=time.time()))
    engine.dispose()
    before = _plain_rows(url)
    monkeypatch.setenv("MLWS_MASTER_KEY", wrong)
    with pytest.raises(StoreError, match="environment variable MLWS_MASTER_KEY"):
        SqlStore(_settings(tmp_path, url))
    assert _revision(url) == OLD and _plain_rows(url) == before
    assert "datastore_credential" not in _tables(url)
    monkeypatch.setenv("MLWS_MASTER_KEY", right)
    store = SqlStore(_settings(tmp_path, url))
    try:
        assert store.get_datastore_secret(ids["ws1"], "a") == {"key": "k-a"}
    finally:
        store.close()


KILLED_HALF_WAY = """
import os, signal, sys
from pathlib import Path
from jupyter_mlws.store.keyvault import envelope
from jupyter_mlws.store.settings import StoreSettings
from jupyter_mlws.store.sql import SqlStore

sealed = envelope.encrypt
calls = []

def encrypt(*args, **kwargs):
    calls.append(1)
    if len(calls) > int(sys.argv[3]):
        sys.stdout.write("killing\\n"); sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return sealed(*args, **kwargs)

envelope.encrypt = encrypt
home = Path(sys.argv[2])
SqlStore(StoreSettings(home=home, database_url=sys.argv[1],
                       storage_root=str(home / "workspaces")))
"""


def test_a_migration_killed_half_way_changes_nothing(tmp_path: Path, url: str) -> None:
    creds = {f"ws{w}": {f"ds{i}": {"key": f"k{w}{i}", "secret": f"s{w}{i}-" + "x" * 500}
                        for i in range(5)} for w in range(4)}
    ids = make_0003_store(url, creds)
    before = _plain_rows(url)
    done = subprocess.run([sys.executable, "-c", KILLED_HALF_WAY, url, str(tmp_path), "10"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -9 and "killing" in done.stdout, done.stderr[-2000:]
    assert _revision(url) == OLD and _plain_rows(url) == before
    assert "datastore_credential" not in _tables(url)
    store = SqlStore(_settings(tmp_path, url))
    try:
        for w, stores in enumerate(creds.values()):
            for name, secret in stores.items():
                assert store.get_datastore_secret(ids[f"ws{w}"], name) == secret
    finally:
        store.close()
