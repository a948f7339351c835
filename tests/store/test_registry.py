"""Store back ends found by URL scheme (entry points jupyter_mlws.stores), and fakes plugged in
through the registry rather than by patching private functions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from jupyter_mlws.store import StoreSettings, get_store, open_store, store_registry
from jupyter_mlws.store.http import HttpStore
from jupyter_mlws.store.registry import ConfigurationError, load_store_class
from jupyter_mlws.store.sql import SqlStore


def _settings(home: Path, url: str) -> StoreSettings:
    return StoreSettings(home=home, database_url=url, storage_root=str(home / "workspaces"))


def test_builtin_schemes(mlws_home: Path) -> None:
    assert {"sqlite", "postgresql", "http", "https"} <= set(store_registry.schemes())
    assert store_registry.factory("sqlite:///x.db") is SqlStore
    # A driver suffix falls back to the dialect's entry.
    assert store_registry.factory("postgresql+psycopg://u@h/db") is SqlStore
    assert store_registry.factory("https://server/mlws") is HttpStore
    # A tracking URI names a server: its scheme wins over the database's.
    remote = replace(_settings(mlws_home, f"sqlite:///{mlws_home / 'a.db'}"),
                     tracking_uri="http://localhost:1/mlws")
    assert isinstance(open_store(remote), HttpStore)


def test_unknown_scheme_is_a_clear_error(mlws_home: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nosuch.*known: .*sqlite"):
        get_store(_settings(mlws_home, "nosuch://x"))


class FakeStore(SqlStore):
    """A real store under another scheme, so the fake answers like one."""

    opened: list[StoreSettings] = []

    def __init__(self, settings: StoreSettings) -> None:
        FakeStore.opened.append(settings)
        super().__init__(replace(settings, database_url=f"sqlite:///{settings.home / 'f.db'}"))


def test_a_fake_plugged_in_through_the_registry(mlws_home: Path) -> None:
    settings = _settings(mlws_home, "fake://anything")
    with store_registry.registered("fake", FakeStore):
        store = get_store(settings)
        assert isinstance(store, FakeStore) and FakeStore.opened == [settings]
        store.create_workspace("via-fake", "local", "local")
        assert [w.name for w in store.list_workspaces()] == ["via-fake"]
    with pytest.raises(ConfigurationError):
        open_store(settings)  # gone with the block


def test_store_class_setting_takes_a_class_or_an_import_string() -> None:
    assert load_store_class(None) is None
    assert load_store_class(SqlStore) is SqlStore
    assert load_store_class("jupyter_mlws.store.sql.SqlStore") is SqlStore
    assert load_store_class("jupyter_mlws.store.sql:SqlStore") is SqlStore
    for bad in ("jupyter_mlws.store.sql.NoSuch", "no.such.module.Store", dict):
        with pytest.raises(ConfigurationError):
            load_store_class(bad)


