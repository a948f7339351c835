"""The ``jupyter_mlws`` jupyter-server extension: configuration, the store, the authorization
point and the routes generated from the operation table."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Any as AnyTrait
from traitlets import Bool, Int, Unicode
from traitlets import Set as TraitSet

from ..core.lab_link import advertise, withdraw
from ..store import StoreSettings, get_store, open_store
from ..store.base import Store
from ..store.registry import load_store_class
from .access_policy import RolePolicy
from .authz import AuthorizationPoint, ConfigurationError, load_policy
from .routes import build_routes, check_table


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
             "of jupyter-server's Authorizer (resource 'mlws'), or its import string "
             "('pkg.module.policy', as given on the command line). Default: the authenticated "
             "user may do everything. A setting that names nothing callable is reported and "
             "every request is refused until it is fixed. See jupyter_mlws.server.authz.")
    store_class = AnyTrait(
        None, allow_none=True, config=True,
        help="Store class to open (called with the resolved StoreSettings), or its import "
             "string. Default: the one registered for the database URL's scheme (entry point "
             "group jupyter_mlws.stores). A setting that names no Store class is reported "
             "and every request is refused until it is fixed.")
    access_control = Bool(
        False, config=True,
        help="Enforce role-based access (Owner, Contributor, Reader, custom roles; see "
             "README 'Access control') as the policy of the authorization point. Off: every "
             "authenticated user may do everything, as on a one-person server.")
    allow_workspace_creation = Bool(
        True, config=True,
        help="With access_control: any authenticated user may create a workspace (and is its "
             "Owner). Off: only who holds workspaces/write somewhere (or an admin).")
    admin_users = TraitSet(
        Unicode(), config=True,
        help="User names that may always do everything (recover access when no Owner is "
             "left).")

    _store: Store | None = None
    _store_class: type[Store] | None = None
    _store_lock = threading.Lock()
    _advertised: str | None = None
    authz: AuthorizationPoint

    def initialize_settings(self) -> None:
        # Exported, not only passed to the store: kernels and runs this server starts must
        # open the same store as the REST API does.
        for value, variable in ((self.home, "MLWS_HOME"),
                                (self.database_url, "MLWS_DATABASE_URL"),
                                (self.storage_url, "MLWS_STORAGE_URL")):
            if value:
                os.environ[variable] = value
        self.authz = self._authorization_point()
        self._advertise()
        # Open the store (and run migrations) in the background, so neither start-up nor the
        # first request waits for it on the event loop; a failure is retried on first use.
        threading.Thread(target=self._open_store_quietly, name="mlws-open-store",
                         daemon=True).start()

    def _authorization_point(self) -> AuthorizationPoint:
        """The one authorization point. A setting that cannot be used never disables the
        extension (every route would vanish) nor allows everything: it is logged, and every
        request is refused with the reason."""
        policy = None
        try:
            policy = load_policy(self.authorization_policy)
            self._store_class = load_store_class(self.store_class)
        except ConfigurationError as exc:
            self.log.error("jupyter_mlws: %s. Every mlws request is refused until the "
                           "setting is fixed.", exc)
            return AuthorizationPoint(None, lambda: self.store,
                                      error=f"The server is misconfigured: {exc}.")
        if policy is None and self.access_control:
            policy = RolePolicy(self)
        return AuthorizationPoint(policy, lambda: self.store)

    def _store_settings(self) -> StoreSettings:
        return StoreSettings.resolve(database_url=self.database_url or None,
                                     storage_root=self.storage_url or None)

    def _advertise(self) -> None:
        """Tell runs of this store, in the runtime folder, that this server shows them
        (``Run.get_portal_url`` links only such a server; see core/lab_link.py)."""
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
        check_table()
        self.handlers.extend(build_routes())

    @property
    def store(self) -> Store:
        """Opened on first use so that starting Jupyter never waits for migrations."""
        with self._store_lock:
            if self._store is None:
                settings = self._store_settings()
                # The server is where a tracking URI points: it opens the database itself.
                settings = replace(settings, tracking_uri=None, token=None)
                # The process-wide store (shared with the SDK calls the server makes) unless a
                # store class of its own is configured.
                self._store = (open_store(settings, self._store_class) if self._store_class
                               else get_store(settings))
            return self._store

    async def stop_extension(self) -> None:
        withdraw(self._advertised)
        self._advertised = None
        self._store = None


def extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_mlws.server.app", "app": MlwsApp}]
