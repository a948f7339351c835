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
from .assets import AssetHandler, AssetsHandler, AssetStateHandler
from .compute import ComputeHandler, ComputesHandler, ComputeStopHandler, ScriptRunSubmitHandler
from .environments import (
    BuiltEnvironmentLogHandler,
    BuiltEnvironmentsHandler,
    EnvironmentHandler,
    EnvironmentsHandler,
)
from .experiments import ExperimentHandler, ExperimentsHandler
from .files import ArtifactContentHandler, ArtifactsHandler
from .live import LiveHandler
from .metrics import MetricQueryHandler, MetricSeriesHandler, MetricsHandler
from .runs import (
    RunCancelHandler,
    RunChildrenHandler,
    RunHandler,
    RunKeysHandler,
    RunValuesHandler,
)
from .sdk_files import (
    BlobHandler,
    LogHandler,
    MissingBlobsHandler,
    SnapshotFileHandler,
    SnapshotHandler,
    SnapshotsHandler,
)
from .sdk_metrics import MetricAppendHandler, MetricValuesHandler, RunSeriesHandler
from .sdk_runs import (
    ExperimentByIdHandler,
    RunLookupHandler,
    RunPropertiesHandler,
    RunStateHandler,
    SdkRunsHandler,
)
from .spec import API_PREFIX, OpenApiHandler
from .workspaces import WorkspaceConfigHandler, WorkspaceHandler, WorkspacesHandler

if TYPE_CHECKING:
    from ..store.base import Store

# Path parameters: one segment for ids and names; artifact paths and metric names may hold "/"
# (they are validated by the handlers, never trusted from the pattern).
_SEG = r"([^/]+)"
_WS = rf"{API_PREFIX}/workspaces/{_SEG}"
_RUN = rf"{_WS}/runs/{_SEG}"

ROUTES: list[tuple[str, Any]] = [
    (rf"{API_PREFIX}/openapi\.json", OpenApiHandler),
    (rf"{API_PREFIX}/live", LiveHandler),
    (rf"{API_PREFIX}/workspaces", WorkspacesHandler),
    (rf"{API_PREFIX}/workspace-config", WorkspaceConfigHandler),
    (_WS, WorkspaceHandler),
    (rf"{_WS}/experiments", ExperimentsHandler),
    (rf"{_WS}/experiments/{_SEG}", ExperimentHandler),
    (rf"{_WS}/metrics/query", MetricQueryHandler),
    (rf"{_WS}/runs", SdkRunsHandler),  # RunsHandler's listing plus POST (create a run)
    (rf"{_WS}/run-keys", RunKeysHandler),
    (rf"{_WS}/run-values", RunValuesHandler),
    (_RUN, RunHandler),
    (rf"{_RUN}/cancel", RunCancelHandler),
    (rf"{_RUN}/children", RunChildrenHandler),
    (rf"{_RUN}/metrics", MetricsHandler),
    (rf"{_RUN}/metrics/(.+)", MetricSeriesHandler),
    (rf"{_RUN}/artifacts", ArtifactsHandler),
    (rf"{_RUN}/artifacts/zip", ArtifactZipHandler),
    (rf"{_RUN}/artifacts/content/(.+)", ArtifactContentHandler),
    (rf"{_RUN}/logs/(.+)", LogHandler),  # LogTailHandler's GET plus POST (append)
    # Routes of the SDK's HTTP store (jupyter_mlws.store.http): the rest of the Store API.
    (rf"{API_PREFIX}/runs/{_SEG}", RunLookupHandler),
    (rf"{API_PREFIX}/snapshots/{_SEG}", SnapshotHandler),
    (rf"{API_PREFIX}/snapshots/{_SEG}/files/(.+)", SnapshotFileHandler),
    (rf"{_WS}/experiments-by-id/{_SEG}", ExperimentByIdHandler),
    (rf"{_WS}/metrics/append", MetricAppendHandler),
    (rf"{_WS}/metrics/values", MetricValuesHandler),
    (rf"{_RUN}/state", RunStateHandler),
    (rf"{_RUN}/properties", RunPropertiesHandler),
    (rf"{_RUN}/series", RunSeriesHandler),
    (rf"{_WS}/snapshots", SnapshotsHandler),
    (rf"{_WS}/snapshots/missing-blobs", MissingBlobsHandler),
    (rf"{_WS}/snapshots/blobs/{_SEG}", BlobHandler),
    (rf"{_WS}/assets/{_SEG}", AssetsHandler),
    (rf"{_WS}/assets/{_SEG}/{_SEG}", AssetHandler),
    (rf"{_WS}/assets/{_SEG}/{_SEG}/versions/{_SEG}/state", AssetStateHandler),
    # Compute targets, environments and script-run submission (server/compute.py,
    # server/environments.py).
    (rf"{_WS}/computes", ComputesHandler),
    (rf"{_WS}/computes/{_SEG}", ComputeHandler),
    (rf"{_WS}/computes/{_SEG}/stop", ComputeStopHandler),
    (rf"{_WS}/environments", EnvironmentsHandler),
    (rf"{_WS}/environments/{_SEG}", EnvironmentHandler),
    (rf"{API_PREFIX}/environments/built", BuiltEnvironmentsHandler),
    (rf"{API_PREFIX}/environments/built/{_SEG}/log", BuiltEnvironmentLogHandler),
    (rf"{_WS}/scriptruns", ScriptRunSubmitHandler),
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
    _advertised: str | None = None

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
        self._advertise()
        # Open the store (and run migrations) in the background, so neither start-up nor the
        # first request waits for it on the event loop; a failure is retried on first use.
        threading.Thread(target=self._open_store_quietly, name="mlws-open-store",
                         daemon=True).start()

    def _store_settings(self) -> Any:
        from ..store import StoreSettings

        return StoreSettings.resolve(database_url=self.database_url or None,
                                     storage_root=self.storage_url or None)

    def _advertise(self) -> None:
        """Tell runs of this store, in the runtime folder, that this server shows them
        (``Run.get_portal_url`` links only such a server; see core/lab_link.py)."""
        from ..core.lab_link import advertise

        try:
            self._advertised = advertise(self.serverapp.runtime_dir, self._store_settings())
        except Exception:  # links fall back to mlws://; the server itself is fine
            self.log.warning("jupyter_mlws: could not advertise the store in %s",
                             self.serverapp.runtime_dir, exc_info=True)

    def _open_store_quietly(self) -> None:
        try:
            self.store  # noqa: B018 - the property opens and caches the store
        except Exception:
            self.log.exception("jupyter_mlws: opening the store failed; retrying on first use")

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)

    @property
    def store(self) -> Store:
        """Opened on first use so that starting Jupyter never waits for migrations."""
        with self._store_lock:
            if self._store is None:
                from ..store import get_store

                settings = self._store_settings()
                # The server is where a tracking URI points: it opens the database itself.
                self._store = get_store(replace(settings, tracking_uri=None, token=None))
            return self._store

    async def stop_extension(self) -> None:
        from ..core.lab_link import withdraw

        withdraw(self._advertised)
        self._advertised = None
        self._store = None
