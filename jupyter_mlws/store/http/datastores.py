"""Asset updates, datastore secrets (write-only) and datastore files over REST."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..base import AssetRecord, InvalidInputError
from ..data.locations import DatastoreFS
from ..data.registry import check_datastore_name
from .codec import record
from .rest_fs import DatastoreRestFileSystem
from .transport import Transport, seg


class DatastoreMixin:
    http: Transport

    def _ws_path(self, workspace_id: str) -> str: ...  # pragma: no cover

    def update_asset(self, workspace_id: str, kind: str, name: str, version: int, *,
                     tags: dict[str, str | None] | None = None,
                     remove_tags: Iterable[str] | None = None,
                     description: str | None = None) -> AssetRecord:
        body: dict[str, Any] = {"remove_tags": list(remove_tags or [])}
        if tags is not None:
            body["tags"] = tags
        if description is not None:
            body["description"] = description
        return record(AssetRecord, self.http.json(
            "PATCH", f"{self._ws_path(workspace_id)}/assets/{seg(kind)}/{seg(name)}",
            body, params={"version": int(version)}))

    def _datastore_path(self, workspace_id: str, name: str) -> str:
        check_datastore_name(name)
        return f"{self._ws_path(workspace_id)}/datastores/{seg(name)}"

    def put_datastore_secret(self, workspace_id: str, name: str,
                             secret: dict[str, str]) -> None:
        self.http.json("PUT", f"{self._datastore_path(workspace_id, name)}/secret",
                       {"secret": secret})

    def get_datastore_secret(self, workspace_id: str, name: str) -> dict[str, str]:
        raise InvalidInputError("Datastore credentials are never sent over REST: the server "
                                "reads the datastore for this client")

    def delete_datastore_secret(self, workspace_id: str, name: str) -> None:
        self.http.json("DELETE", f"{self._datastore_path(workspace_id, name)}/secret")

    def datastore_filesystem(self, workspace_id: str, name: str) -> DatastoreFS:
        base = self._datastore_path(workspace_id, name)
        # One lookup so an unknown datastore fails here, like the SQL store's.
        self.http.json("GET", f"{base}/files/info", params={"path": ""})
        return DatastoreFS(DatastoreRestFileSystem(self.http, base), "", False, name)
