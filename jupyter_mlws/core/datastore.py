"""``Datastore`` (v1 section 8): get, list, register and unregister the workspace's datastores.

``Datastore(workspace, name)`` returns the concrete class of the stored record, as v1 does:
``AzureBlobDatastore`` / ``AzureFileDatastore`` for the built-in ``workspaceblobstore`` /
``workspacefilestore`` (the folders ``datastores/<name>`` of the workspace storage) and for
registered Azure containers, ``AzureDataLakeGen2Datastore``, and ours for a local folder or any
fsspec URL (``LocalDatastore``, ``FsspecDatastore``). Credentials go to the store's secret
storage (``Store.put_datastore_secret``), never into the record or onto the object.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import NotFoundError, StoreError
from ..store.data import registry
from ..store.data.locations import BUILTIN_DATASTORES, open_datastore_fs

if TYPE_CHECKING:
    from ..data.abstract_datastore import AbstractDatastore
    from .workspace import Workspace


def _from_spec(workspace: Workspace, spec: dict[str, Any]) -> AbstractDatastore:
    from ..data.azure_data_lake_datastore import AzureDataLakeGen2Datastore
    from ..data.azure_storage_datastore import AzureBlobDatastore, AzureFileDatastore
    from ..data.fsspec_datastore import FsspecDatastore, LocalDatastore

    classes: dict[str, Any] = {"AzureBlob": AzureBlobDatastore, "AzureFile": AzureFileDatastore,
                               "AzureDataLakeGen2": AzureDataLakeGen2Datastore,
                               "Local": LocalDatastore}
    cls = classes.get(spec.get("datastore_type", ""), FsspecDatastore)
    return cls(workspace, spec.get("name") or "", spec)


def _check_workspace(workspace: Any) -> Workspace:
    from .workspace import Workspace

    if not isinstance(workspace, Workspace):
        raise UserErrorException(f"A Workspace is required, got {type(workspace).__name__}")
    return workspace


class Datastore:
    """The entry point of datastores; instances are of the concrete datastore classes."""

    def __new__(cls, workspace: Workspace, name: str | None = None) -> Any:  # type: ignore[misc]
        if name is None:
            return Datastore.get_default(workspace)
        return Datastore.get(workspace, name)

    # ---- lookups
    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Any:
        ws = _check_workspace(workspace)
        try:
            spec = ws._call_store(registry.datastore_spec, ws._store, ws._record.id,
                                  datastore_name)
        except NotFoundError as exc:
            raise UserErrorException(
                f"Datastore {datastore_name!r} was not found in workspace {ws.name!r}; "
                f"registered: {', '.join(sorted(Datastore.list(ws)))}") from exc
        except StoreError as exc:
            raise UserErrorException(str(exc)) from exc
        return _from_spec(ws, spec)

    @staticmethod
    def get_default(workspace: Workspace) -> Any:
        ws = _check_workspace(workspace)
        name = ws._call_store(registry.default_datastore_name, ws._store, ws._record.id)
        return Datastore.get(ws, name)

    @staticmethod
    def list(workspace: Workspace) -> dict[str, Any]:
        """``{name: datastore}`` (v1's ``ws.datastores``)."""
        ws = _check_workspace(workspace)
        specs = ws._call_store(registry.list_datastore_specs, ws._store, ws._record.id)
        return {spec["name"]: _from_spec(ws, spec) for spec in specs}

    # ---- registration
    @staticmethod
    def _register(workspace: Workspace, name: str, spec: dict[str, Any],
                  secret: dict[str, str], *, overwrite: bool, validate: bool,
                  create_if_not_exists: bool = False) -> Any:
        ws = _check_workspace(workspace)
        try:
            registry.check_datastore_name(name)
        except StoreError as exc:
            raise UserErrorException(str(exc)) from exc
        if name.casefold() in BUILTIN_DATASTORES:
            raise UserErrorException(f"{name!r} is the name of a built-in datastore of the "
                                     "workspace; choose another name")
        secret = {k: str(v) for k, v in secret.items() if v is not None}
        spec = {**spec, "name": name, "has_secret": bool(secret),
                "credential_type": ", ".join(sorted(secret)) or "None"}
        store, ws_id, key = ws._store, ws._record.id, name.casefold()
        try:
            existing = ws._call_store(store.get_asset, ws_id, registry.DATASTORE_KIND, key)
        except NotFoundError:
            existing = None
        if existing is not None and not overwrite:
            if {**existing.spec, "name": ""} == {**spec, "name": ""} and not secret:
                return _from_spec(ws, existing.spec)
            raise UserErrorException(
                f"Datastore {name!r} already exists in workspace {ws.name!r} with another "
                "definition; pass overwrite=True to replace it")
        if validate:
            _validate(spec, secret, create_if_not_exists)
        try:
            # Secret first: a datastore row never exists without the credentials it needs.
            if secret:
                store.put_datastore_secret(ws_id, key, secret)
            else:
                store.delete_datastore_secret(ws_id, key)
            if existing is not None:
                store.delete_asset(ws_id, registry.DATASTORE_KIND, key)
            record = store.register_asset(ws_id, registry.DATASTORE_KIND, key, spec,
                                          new_version=False)
        except StoreError as exc:
            raise UserErrorException(str(exc)) from exc
        return _from_spec(ws, record.spec)

    @staticmethod
    def register_local_folder(workspace: Workspace, datastore_name: str, path: str,
                              overwrite: bool = False, create_if_not_exists: bool = False,
                              skip_validation: bool = False) -> Any:
        """A folder of this machine (of the server's, when the SDK talks to one)."""
        folder = os.path.abspath(os.path.expanduser(os.fspath(path)))
        spec = {"type": "local", "datastore_type": "Local", "url": folder}
        return Datastore._register(workspace, datastore_name, spec, {}, overwrite=overwrite,
                                   validate=not skip_validation,
                                   create_if_not_exists=create_if_not_exists)

    @staticmethod
    def register_fsspec(workspace: Workspace, datastore_name: str, url: str,
                        storage_options: dict[str, Any] | None = None,
                        credentials: dict[str, str] | None = None, overwrite: bool = False,
                        create_if_not_exists: bool = False,
                        skip_validation: bool = False) -> Any:
        """Any fsspec URL; ``credentials`` are storage options kept as the secret."""
        if not isinstance(url, str) or "://" not in url:
            raise UserErrorException(f"url must be an fsspec URL like s3://bucket/prefix, got "
                                     f"{url!r} (use register_local_folder for a folder)")
        spec = {"type": "fsspec", "datastore_type": "Fsspec", "url": url,
                "protocol": url.split("://", 1)[0],
                "storage_options": dict(storage_options or {})}
        return Datastore._register(workspace, datastore_name, spec, dict(credentials or {}),
                                   overwrite=overwrite, validate=not skip_validation,
                                   create_if_not_exists=create_if_not_exists)

    @staticmethod
    def register_s3(workspace: Workspace, datastore_name: str, bucket: str, prefix: str = "",
                    endpoint_url: str | None = None, access_key_id: str | None = None,
                    secret_access_key: str | None = None, region: str | None = None,
                    overwrite: bool = False, create_if_not_exists: bool = False,
                    skip_validation: bool = False) -> Any:
        """An S3-compatible bucket (AWS, MinIO, Ceph...) through s3fs."""
        options: dict[str, Any] = {}
        if endpoint_url:
            options["endpoint_url"] = endpoint_url
        if region:
            options["client_kwargs"] = {"region_name": region}
        url = f"s3://{bucket}/{prefix.strip('/')}".rstrip("/")
        spec = {"type": "fsspec", "datastore_type": "S3", "url": url, "protocol": "s3",
                "endpoint": endpoint_url, "container_name": bucket, "storage_options": options}
        secret = {"key": access_key_id, "secret": secret_access_key}
        return Datastore._register(workspace, datastore_name, spec,
                                   {k: v for k, v in secret.items() if v},
                                   overwrite=overwrite, validate=not skip_validation,
                                   create_if_not_exists=create_if_not_exists)

    @staticmethod
    def register_azure_blob_container(
            workspace: Workspace, datastore_name: str, container_name: str, account_name: str,
            sas_token: str | None = None, account_key: str | None = None,
            protocol: str | None = None, endpoint: str | None = None, overwrite: bool = False,
            create_if_not_exists: bool = False, skip_validation: bool = False,
            blob_cache_timeout: int | None = None, grant_workspace_access: bool = False,
            subscription_id: str | None = None, resource_group: str | None = None) -> Any:
        """An Azure Blob container through ``adlfs`` (``az://``), when it is installed."""
        options: dict[str, Any] = {"account_name": account_name}
        if endpoint and endpoint != "core.windows.net":
            options["account_host"] = f"{account_name}.blob.{endpoint}"
        spec = {"type": "fsspec", "datastore_type": "AzureBlob", "url": f"az://{container_name}",
                "container_name": container_name, "account_name": account_name,
                "protocol": protocol or "https", "endpoint": endpoint or "core.windows.net",
                "storage_options": options}
        secret = {"account_key": account_key, "sas_token": sas_token}
        return Datastore._register(workspace, datastore_name, spec,
                                   {k: v for k, v in secret.items() if v},
                                   overwrite=overwrite, validate=not skip_validation,
                                   create_if_not_exists=create_if_not_exists)

    @staticmethod
    def register_azure_data_lake_gen2(
            workspace: Workspace, datastore_name: str, filesystem: str, account_name: str,
            tenant_id: str | None = None, client_id: str | None = None,
            client_secret: str | None = None, resource_url: str | None = None,
            authority_url: str | None = None, protocol: str | None = None,
            endpoint: str | None = None, overwrite: bool = False,
            subscription_id: str | None = None, resource_group: str | None = None,
            grant_workspace_access: bool = False) -> Any:
        """An ADLS Gen2 file system through ``adlfs`` (``abfs://``), when it is installed."""
        options = {k: v for k, v in (("account_name", account_name), ("tenant_id", tenant_id),
                                     ("client_id", client_id)) if v}
        spec = {"type": "fsspec", "datastore_type": "AzureDataLakeGen2",
                "url": f"abfs://{filesystem}", "container_name": filesystem,
                "account_name": account_name, "tenant_id": tenant_id, "client_id": client_id,
                "protocol": protocol or "https", "endpoint": endpoint or "core.windows.net",
                "storage_options": options}
        secret = {"client_secret": client_secret} if client_secret else {}
        return Datastore._register(workspace, datastore_name, spec, secret,
                                   overwrite=overwrite, validate=False)

    @staticmethod
    def register_azure_file_share(
            workspace: Workspace, datastore_name: str, file_share_name: str, account_name: str,
            sas_token: str | None = None, account_key: str | None = None,
            protocol: str | None = None, endpoint: str | None = None, overwrite: bool = False,
            create_if_not_exists: bool = False, skip_validation: bool = False) -> Any:
        """Recorded so v1 code runs; reading it fails with a clear error (no fsspec file
        system serves Azure file shares)."""
        spec = {"type": "fsspec", "datastore_type": "AzureFile",
                "url": f"azurefile://{file_share_name}", "container_name": file_share_name,
                "account_name": account_name, "protocol": protocol or "https",
                "endpoint": endpoint or "core.windows.net",
                "unsupported": "Azure file shares cannot be read here (no fsspec file system "
                               "serves them); copy the files to a blob container, an S3 bucket "
                               "or a local folder datastore"}
        secret = {"account_key": account_key, "sas_token": sas_token}
        return Datastore._register(workspace, datastore_name, spec,
                                   {k: v for k, v in secret.items() if v},
                                   overwrite=overwrite, validate=False)


def _validate(spec: dict[str, Any], secret: dict[str, str], create: bool) -> None:
    """Open the new datastore and check its root exists (created when asked)."""
    try:
        dfs = open_datastore_fs(spec, secret, "")
        # In an object store a prefix exists only through its objects: check the bucket.
        where = dfs.root if dfs.local else dfs.root.split("/", 1)[0]
        if not where or dfs.fs.exists(where):
            return
        if create:
            dfs.fs.makedirs(where, exist_ok=True)
            return
    except StoreError as exc:
        raise UserErrorException(str(exc)) from exc
    except Exception as exc:
        text = str(exc)
        for value in secret.values():  # a credential is never part of a message
            text = text.replace(value, "***") if value else text
        raise UserErrorException(
            f"Cannot reach datastore {spec['name']!r} at {spec.get('url')!r}: "
            f"{type(exc).__name__}: {text}. Check the location and credentials, or pass "
            "skip_validation=True") from None
    raise UserErrorException(
        f"Datastore {spec['name']!r}: {spec.get('url')!r} does not exist; pass "
        "create_if_not_exists=True to create it")


__all__ = ["Datastore"]
