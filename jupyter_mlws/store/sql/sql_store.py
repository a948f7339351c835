"""SqlStore: the Store interface over SQLAlchemy (SQLite or PostgreSQL) and fsspec."""

from __future__ import annotations

from ..base import Store
from ..settings import StoreSettings
from .access import AccessMixin
from .artifacts import ArtifactMixin
from .assets import AssetMixin
from .datastores import DatastoreMixin
from .keyvault import KeyVaultMixin
from .metrics import MetricMixin
from .run_values import RunValuesMixin
from .workspaces import WorkspaceMixin


class SqlStore(WorkspaceMixin, RunValuesMixin, MetricMixin, ArtifactMixin,
               AssetMixin, DatastoreMixin, KeyVaultMixin, AccessMixin, Store):
    """Metadata and assets in SQL, files through fsspec. The schema is migrated on construction."""

    def __init__(self, settings: StoreSettings | None = None) -> None:
        super().__init__(settings or StoreSettings.resolve())

    def __repr__(self) -> str:
        return f"SqlStore({self.db.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.db.close()
