"""MlwsApp.store_class: a server opens the store class it is configured with (how a fake or a
third-party back end is plugged into a server), by class or import string."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_mlws.store.sql import SqlStore


class CountingStore(SqlStore):
    """A real SQL store that counts the listings it answers."""

    listings = 0

    def list_workspaces(self, *args: Any, **kwargs: Any) -> Any:
        CountingStore.listings += 1
        return super().list_workspaces(*args, **kwargs)


@pytest.mark.parametrize("store_class", [CountingStore,
                                         "tests.server.test_store_class.CountingStore"])
async def test_server_opens_its_configured_store_class(jp_server_config, api, store_class):
    before = CountingStore.listings
    assert (await api("GET", "/workspaces"))["workspaces"] == []
    assert CountingStore.listings == before + 1


@pytest.fixture
def jp_server_config(request):
    store_class = request.node.callspec.params["store_class"]
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True}},
            "MlwsApp": {"store_class": store_class}}


@pytest.mark.parametrize("store_class", ["tests.server.test_store_class.NoSuchStore"])
async def test_unusable_store_class_is_reported_and_denies(jp_server_config, api, store_class):
    error = await api("GET", "/workspaces", expect=403)
    assert "store_class 'tests.server.test_store_class.NoSuchStore'" in error["message"]
