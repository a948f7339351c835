"""The one store interface every face of jupyter_mlws goes through.

``core`` (the SDK), ``execution`` and ``server`` only ever talk to a :class:`Store`.
Two implementations exist: :class:`~jupyter_mlws.store.sql.SqlStore` (SQLAlchemy metadata plus
fsspec files; SQLite by default, PostgreSQL by URL) and :class:`~jupyter_mlws.store.http.HttpStore`,
which calls the REST operation of each method (``jupyter_mlws.api``). Back ends are found by URL
scheme (``store/registry.py``). Everything crossing this interface is a plain dataclass or
builtin, so it serializes to JSON unchanged.

Abstract methods are the primitives each back end implements; the concrete methods here are
composites written once over them (a back end may still override one with a faster form).

The interface is split by asset kind into mixins, one module each: ``workspace_api``
(workspaces, experiments), ``run_api``, ``metric_api``, ``artifact_api`` (run files, logs,
snapshots), ``asset_api``, ``datastore_api``, ``access_api`` (key vault, roles, audit, run
tokens) and ``service_data_api`` (services' collected data). :class:`Store` is their union;
its names (records, errors, statuses) are re-exported here.
"""

from __future__ import annotations

import abc

from .access_api import AccessApi
from .artifact_api import ArtifactApi
from .asset_api import AssetApi
from .datastore_api import DatastoreApi
from .errors import (
    ConflictError,
    CorruptArtifactError,
    InvalidInputError,
    NotFoundError,
    StoreError,
)
from .metric_api import MetricApi
from .records import (
    METRIC_KINDS,
    RUN_PAGE_MAX,
    ArtifactRecord,
    AssetRecord,
    DatastoreFileRecord,
    ExperimentRecord,
    KeyCount,
    LogChunk,
    MetricInfo,
    MetricPoint,
    MetricSeries,
    Record,
    RunKeys,
    RunPage,
    RunQuery,
    RunRecord,
    RunTable,
    RunValues,
    SnapshotRecord,
    WorkspaceRecord,
)
from .run_api import RunApi
from .service_data_api import ServiceDataApi
from .status import ACTIVE_STATUSES, TERMINAL_STATUSES
from .workspace_api import WorkspaceApi


class Store(WorkspaceApi, RunApi, MetricApi, ArtifactApi, AssetApi, DatastoreApi, AccessApi,
            ServiceDataApi, abc.ABC):
    """Persistence for workspaces, experiments, runs, metrics and files."""

    # ---- lifetime
    def close(self) -> None:
        """Release connections."""


__all__ = ["ACTIVE_STATUSES", "METRIC_KINDS", "RUN_PAGE_MAX", "TERMINAL_STATUSES",
           "ArtifactRecord", "AssetRecord", "ConflictError", "CorruptArtifactError",
           "DatastoreFileRecord", "ExperimentRecord", "InvalidInputError", "KeyCount",
           "LogChunk", "MetricInfo", "MetricPoint", "MetricSeries", "NotFoundError", "Record",
           "RunKeys", "RunPage", "RunQuery", "RunRecord", "RunTable", "RunValues",
           "SnapshotRecord", "Store", "StoreError", "WorkspaceRecord"]
