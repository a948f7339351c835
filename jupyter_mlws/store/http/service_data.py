"""The collected-data rows of the HTTP store (``api/services.py``: ``getCollectedData``,
``registerCollectedData``): the server exports and registers, the client only asks."""

from __future__ import annotations

from typing import Any

from .endpoint import Endpoint


class ServiceDataMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    def collected_data_summary(self, workspace_id: str, service_name: str) -> dict[str, Any]:
        return self._call_endpoint("getCollectedData", {  # type: ignore[no-any-return]
            "workspace_id": workspace_id, "service_name": service_name})

    def register_collected_data(self, workspace_id: str, service_name: str, designation: str,
                                dataset_name: str | None = None) -> dict[str, Any]:
        return self._call_endpoint("registerCollectedData", {  # type: ignore[no-any-return]
            "workspace_id": workspace_id, "service_name": service_name,
            "designation": designation}, {"dataset_name": dataset_name})


__all__ = ["ServiceDataMixin"]
