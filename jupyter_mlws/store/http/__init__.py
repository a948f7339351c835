"""The HTTP implementation of the store: every Store method as a call to the jupyter_mlws
server extension's REST API (the same mapping the server does, in reverse)."""

from __future__ import annotations

from ..base import Store
from ..settings import StoreSettings
from .access import AccessMixin
from .data import DataMixin
from .metadata import MetadataMixin
from .transport import Transport


class HttpStore(MetadataMixin, DataMixin, AccessMixin, Store):
    """A Store whose data lives behind ``settings.tracking_uri``; ``settings.token`` goes in
    the Authorization header of every request and nowhere else."""

    def __init__(self, settings: StoreSettings) -> None:
        if not settings.tracking_uri:
            raise ValueError("HttpStore needs settings.tracking_uri")
        super().__init__()
        self.settings = settings
        self.http = Transport(settings.tracking_uri, settings.token)

    def __repr__(self) -> str:
        return f"HttpStore({self.http.base!r})"

    def close(self) -> None:
        self.http.close()


__all__ = ["HttpStore"]
