"""HttpStore: every Store method as the REST operation of the same name in the table
(``jupyter_mlws.api``), through one generic call (``endpoint.py``). No caches, no lookups of its
own: REST keys are the store's keys. The methods live in one mixin per asset kind, as the store
interface does (``store/*_api.py``).
"""

from __future__ import annotations

from ..base import Store
from .access import AccessMixin
from .artifacts import ArtifactMixin
from .assets import AssetMixin
from .datastores import DatastoreMixin
from .metrics import MetricMixin
from .runs import RunMixin
from .service_data import ServiceDataMixin
from .workspaces import WorkspaceMixin


class HttpStore(WorkspaceMixin, RunMixin, MetricMixin, ArtifactMixin, AssetMixin,
                DatastoreMixin, AccessMixin, ServiceDataMixin, Store):
    """A Store whose data lives behind ``settings.tracking_uri``; ``settings.token`` goes in
    the Authorization header of every request and nowhere else."""

    def __repr__(self) -> str:
        return f"HttpStore({self.http.base!r})"

    def close(self) -> None:
        self.http.close()


__all__ = ["HttpStore"]
