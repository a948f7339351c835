"""The ``jupyter_mlws`` jupyter-server extension: configuration and routes."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Any as AnyTrait
from traitlets import Int, Unicode

from .archive import ArtifactZipHandler
from .experiments import ExperimentHandler, ExperimentsHandler
from .files import ArtifactContentHandler, ArtifactsHandler, LogTailHandler
from .metrics import MetricQueryHandler, MetricSeriesHandler, MetricsHandler
from .runs import RunCancelHandler, RunChildrenHandler, RunHandler, RunsHandler
from .spec import API_PREFIX, OpenApiHandler
from .workspaces import WorkspaceHandler, WorkspacesHandler

if TYPE_CHECKING:
    from ..store.base import Store

# Path parameters: one segment for ids and names; artifact paths and metric names may hold "/"
# (they are validated by the handlers, never trusted from the pattern).
_SEG = r"([^/]+)"
_WS = rf"{API_PREFIX}/workspaces/{_SEG}"
_RUN = rf"{_WS}/runs/{_SEG}"

ROUTES: list[tuple[str, Any]] = [
    (rf"{API_PREFIX}/openapi\.json", OpenApiHandler),
    (rf"{API_PREFIX}/workspaces", WorkspacesHandler),
    (_WS, WorkspaceHandler),
    (rf"{_WS}/experiments", ExperimentsHandler),
    (rf"{_WS}/experiments/{_SEG}", ExperimentHandler),
    (rf"{_WS}/metrics/query", MetricQueryHandler),
    (rf"{_WS}/runs", RunsHandler),
    (_RUN, RunHandler),
    (rf"{_RUN}/cancel", RunCancelHandler),
    (rf"{_RUN}/children", RunChildrenHandler),
    (rf"{_RUN}/metrics", MetricsHandler),
    (rf"{_RUN}/metrics/(.+)", MetricSeriesHandler),
    (rf"{_RUN}/artifacts", ArtifactsHandler),
    (rf"{_RUN}/artifacts/zip", ArtifactZipHandler),
    (rf"{_RUN}/artifacts/content/(.+)", ArtifactContentHandler),
    (rf"{_RUN}/logs/(.+)", LogTailHandler),
]


class MlwsApp(ExtensionApp):
    """Serves workspaces, experiments, runs, metrics and artifacts over REST."""

    name = "jupyter_mlws"
    load_other_extensions = True

    home = Unicode(
        "", config=True,
        help="MLWS_HOME of the store this server uses (default: $MLWS_HOME or "
             "<jupyter data dir>/mlws). Exported to kernels started by this server.")
    database_url = Unicode(
        "", config=True,
        help="SQLAlchemy URL of the metadata database (default: SQLite in the home).")
    storage_url = Unicode(
        "", config=True,
        help="fsspec URL under which new workspaces get their folder (default: the home).")
    max_upload_bytes = Int(
        1024 ** 3, config=True, help="Largest artifact accepted by an upload (HTTP 413 above).")
    authorization_policy = AnyTrait(
        None, allow_none=True, config=True,
        help="callable(user, action, resource) -> bool deciding per workspace asset, on top "
             "of jupyter-server's Authorizer (resource 'mlws'). Default: the authenticated "
             "user may do everything. See jupyter_mlws.server.authz.")

    _store: Store | None = None
    _store_lock = threading.Lock()

    def initialize_settings(self) -> None:
        # Exported, not only passed to the store: kernels and runs this server starts must
        # open the same store as the REST API does.
        for value, variable in ((self.home, "MLWS_HOME"),
                                (self.database_url, "MLWS_DATABASE_URL"),
                                (self.storage_url, "MLWS_STORAGE_URL")):
            if value:
                os.environ[variable] = value
        if self.authorization_policy is not None and not callable(self.authorization_policy):
            raise ValueError("MlwsApp.authorization_policy must be callable")

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)

    @property
    def store(self) -> Store:
        """Opened on first use so that starting Jupyter never waits for migrations."""
        with self._store_lock:
            if self._store is None:
                from ..store import StoreSettings, get_store

                settings = StoreSettings.resolve(database_url=self.database_url or None,
                                                 storage_root=self.storage_url or None)
                # The server is where a tracking URI points: it opens the database itself.
                self._store = get_store(replace(settings, tracking_uri=None, token=None))
            return self._store

    async def stop_extension(self) -> None:
        self._store = None
