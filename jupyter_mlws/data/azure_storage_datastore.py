"""``AzureBlobDatastore`` and ``AzureFileDatastore`` (``azureml.data.azure_storage_datastore``).

The workspace's built-in ``workspaceblobstore`` / ``workspacefilestore`` are of these types and
live in the workspace's storage. A registered Azure Blob container is reached through ``adlfs``
(when installed); Azure file shares have no fsspec file system, so one can be registered (v1
code runs) but not read.
"""

from __future__ import annotations

from typing import Any

from .abstract_datastore import AbstractDatastore


class AzureBlobDatastore(AbstractDatastore):
    _shown = ("name", "container_name", "account_name", "protocol", "endpoint")

    def __init__(self, workspace: Any, name: str, spec: dict[str, Any] | None = None) -> None:
        super().__init__(workspace, name, "AzureBlob", spec)
        spec = spec or {}
        self.container_name = spec.get("container_name")
        self.account_name = spec.get("account_name")
        self.protocol = spec.get("protocol")
        self.endpoint = spec.get("endpoint")
        # v1 exposes the credentials as attributes; here they stay in the store's secret
        # storage, never on the object (so never in a repr, a log or a pickle).
        self.account_key = None
        self.sas_token = None
        self.credential_type = spec.get("credential_type", "None")


class AzureFileDatastore(AzureBlobDatastore):
    def __init__(self, workspace: Any, name: str, spec: dict[str, Any] | None = None) -> None:
        super().__init__(workspace, name, spec)
        self.datastore_type = "AzureFile"


__all__ = ["AzureBlobDatastore", "AzureFileDatastore"]
