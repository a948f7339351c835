"""The assets of the HTTP store, each method the operation of the same name in the table
(``jupyter_mlws.api``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..base import AssetRecord
from ..codec import record
from .endpoint import Endpoint, records


class AssetMixin(Endpoint):
    """Mixed into :class:`~jupyter_mlws.store.http.store.HttpStore`."""

    # ---- assets
    def register_asset(self, workspace_id: str, kind: str, name: str, spec: dict[str, Any], *,
                       new_version: bool = True, tags: dict[str, str | None] | None = None,
                       description: str = "",
                       state: dict[str, Any] | None = None) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "registerAsset", {"workspace_id": workspace_id, "kind": kind},
            {"name": name, "spec": spec, "new_version": new_version, "tags": tags or {},
             "description": description, "state": state or {}}))

    def get_asset(self, workspace_id: str, kind: str, name: str,
                  version: int | None = None) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "getAsset", {"workspace_id": workspace_id, "kind": kind, "name": name},
            query={"version": version}))

    def list_assets(self, workspace_id: str, kind: str, name: str | None = None,
                    latest_only: bool = True) -> list[AssetRecord]:
        return records(AssetRecord, self._call_endpoint(
            "listAssets", {"workspace_id": workspace_id, "kind": kind},
            query={"name": name, "latest_only": latest_only})["assets"])

    def update_asset_state(self, workspace_id: str, kind: str, name: str, version: int,
                           state: dict[str, Any], *, merge: bool = True) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "updateAssetState", {"workspace_id": workspace_id, "kind": kind, "name": name,
                                 "version": int(version)}, {"state": state, "merge": merge}))

    def delete_asset(self, workspace_id: str, kind: str, name: str,
                     version: int | None = None) -> None:
        self._call_endpoint("deleteAsset", {"workspace_id": workspace_id, "kind": kind,
                                            "name": name}, query={"version": version})

    def update_asset(self, workspace_id: str, kind: str, name: str, version: int, *,
                     tags: dict[str, str | None] | None = None,
                     remove_tags: Iterable[str] | None = None,
                     description: str | None = None) -> AssetRecord:
        return record(AssetRecord, self._call_endpoint(
            "updateAsset", {"workspace_id": workspace_id, "kind": kind, "name": name,
                            "version": int(version)},
            {"tags": tags, "remove_tags": list(remove_tags or []), "description": description}))
