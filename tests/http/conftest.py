"""Fixtures of the HTTP store tests: an HttpStore on the session's `jupyter server`
subprocess (``mlws_http_server`` in tests/conftest.py), emptied after every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlws.store.http import HttpStore
from jupyter_mlws.store.settings import StoreSettings


@pytest.fixture
def server_env(mlws_http_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """MLWS_TRACKING_URI / MLWS_TOKEN set, as a user would set them."""
    monkeypatch.setenv("MLWS_TRACKING_URI", mlws_http_server.uri)
    monkeypatch.setenv("MLWS_TOKEN", mlws_http_server.token)
    yield mlws_http_server
    cleaner = HttpStore(StoreSettings.resolve())
    try:
        for workspace in cleaner.list_workspaces():
            cleaner.delete_workspace(workspace.id)
    finally:
        cleaner.close()


@pytest.fixture
def http_store(server_env: Any, mlws_home: Path) -> Iterator[HttpStore]:
    store = HttpStore(StoreSettings.resolve())
    yield store
    store.close()


@pytest.fixture
def sql_view(mlws_http_server: Any) -> Iterator[Any]:
    """The server's own database, opened directly: proof of where data landed."""
    from jupyter_mlws.store.sql import SqlStore

    home = mlws_http_server.home
    store = SqlStore(StoreSettings(home=home, database_url=f"sqlite:///{home / 'mlws.db'}",
                                   storage_root=str(home / "workspaces")))
    yield store
    store.close()
