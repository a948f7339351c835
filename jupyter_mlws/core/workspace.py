"""``Workspace``: the v1 top-level object, here a named namespace in the local store.

A workspace is identified by (subscription_id, resource_group, name) like in Azure ML; the two
namespaces are plain labels that default to ``"local"``. Its files live at ``storage_url`` (a
local folder or any fsspec URL). Every store call goes through :meth:`Workspace._call_store` so
that an operation on a deleted workspace says so instead of reporting some inner object missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from ..store.base import NotFoundError, Store, WorkspaceRecord
from ..store.settings import StoreSettings
from .config_file import (
    WorkspaceCoordinates,
    find_config_file,
    parse_scope,
    read_config_file,
    read_server_settings,
    workspace_scope,
    write_config_file,
)
from .workspace_access import WorkspaceAccessMixin
from .workspace_create import create_workspace, stringify_tags
from .workspace_data import WorkspaceDataMixin
from .workspace_lookup import (
    WorkspaceDeletedException,
    WorkspaceNotFoundException,
    default_store,
    find_workspace,
)

if TYPE_CHECKING:
    from .environment import Environment
    from .experiment import Experiment
    from .run import Run

WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces"

T = TypeVar("T")


def _unpickle(record: dict[str, Any], sku: str) -> Workspace:
    return Workspace._from_record(default_store(), WorkspaceRecord(**record))._with(None, sku)


class Workspace(WorkspaceDataMixin, WorkspaceAccessMixin):
    """A workspace: experiments, runs, data, models and compute grouped under one name."""

    def __init__(self, subscription_id: str | None, resource_group: str | None,
                 workspace_name: str, auth: Any = None, _location: str | None = None,
                 _disable_service_check: bool = False, _workspace_id: str | None = None,
                 sku: str = "basic", tags: dict[str, str] | None = None,
                 _cloud: str = "AzureCloud") -> None:
        store = default_store()
        record = find_workspace(store, workspace_name, subscription_id, resource_group,
                                _workspace_id)
        self._init(store, record, auth=auth, sku=sku)

    def _init(self, store: Store, record: WorkspaceRecord, auth: Any = None,
              sku: str = "basic") -> None:
        self._store = store
        self._record = record
        self._auth = auth
        self._sku = sku or "basic"
        self._deleted = False

    @classmethod
    def _from_record(cls, store: Store, record: WorkspaceRecord) -> Workspace:
        ws = cls.__new__(cls)
        ws._init(store, record)
        return ws

    # ------------------------------------------------------------------ factories
    @staticmethod
    def create(name: str, auth: Any = None, subscription_id: str | None = None,
               resource_group: str | None = None, location: str | None = None,
               create_resource_group: bool = True, sku: str = "basic",
               tags: dict[str, str] | None = None, friendly_name: str | None = None,
               storage_account: str | None = None, key_vault: str | None = None,
               app_insights: str | None = None, container_registry: str | None = None,
               adb_workspace: str | None = None, primary_user_assigned_identity: str | None = None,
               cmk_keyvault: str | None = None, resource_cmk_uri: str | None = None,
               hbi_workspace: bool = False, default_cpu_compute_target: Any = None,
               default_gpu_compute_target: Any = None, private_endpoint_config: Any = None,
               private_endpoint_auto_approval: bool = True, exist_ok: bool = False,
               show_output: bool = True,
               user_assigned_identity_for_cmk_encryption: str | None = None,
               system_datastores_auth_mode: str = "accessKey",
               v1_legacy_mode: bool | None = None) -> Workspace:
        """Create a workspace. Cloud-only arguments (key vault, app insights, registry,
        encryption, private endpoints, identities) are accepted so v1 code runs, and ignored."""
        return create_workspace(name, auth, subscription_id, resource_group, location,
                                create_resource_group, sku, tags, friendly_name,
                                storage_account, exist_ok, show_output)

    def _with(self, auth: Any, sku: str) -> Workspace:
        self._auth = auth
        self._sku = sku or "basic"
        return self

    @staticmethod
    def get(name: str, auth: Any = None, subscription_id: str | None = None,
            resource_group: str | None = None, location: str | None = None,
            cloud: str = "AzureCloud", id: str | None = None) -> Workspace:
        """The existing workspace ``name``; without subscription/resource group it must be
        unique across them. ``id`` is the workspace id (or its ARM-style id)."""
        store = default_store()
        if id and id.startswith("/subscriptions/"):
            name, subscription_id, resource_group = _coords_name_first(parse_scope(id, "id"))
            id = None
        record = find_workspace(store, name, subscription_id, resource_group, id)
        return Workspace._from_record(store, record)._with(auth, "basic")

    @staticmethod
    def list(subscription_id: str | None, auth: Any = None,
             resource_group: str | None = None) -> dict[str, list[Workspace]]:
        """``{name: [Workspace, ...]}``: a list, because names repeat across resource groups."""
        store = default_store()
        result: dict[str, list[Workspace]] = {}
        for record in store.list_workspaces(subscription_id, resource_group):
            result.setdefault(record.name, []).append(
                Workspace._from_record(store, record)._with(auth, "basic"))
        return result

    @staticmethod
    def from_config(path: str | os.PathLike[str] | None = None, auth: Any = None,
                    _logger: Any = None, _file_name: str | None = None) -> Workspace:
        """The workspace named by the nearest ``config.json`` (v1 search order)."""
        found = find_config_file(path, _file_name)
        coords = read_config_file(found)
        message = f"Found the config file in: {os.path.abspath(found)}"
        print(message)
        if _logger is not None:
            _logger.info(message)
        tracking_uri, token = read_server_settings(found)
        if tracking_uri:
            # The file names a jupyter_mlws server: this workspace lives there (HTTP store).
            from ..store import get_store

            store = get_store(StoreSettings.resolve(tracking_uri=tracking_uri, token=token))
            record = find_workspace(store, coords.workspace_name, coords.subscription_id,
                                    coords.resource_group)
            return Workspace._from_record(store, record)._with(auth, "basic")
        return Workspace(coords.subscription_id, coords.resource_group, coords.workspace_name,
                         auth=auth)

    def write_config(self, path: str | os.PathLike[str] | None = None,
                     file_name: str | None = None) -> None:
        """Write ``.azureml/config.json`` (v1 rules) so ``from_config()`` finds this workspace."""
        write_config_file(WorkspaceCoordinates(self.subscription_id, self.resource_group,
                                               self.name), path, file_name)

    # ------------------------------------------------------------------ store access
    def _call_store(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` (a store method) and turn "not found" caused by this workspace having
        been deleted into an error that says so."""
        if self._deleted:
            raise self._deleted_error()
        try:
            return fn(*args, **kwargs)
        except NotFoundError as exc:
            try:
                self._store.get_workspace_by_id(self._record.id)
            except NotFoundError:
                self._deleted = True
                raise self._deleted_error() from exc
            raise

    def _deleted_error(self) -> WorkspaceDeletedException:
        return WorkspaceDeletedException(
            f"Workspace '{self.name}' (resource group '{self.resource_group}', subscription "
            f"'{self.subscription_id}') was deleted; create it again with Workspace.create().")

    def delete(self, delete_dependent_resources: bool = False, no_wait: bool = False) -> None:
        """Delete the workspace with its experiments, runs and files. Everything is local, so
        ``no_wait`` makes no difference and dependent resources always go with it."""
        self._call_store(self._store.delete_workspace, self._record.id)
        self._deleted = True

    def update(self, friendly_name: str | None = None, description: str | None = None,
               tags: dict[str, str] | None = None, image_build_compute: str | None = None,
               service_managed_resources_settings: Any = None,
               primary_user_assigned_identity: str | None = None,
               allow_public_access_when_behind_vnet: bool | None = None,
               v1_legacy_mode: bool | None = None) -> dict[str, Any]:
        """Update friendly name, description or tags; returns the details like v1."""
        self._record = self._call_store(
            self._store.update_workspace, self._record.id,
            tags=None if tags is None else stringify_tags(tags),
            description=description, friendly_name=friendly_name)
        return self.get_details()

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def subscription_id(self) -> str:
        return self._record.subscription_id

    @property
    def resource_group(self) -> str:
        return self._record.resource_group

    @property
    def location(self) -> str:
        return self._record.location

    @property
    def sku(self) -> str:
        return self._sku

    @property
    def tags(self) -> dict[str, str | None]:
        return dict(self._record.tags)

    @property
    def discovery_url(self) -> str | None:
        """v1 points at the region's discovery service; the local store has none."""
        return None

    @property
    def _workspace_id(self) -> str:
        return self._record.id

    def get_details(self) -> dict[str, Any]:
        rec = self._record
        created = datetime.fromtimestamp(rec.created_time or 0.0, tz=timezone.utc)
        return {
            "id": workspace_scope(rec.subscription_id, rec.resource_group, rec.name),
            "name": rec.name,
            "location": rec.location,
            "type": WORKSPACE_TYPE,
            "tags": dict(rec.tags),
            "sku": self._sku,
            "workspaceid": rec.id,
            "description": rec.description,
            "friendlyName": rec.friendly_name or rec.name,
            "creationTime": created.isoformat(),
            "containerRegistry": None,
            "keyVault": None,
            "applicationInsights": None,
            "storageAccount": rec.storage_url,
            "identityPrincipalId": None,
            "identityTenantId": None,
            "identityType": None,
            "hbiWorkspace": False,
            "imageBuildCompute": None,
            "systemDatastoresAuthMode": "accessKey",
            "subscriptionId": rec.subscription_id,
            "resourceGroup": rec.resource_group,
        }

    @property
    def experiments(self) -> dict[str, Experiment]:
        """Active experiments by name."""
        from .experiment import Experiment  # cycle: experiment imports this module

        records = self._call_store(self._store.list_experiments, self._record.id, "ActiveOnly")
        return {rec.name: Experiment._from_record(self, rec) for rec in records}

    @property
    def environments(self) -> dict[str, Environment]:
        """``{name: latest Environment}``, the curated ``AzureML-*`` ones included (v1)."""
        from .environment import Environment  # cycle: environment imports this module

        return Environment.list(self)

    @property
    def compute_targets(self) -> dict[str, Any]:
        """``{name: ComputeTarget}`` of this workspace, ``local`` included."""
        from .compute import ComputeTarget  # cycle: compute imports this module

        return {target.name: target for target in ComputeTarget.list(self)}

    def get_run(self, run_id: str) -> Run:
        from .run import Run  # cycle: run imports this module

        return Run.get(self, run_id)

    # ------------------------------------------------------------------ identity
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The store holds connections; another process (a Dask worker, a submitted run)
        # reopens its own from its settings. Auth objects are not carried: they are ignored.
        return _unpickle, (self._record.to_dict(), self._sku)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Workspace):
            return NotImplemented
        return self._record.id == other._record.id

    def __hash__(self) -> int:
        return hash(self._record.id)

    def __repr__(self) -> str:
        return (f"Workspace.create(name='{self.name}', subscription_id='{self.subscription_id}',"
                f" resource_group='{self.resource_group}')")


def _coords_name_first(coords: WorkspaceCoordinates) -> tuple[str, str, str]:
    return coords.workspace_name, coords.subscription_id, coords.resource_group


__all__ = ["Workspace", "WorkspaceDeletedException", "WorkspaceNotFoundException"]
