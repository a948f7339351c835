"""Services in the asset registry: kind ``service``, one unversioned asset per name. Its
``spec`` is fixed at creation (``computeType``, who created it); its ``state`` holds the
deployment (models, entry script, settings, generation), where the daemon runs, and the state
the daemon reports (``state``, ``error``, ``operation``, replicas)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...store.base import AssetRecord, NotFoundError

if TYPE_CHECKING:
    from ..workspace import Workspace

ASSET_KIND = "service"


def get_record(workspace: Workspace, name: str) -> AssetRecord | None:
    try:
        return workspace._call_store(workspace._store.get_asset, workspace._record.id,
                                     ASSET_KIND, name)
    except NotFoundError:
        return None


def list_records(workspace: Workspace) -> list[AssetRecord]:
    return workspace._call_store(workspace._store.list_assets, workspace._record.id,
                                 ASSET_KIND)


def model_ids(record: AssetRecord) -> list[str]:
    deployment = record.state.get("deployment") or {}
    return [f"{m['name']}:{m['version']}" for m in deployment.get("models", [])]


def services_using(workspace: Workspace, model_id: str) -> list[str]:
    """Names of the services whose deployment includes ``model_id`` (``name:version``)."""
    return [r.name for r in list_records(workspace) if model_id in model_ids(r)]


def services_on(workspace: Workspace, compute_name: str) -> list[AssetRecord]:
    return [r for r in list_records(workspace)
            if (r.state.get("deployment") or {}).get("computeTarget") == compute_name]


def set_state(workspace: Workspace, name: str, **state: Any) -> AssetRecord:
    return workspace._store.update_asset_state(workspace._record.id, ASSET_KIND, name, 1,
                                               state)


__all__ = ["ASSET_KIND", "get_record", "list_records", "model_ids", "services_on",
           "services_using", "set_state"]
