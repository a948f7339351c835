"""``Workspace``: the v1 top-level object, here a named namespace in the local store.

A workspace is identified by (subscription_id, resource_group, name) like in Azure ML; the two
namespaces are plain labels that default to ``"local"``. Its files live at ``storage_url`` (a
local folder or any fsspec URL). Every store call goes through :meth:`Workspace._call_store` so
that an operation on a deleted workspace says so instead of reporting some inner object missing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from ..exceptions import UserErrorException, WorkspaceException
from ..store.base import ConflictError, NotFoundError, Store, WorkspaceRecord
from . import workspace_access
from .config_file import (
    WorkspaceCoordinates,
    find_config_file,
    parse_scope,
    read_config_file,
    read_server_settings,
    workspace_scope,
    write_config_file,
)
from .keyvault import Keyvault
from .names import validate_workspace_name
from .workspace_data import WorkspaceDataMixin

if TYPE_CHECKING:
    from .environment import Environment
    from .experiment import Experiment
    from .run import Run

DEFAULT_NAMESPACE = "local"
WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces"

T = TypeVar("T")


class WorkspaceNotFoundException(WorkspaceException, UserErrorException):
    """The workspace looked for does not exist."""


class WorkspaceDeletedException(WorkspaceException, UserErrorException):
    """The workspace this object refers to has been deleted."""


def _default_store() -> Store:
    # Imported here: resolving the store may load SQLAlchemy, which `import jupyter_mlws.core`
    # must not pay for.
    from ..store import get_store

    return get_store()


def _stringify_tags(tags: dict[str, Any] | None) -> dict[str, str | None]:
    if not tags:
        return {}
    if not isinstance(tags, dict):
        raise UserErrorException(f"tags must be a dict of str to str, got {type(tags).__name__}.")
    return {str(k): (None if v is None else str(v)) for k, v in tags.items()}


def _storage_url(storage_account: str | None) -> str | None:
    """A user-given folder or fsspec URL; ARM ids of Azure storage accounts (what v1 code
    passes) mean nothing locally, so they fall back to the default location."""
    if not storage_account:
        return None
    if "://" in storage_account:
        return storage_account
    if storage_account.startswith("/subscriptions/") and "/providers/" in storage_account:
        return None
    return os.path.abspath(os.path.expanduser(storage_account))


def _not_found_message(name: str | None, subscription_id: str | None,
                       resource_group: str | None, workspace_id: str | None = None) -> str:
    if workspace_id:
        return f"Workspace with id '{workspace_id}' was not found."
    where = []
    if resource_group:
        where.append(f"resource group '{resource_group}'")
    if subscription_id:
        where.append(f"subscription '{subscription_id}'")
    scope = " in " + ", ".join(where) if where else ""
    return (f"Workspace '{name}'{scope} was not found. Use Workspace.create(name=...) to create "
            "it or Workspace.list(...) to see the existing ones.")


def _ambiguous(name: str, exc: Exception) -> UserErrorException:
    return UserErrorException(
        f"More than one workspace is named '{name}'; pass subscription_id and resource_group "
        f"to choose one. ({exc})")


def _unpickle(record: dict[str, Any], sku: str) -> Workspace:
    return Workspace._from_record(_default_store(), WorkspaceRecord(**record))._with(None, sku)


class Workspace(WorkspaceDataMixin):
    """A workspace: experiments, runs, data, models and compute grouped under one name."""

    def __init__(self, subscription_id: str | None, resource_group: str | None,
                 workspace_name: str, auth: Any = None, _location: str | None = None,
                 _disable_service_check: bool = False, _workspace_id: str | None = None,
                 sku: str = "basic", tags: dict[str, str] | None = None,
                 _cloud: str = "AzureCloud") -> None:
        store = _default_store()
        try:
            if _workspace_id:
                record = store.get_workspace_by_id(_workspace_id)
            else:
                record = store.get_workspace(workspace_name, subscription_id, resource_group)
        except NotFoundError as exc:
            raise WorkspaceNotFoundException(_not_found_message(
                workspace_name, subscription_id, resource_group, _workspace_id)) from exc
        except ConflictError as exc:
            raise _ambiguous(workspace_name, exc) from exc
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
        validate_workspace_name(name)
        sub = subscription_id or DEFAULT_NAMESPACE
        rg = resource_group or DEFAULT_NAMESPACE
        store = _default_store()
        try:
            existing = store.get_workspace(name, sub, rg)
        except NotFoundError:
            existing = None
        if existing is not None:
            if exist_ok:
                return Workspace._from_record(store, existing)._with(auth, sku)
            raise UserErrorException(
                f"Workspace with name '{name}' already exists under resource group '{rg}' in "
                f"subscription '{sub}'. Pass exist_ok=True to get the existing workspace, or "
                "choose another name.")
        if not create_resource_group and not store.list_workspaces(sub, rg):
            raise UserErrorException(
                f"Resource group '{rg}' in subscription '{sub}' does not exist yet (no workspace "
                "has been created in it) and create_resource_group=False. Pass "
                "create_resource_group=True to create it with this workspace.")
        storage_url = _storage_url(storage_account)
        started = time.monotonic()
        if show_output:
            print(f"Deploying Workspace with name {name}.")
        try:
            record = store.create_workspace(
                name, sub, rg, location=location or DEFAULT_NAMESPACE, storage_url=storage_url,
                friendly_name=friendly_name or name, tags=_stringify_tags(tags))
        except ConflictError:
            # Lost a race with another process creating the same name.
            if not exist_ok:
                raise UserErrorException(
                    f"Workspace with name '{name}' already exists under resource group '{rg}' "
                    f"in subscription '{sub}'. Pass exist_ok=True to get it.") from None
            record = store.get_workspace(name, sub, rg)
        if show_output:
            print(f"Deployed Workspace with name {name}. "
                  f"Took {time.monotonic() - started:.2f} seconds.")
        return Workspace._from_record(store, record)._with(auth, sku)

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
        store = _default_store()
        if id and id.startswith("/subscriptions/"):
            name, subscription_id, resource_group = _coords_name_first(parse_scope(id, "id"))
            id = None
        try:
            if id:
                record = store.get_workspace_by_id(id)
            else:
                record = store.get_workspace(name, subscription_id, resource_group)
        except NotFoundError as exc:
            raise WorkspaceNotFoundException(
                _not_found_message(name, subscription_id, resource_group, id)) from exc
        except ConflictError as exc:
            raise _ambiguous(name, exc) from exc
        return Workspace._from_record(store, record)._with(auth, "basic")

    @staticmethod
    def list(subscription_id: str | None, auth: Any = None,
             resource_group: str | None = None) -> dict[str, list[Workspace]]:
        """``{name: [Workspace, ...]}``: a list, because names repeat across resource groups."""
        store = _default_store()
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
            from ..store.settings import StoreSettings

            store = get_store(StoreSettings.resolve(tracking_uri=tracking_uri, token=token))
            try:
                record = store.get_workspace(coords.workspace_name, coords.subscription_id,
                                             coords.resource_group)
            except NotFoundError as exc:
                raise WorkspaceNotFoundException(_not_found_message(
                    coords.workspace_name, coords.subscription_id, coords.resource_group)) from exc
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
            tags=None if tags is None else _stringify_tags(tags),
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
        from .experiment import Experiment

        records = self._call_store(self._store.list_experiments, self._record.id, "ActiveOnly")
        return {rec.name: Experiment._from_record(self, rec) for rec in records}

    @property
    def environments(self) -> dict[str, Environment]:
        """``{name: latest Environment}``, the curated ``AzureML-*`` ones included (v1)."""
        from .environment import Environment

        return Environment.list(self)

    @property
    def compute_targets(self) -> dict[str, Any]:
        """``{name: ComputeTarget}`` of this workspace, ``local`` included."""
        from .compute import ComputeTarget

        return {target.name: target for target in ComputeTarget.list(self)}

    def get_run(self, run_id: str) -> Run:
        from .run import Run

        return Run.get(self, run_id)

    # ------------------------------------------------------------------ secrets and access
    def get_default_keyvault(self) -> Keyvault:
        """The workspace's key vault (``core/keyvault.py``)."""
        return Keyvault(self)

    def assign_role(self, role: str, user: str | None = None, group: str | None = None,
                    all_workspaces: bool = False) -> dict[str, Any]:
        """Grant ``role`` (Owner, Contributor, Reader, AzureML Data Scientist or a custom
        role) to a user or a group on this workspace (or on every workspace)."""
        return workspace_access.assign_role(self, role, user, group, all_workspaces)

    def list_role_assignments(self) -> list[dict[str, Any]]:
        return workspace_access.list_role_assignments(self)

    def remove_role_assignment(self, assignment: str | dict[str, Any]) -> None:
        workspace_access.remove_role_assignment(self, assignment)

    def list_role_definitions(self) -> list[dict[str, Any]]:
        return workspace_access.list_role_definitions(self)

    def create_role_definition(self, definition: Any) -> dict[str, Any]:
        """A custom role from Azure's role-definition JSON (dict, JSON text or file path)."""
        return workspace_access.create_role_definition(self, definition)

    def delete_role_definition(self, name: str) -> None:
        workspace_access.delete_role_definition(self, name)

    def get_audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        """Denied requests and secret reads in this workspace, newest first (owners)."""
        return workspace_access.audit_log(self, limit)

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
