"""Persistence behind one interface (see ``base.py``)."""

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
    "WorkspaceRecord",
]
