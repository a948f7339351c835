"""Datastores that v1 does not have: a local folder (``LocalDatastore``) and any fsspec URL,
S3-compatible object stores included (``FsspecDatastore``). Registered with
``Datastore.register_local_folder``, ``Datastore.register_fsspec`` and ``Datastore.register_s3``.
"""

from __future__ import annotations

from typing import Any

from .abstract_datastore import AbstractDatastore


class LocalDatastore(AbstractDatastore):
    _shown = ("name", "datastore_type", "path")

    def __init__(self, workspace: Any, name: str, spec: dict[str, Any] | None = None) -> None:
        super().__init__(workspace, name, "Local", spec)
        self.path = (spec or {}).get("url")


class FsspecDatastore(AbstractDatastore):
    _shown = ("name", "datastore_type", "url", "endpoint")

    def __init__(self, workspace: Any, name: str, spec: dict[str, Any] | None = None) -> None:
        spec = spec or {}
        super().__init__(workspace, name, spec.get("datastore_type", "Fsspec"), spec)
        self.url = spec.get("url")
        self.protocol = spec.get("protocol")
        self.endpoint = spec.get("endpoint")
        self.container_name = spec.get("container_name")


__all__ = ["FsspecDatastore", "LocalDatastore"]
