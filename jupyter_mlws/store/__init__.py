"""Persistence behind one interface (see ``base.py``).

:func:`get_store` hands out the process-wide store for the resolved settings; the back end is
the one registered for the settings' URL scheme (``registry.py``), imported only on first use,
so importing this package stays cheap.
"""

from __future__ import annotations

import threading

from .base import (
    ArtifactRecord,
    AssetRecord,
    ConflictError,
    CorruptArtifactError,
    ExperimentRecord,
    InvalidInputError,
    KeyCount,
    MetricInfo,
    MetricSeries,
    NotFoundError,
    RunKeys,
    RunQuery,
    RunRecord,
    RunValues,
    SnapshotRecord,
    Store,
    StoreError,
    WorkspaceRecord,
)
from .registry import open_store, store_registry
from .settings import StoreSettings

_stores: dict[StoreSettings, Store] = {}
# Re-entrant: a registered factory may itself ask for the store of other settings.
_lock = threading.RLock()


def get_store(settings: StoreSettings | None = None) -> Store:
    """The process-wide store for ``settings`` (resolved from the environment if omitted);
    thread-safe, one instance per distinct settings."""
    resolved = settings or StoreSettings.resolve()
    store = _stores.get(resolved)
    if store is not None:
        return store
    with _lock:
        store = _stores.get(resolved)
        if store is None:
            store = _stores[resolved] = open_store(resolved)
        return store


def reset_store_cache() -> None:
    """Close and forget every cached store (tests switch MLWS_HOME between cases)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()


__all__ = [
    "ArtifactRecord",
    "AssetRecord",
    "ConflictError",
    "CorruptArtifactError",
    "ExperimentRecord",
    "InvalidInputError",
    "KeyCount",
    "MetricInfo",
    "MetricSeries",
    "NotFoundError",
    "RunKeys",
    "RunQuery",
    "RunRecord",
    "RunValues",
    "SnapshotRecord",
    "Store",
    "StoreError",
    "StoreSettings",
    "WorkspaceRecord",
    "get_store",
    "open_store",
    "reset_store_cache",
    "store_registry",
]
