"""The deployed services' collected data part of the store interface.

Making a dataset version of a service's collected data is the SDK's work
(``core/webservice/collected_data.py``: it registers datasets, which the store layer below it
cannot). A store that talks to a server (``HttpStore``) has the server do it in one call, so no
collected file travels to the client and back; every other store answers None and the SDK
does it itself over the store's primitives.
"""

from __future__ import annotations

from typing import Any


class ServiceDataApi:
    """Mixed into :class:`~jupyter_mlws.store.base.Store`."""

    def collected_data_summary(self, workspace_id: str,
                               service_name: str) -> dict[str, Any] | None:
        """The server's ``api.services.CollectedData`` of the service; None: not a server's
        client (the caller computes it)."""
        return None

    def register_collected_data(self, workspace_id: str, service_name: str, designation: str,
                                dataset_name: str | None = None) -> dict[str, Any] | None:
        """The server's ``api.services.CollectedVersion`` (the dataset version made or found);
        None: not a server's client (the caller registers it)."""
        return None


__all__ = ["ServiceDataApi"]
