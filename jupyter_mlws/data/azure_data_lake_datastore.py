"""``AzureDataLakeGen2Datastore`` (``azureml.data.azure_data_lake_datastore``), reached through
``adlfs`` (``abfs://``) when it is installed."""

from __future__ import annotations

from typing import Any

from .abstract_datastore import AbstractDatastore


class AzureDataLakeGen2Datastore(AbstractDatastore):
    _shown = ("name", "container_name", "account_name", "protocol", "endpoint")

    def __init__(self, workspace: Any, name: str, spec: dict[str, Any] | None = None) -> None:
        super().__init__(workspace, name, "AzureDataLakeGen2", spec)
        spec = spec or {}
        self.container_name = spec.get("container_name")
        self.filesystem = spec.get("container_name")
        self.account_name = spec.get("account_name")
        self.protocol = spec.get("protocol")
        self.endpoint = spec.get("endpoint")
        self.tenant_id = spec.get("tenant_id")
        self.client_id = spec.get("client_id")
        self.client_secret = None  # kept in the store's secret storage only


__all__ = ["AzureDataLakeGen2Datastore"]
