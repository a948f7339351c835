"""Shared fixtures: an isolated MLWS_HOME for every test and a store per database engine.

PostgreSQL tests need ``MLWS_TEST_POSTGRES_URL`` (``eval "$(scripts/test-postgres.sh)"``); each
session gets a fresh database, emptied between tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

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
