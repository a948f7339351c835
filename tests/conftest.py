"""Shared fixtures: an isolated MLWS_HOME for every test and a store per database engine.

PostgreSQL tests need ``MLWS_TEST_POSTGRES_URL`` (``eval "$(scripts/test-postgres.sh)"``); each
session gets a fresh database, emptied between tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlws.store import reset_store_cache
from jupyter_mlws.store.settings import StoreSettings

PG_ENV = "MLWS_TEST_POSTGRES_URL"
_STORE_ENV = ("MLWS_HOME", "MLWS_DATABASE_URL", "MLWS_STORAGE_URL", "MLWS_TRACKING_URI",
              "MLWS_TOKEN")


@pytest.fixture(autouse=True)
def mlws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own MLWS_HOME and a fresh store cache."""
    for name in _STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "mlws-home"
    home.mkdir()
    monkeypatch.setenv("MLWS_HOME", str(home))
    reset_store_cache()
    yield home
    reset_store_cache()


def _admin_url(url: str, database: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).set(database=database).render_as_string(hide_password=False)


def create_pg_database(base_url: str) -> str:
    """Create an empty database next to ``base_url``'s and return its URL."""
    import sqlalchemy as sa

    name = f"mlws_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return _admin_url(base_url, name)


def drop_pg_database(base_url: str, url: str) -> None:
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set; start one with: eval \"$(scripts/test-postgres.sh)\"")
    return url


@pytest.fixture(scope="session")
def pg_session_url(pg_base_url: str) -> Iterator[str]:
    url = create_pg_database(pg_base_url)
    yield url
    drop_pg_database(pg_base_url, url)


def _empty_pg(url: str) -> None:
    import sqlalchemy as sa

    from jupyter_mlws.store.sql.schema import metadata

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in metadata.sorted_tables
                  if sa.inspect(conn).has_table(t.name)]
        if tables:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture
def empty_pg_url(pg_base_url: str) -> Iterator[str]:
    """A brand-new empty PostgreSQL database, dropped after the test."""
    url = create_pg_database(pg_base_url)
    yield url
    drop_pg_database(pg_base_url, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, mlws_home: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{mlws_home / 'mlws.db'}"
    url = request.getfixturevalue("pg_session_url")
    _empty_pg(url)
    return url


@pytest.fixture
def store_settings(database_url: str, mlws_home: Path) -> StoreSettings:
    return StoreSettings(home=mlws_home, database_url=database_url,
                         storage_root=str(mlws_home / "workspaces"))


@pytest.fixture
def store(store_settings: StoreSettings):  # type: ignore[no-untyped-def]
    """A SqlStore over SQLite or PostgreSQL (the latter skipped without a test server)."""
    from jupyter_mlws.store.sql import SqlStore

    s = SqlStore(store_settings)
    yield s
    s.close()


# =========================================================================== HTTP store mode
# (Block owned by the HTTP store engineer.) The SDK's behavioural tests (tests/core) run
# against both store implementations: the SQL store in-process and the HTTP store talking to
# a real `jupyter server` subprocess started once per session. Choose with
# `--mlws-store=sql|http|both` or MLWS_TEST_STORE (default: both).

_CORE_TESTS = os.sep + os.path.join("tests", "core") + os.sep


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mlws-store", choices=("sql", "http", "both"),
                     default=os.environ.get("MLWS_TEST_STORE", "both"),
                     help="store implementation(s) the SDK tests in tests/core run against")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mlws_store_backend" not in metafunc.fixturenames:
        return
    if _CORE_TESTS not in str(metafunc.definition.path):
        return
    choice = metafunc.config.getoption("--mlws-store")
    backends = ["sql", "http"] if choice == "both" else [choice]
    metafunc.parametrize("mlws_store_backend", backends, indirect=True)


@dataclass(frozen=True)
class HttpServer:
    uri: str  # the tracking URI, http://127.0.0.1:<port>/mlws
    token: str
    home: Path  # the server's own MLWS_HOME
    log: Path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_server(url: str, token: str, process: subprocess.Popen, log: Path,
                     timeout: float = 60) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter server exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)  # polling a condition (the port accepting requests)
    raise RuntimeError("jupyter server did not come up in time")


@pytest.fixture(scope="session")
def mlws_http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """A real `jupyter server` with the extension, its own MLWS_HOME, a random token."""
    import secrets
    import sys

    root = tmp_path_factory.mktemp("mlws-http-server")
    home, config, work = root / "home", root / "config", root / "root"
    for folder in (home, config, work):
        folder.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}}}))
    token, port = secrets.token_hex(16), _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLWS_")}
    env.update(MLWS_HOME=str(home), JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_DATA_DIR=str(root / "data"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTER_PLATFORM_DIRS="1")
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyter"), "server", "--no-browser",
             "--allow-root", "--ip=127.0.0.1", f"--port={port}",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"],
            env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}/mlws"
    try:
        _wait_for_server(f"{uri}/api/v1/openapi.json", token, process, log)
        yield HttpServer(uri=uri, token=token, home=home, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _empty_server(server: HttpServer) -> None:
    """Delete every workspace on the shared server: the next test starts from nothing."""
    from jupyter_mlws.store.http import HttpStore

    client = HttpStore(StoreSettings(home=server.home, database_url="unused",
                                     storage_root="unused", tracking_uri=server.uri,
                                     token=server.token))
    try:
        for workspace in client.list_workspaces():
            client.delete_workspace(workspace.id)
    finally:
        client.close()


def _point_home_at(home: Path, server: HttpServer) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "mlws.json").write_text(json.dumps({"tracking_uri": server.uri,
                                                "token": server.token}))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    # After every fixture has chosen MLWS_HOME: child processes started by the test body
    # resolve their store from that home's settings file, so point it at the server too.
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("mlws_store_backend") == "http":
        server = item.funcargs.get("mlws_http_server")
        if server is None:
            server = item._request.getfixturevalue("mlws_http_server")  # type: ignore[attr-defined]
        from jupyter_mlws.store.settings import mlws_home

        _point_home_at(mlws_home(), server)
    return (yield)


@pytest.fixture(autouse=True)
def mlws_store_backend(request: pytest.FixtureRequest, mlws_home: Path,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """"sql" (nothing changes) or "http": every store the SDK opens in this test is an
    HttpStore on the session's server, whatever MLWS_HOME the test chose. The settings file
    of that home gets the tracking URI too, so child processes the test starts follow."""
    backend = getattr(request, "param", "sql")
    if backend != "http":
        yield backend
        return
    import jupyter_mlws.store as store_package
    from jupyter_mlws.core.metric_buffer import flush_all

    server: HttpServer = request.getfixturevalue("mlws_http_server")
    original = store_package._open_store

    def open_over_http(settings: StoreSettings) -> Any:
        if settings.tracking_uri:
            return original(settings)
        _point_home_at(settings.home, server)
        remote = replace(settings, tracking_uri=server.uri, token=server.token)
        store = original(remote)
        # get_store holds its lock while calling us: register the same instance under the
        # settings later resolutions (which now read mlws.json) produce.
        store_package._stores.setdefault(remote, store)
        return store

    monkeypatch.setattr(store_package, "_open_store", open_over_http)
    yield backend
    # A test may leave points for a run it deleted: nothing to keep, so errors are ignored.
    with contextlib.suppress(Exception):
        flush_all(timeout_seconds=10)
    _empty_server(server)
