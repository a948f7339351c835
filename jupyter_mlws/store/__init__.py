"""Persistence behind one interface (see ``base.py``).

:func:`get_store` hands out the process-wide store for the resolved settings. The SQL
implementation is imported only on first use, so importing this package stays cheap.
"""

from __future__ import annotations

import threading

from .base import (
    ArtifactRecord,
    ConflictError,
    ExperimentRecord,
    InvalidInputError,
    MetricInfo,
    MetricSeries,
    NotFoundError,
    RunQuery,
    RunRecord,
    SnapshotRecord,
    Store,
    StoreError,
    WorkspaceRecord,
)
from .settings import StoreSettings

_stores: dict[StoreSettings, Store] = {}
_lock = threading.Lock()


def _open_store(settings: StoreSettings) -> Store:
    # The single branch point between implementations. When settings.tracking_uri is set, the
    # HTTP client of the server extension is chosen here once it exists; until then the
    # database is opened directly, which is what a process next to the server would do anyway.
    from .sql import SqlStore

    return SqlStore(settings)


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
            store = _stores[resolved] = _open_store(resolved)
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
    "ConflictError",
    "ExperimentRecord",
    "InvalidInputError",
    "MetricInfo",
    "MetricSeries",
    "NotFoundError",
    "RunQuery",
    "RunRecord",
    "SnapshotRecord",
    "Store",
    "StoreError",
    "StoreSettings",
    "WorkspaceRecord",
    "get_store",
    "reset_store_cache",
]
