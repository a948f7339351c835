"""Shared fixtures: an isolated MLWS_HOME (and environment) for every test, the SDK objects a
test starts from (a workspace, an experiment, a work folder, source folders), and a store per
database engine.

PostgreSQL tests need ``MLWS_TEST_POSTGRES_URL`` (``eval "$(scripts/test-postgres.sh)"``); each
session (each pytest-xdist worker is one) gets a fresh database of its own, emptied between tests.

``scripts/test.sh`` runs the suite in pytest-xdist workers, whole modules per worker in collection
order (``-n 2 --dist loadfile --no-loadscope-reorder``; use the same options by hand), so
module-scoped servers and clusters start once and the browser tests stay last in their worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jupyter_mlws.store import reset_store_cache
from jupyter_mlws.store.settings import StoreSettings
from tests.helpers import jupyter_server

if TYPE_CHECKING:
    from jupyter_mlws.core import Experiment, Workspace

PG_ENV = "MLWS_TEST_POSTGRES_URL"
ROOT = Path(__file__).resolve().parents[1]
# Package downloads of environment builds (and the wheel test's installs) are cached for the
# checkout, shared by the workers and kept between runs: never the user's own uv cache.
UV_CACHE = ROOT / ".mlws-test" / "uv-cache"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# Nothing of the developer's shell leaks in: no store settings, no run context.
_ISOLATED_ENV = ("MLWS_HOME", "MLWS_DATABASE_URL", "MLWS_STORAGE_URL", "MLWS_TRACKING_URI",
                 "MLWS_TOKEN", "MLWS_METRIC_QUEUE_LIMIT", "MLWS_RUN_ID", "AZUREML_RUN_ID",
                 "MLWS_EXPERIMENT_NAME", "AZUREML_ARM_PROJECT_NAME", "MLWS_SUBSCRIPTION_ID",
                 "AZUREML_ARM_SUBSCRIPTION", "MLWS_RESOURCE_GROUP", "AZUREML_ARM_RESOURCEGROUP",
                 "MLWS_WORKSPACE_NAME", "AZUREML_ARM_WORKSPACE_NAME", "MLWS_MASTER_KEY",
                 "MLWS_MASTER_KEY_URL", "MLWS_RUN_TOKEN", "MLWS_SUBMITTED_BY",
                 "MLWS_SECRET_RETENTION_DAYS")


# Submitted runs record system/... metrics; tests of exact metric sets need them off, also in
# processes started before a test (Dask workers, servers): set here, at import, for all.
os.environ["MLWS_SYSTEM_METRICS_INTERVAL"] = "0"


@pytest.fixture(scope="session", autouse=True)
def _session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Set before any fixture starts a server or kernel: Jupyter servers (the browser tests'
    JupyterLab included) write their runtime files in a folder of this session, so no test
    finds a server of another worker or of the machine's user (portal URLs, kernels)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path_factory.mktemp("jupyter-runtime")))
        patch.setenv("UV_CACHE_DIR", str(UV_CACHE))
        yield


@pytest.fixture(autouse=True)
def mlws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own MLWS_HOME, a fresh store cache and no inherited run context."""
    for name in _ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "mlws-home"
    home.mkdir(mode=0o700)  # as the store makes it (an open home is reported)
    monkeypatch.setenv("MLWS_HOME", str(home))
    # Submitted runs record system/... metrics; tests of exact metric sets turn them off
    # (tests/execution/test_system_metrics.py turns them on).
    monkeypatch.setenv("MLWS_SYSTEM_METRICS_INTERVAL", "0")
    reset_store_cache()
    yield home
    reset_store_cache()


# ============================================================================ SDK objects
# Modules that need particular names override `workspace_name` / `experiment_name`.


@pytest.fixture
def work_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's current folder, as a notebook's: ./outputs and snapshots of "." land here."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def workspace_name() -> str:
    return "test-ws"


@pytest.fixture
def experiment_name() -> str:
    return "test-exp"


@pytest.fixture
def workspace(workspace_name: str, work_dir: Path) -> Iterator[Workspace]:
    """A workspace in the test's MLWS_HOME (on the test's store backend), from ``work_dir``."""
    from jupyter_mlws.core import Workspace
    from jupyter_mlws.core.metric_buffer import get_buffer

    ws = Workspace.create(workspace_name, show_output=False)
    yield ws
    get_buffer(ws._store).close()  # its writer thread ends with the test


@pytest.fixture
def experiment(workspace: Workspace, experiment_name: str) -> Experiment:
    from jupyter_mlws.core import Experiment

    return Experiment(workspace, experiment_name)


@pytest.fixture
def make_source(tmp_path: Path) -> Callable[..., Path]:
    """``make_source(name, {"train.py": code, ...}, root=None)`` -> a source folder (under
    ``tmp_path`` unless ``root`` is given); file texts are dedented."""

    def make(name: str = "src", files: dict[str, str] | None = None,
             root: Path | None = None) -> Path:
        folder = (root or tmp_path) / name
        folder.mkdir(parents=True)
        for rel, text in (files or {}).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return folder

    return make


def _admin_url(url: str, database: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).set(database=database).render_as_string(hide_password=False)


def create_pg_database(base_url: str) -> str:
    """Create an empty database next to ``base_url``'s and return its URL."""
    import sqlalchemy as sa

    name = f"mlws_t_{WORKER}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
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


@pytest.fixture(scope="session")
def mlws_http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """A real `jupyter server` with the extension, its own MLWS_HOME, a random token."""
    root = tmp_path_factory.mktemp("mlws-http-server")
    home = root / "home"
    home.mkdir(mode=0o700)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLWS_")}
    env["MLWS_HOME"] = str(home)
    with jupyter_server(root, env) as server:
        yield HttpServer(uri=f"{server.base_url}/mlws", token=server.token, home=home,
                         log=server.log)


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
def mlws_store_backend(request: pytest.FixtureRequest, mlws_home: Path) -> Iterator[str]:
    """"sql" (nothing changes) or "http": every store the SDK opens in this test is an
    HttpStore on the session's server, whatever MLWS_HOME the test chose. The settings file
    of that home gets the tracking URI too, so child processes the test starts follow."""
    backend = getattr(request, "param", "sql")
    if backend != "http":
        yield backend
        return
    from jupyter_mlws.core.metric_buffer import flush_all
    from jupyter_mlws.store import get_store, store_registry

    server: HttpServer = request.getfixturevalue("mlws_http_server")

    def open_over_http(settings: StoreSettings) -> Any:
        # Plugged in through the store registry: the embedded scheme names the server.
        _point_home_at(settings.home, server)
        return get_store(replace(settings, tracking_uri=server.uri, token=server.token))

    with store_registry.registered("sqlite", open_over_http):
        yield backend
    # A test may leave points for a run it deleted: nothing to keep, so errors are ignored.
    with contextlib.suppress(Exception):
        flush_all(timeout_seconds=10)
    _empty_server(server)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last and carry the ``browser`` marker.

    Playwright's sync API keeps an event loop running in the main thread for the rest of the
    session, which pytest-jupyter's per-test loop fixtures cannot close: nothing that uses
    them may run after the first browser test.
    """
    browser_dir = Path(__file__).parent / "browser"
    browser, other = [], []
    for item in items:
        if browser_dir in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            browser.append(item)
        else:
            other.append(item)
    items[:] = other + browser
