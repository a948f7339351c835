"""What changes on a registered model version after registration: v1's tags, properties,
description and sample datasets (the version's mutable ``state``), aliases, and deleting it.
Mixed into :class:`jupyter_mlws.core.model.Model`; every change is a registry event
(:mod:`.model_history`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..exceptions import WebserviceException
from ..store.base import AssetRecord, NotFoundError
from . import model_history
from .model_errors import ModelInUseError, ModelNotFoundError
from .model_registration import ASSET_KIND, dataset_ref, string_values
from .webservice.registry import services_using

if TYPE_CHECKING:
    from .workspace import Workspace


class ModelChangesMixin:
    """Changes of one model version (``Model`` provides the attributes named here)."""

    workspace: Workspace
    _record: AssetRecord
    name: str
    version: int
    id: str
    tags: dict[str, str]
    properties: dict[str, str]
    aliases: list[str]
    refresh: Callable[[], None]

    def _set_state(self, action: str, **changes: Any) -> None:
        self._record = self.workspace._call_store(
            self.workspace._store.update_asset_state, self._record.workspace_id, ASSET_KIND,
            self.name, self.version, changes)
        model_history.record_event(self.workspace, self.name, action, version=self.version,
                                   changed=sorted(changes))

    def update(self, tags: dict[str, Any] | None = None, description: str | None = None,
               sample_input_dataset: Any = None, sample_output_dataset: Any = None,
               resource_configuration: Any = None) -> None:
        """Replace the tags and/or description, set sample datasets."""
        changes: dict[str, Any] = {}
        if tags is not None:
            changes["tags"] = string_values("tags", tags)
        if description is not None:
            if not isinstance(description, str):
                raise WebserviceException("description must be a string")
            changes["description"] = description
        if sample_input_dataset is not None:
            changes["sampleInputDataset"] = dataset_ref(sample_input_dataset)
        if sample_output_dataset is not None:
            changes["sampleOutputDataset"] = dataset_ref(sample_output_dataset)
        if resource_configuration is not None:
            raise WebserviceException("resource_configuration is fixed at registration here")
        if changes:
            self._set_state("update", **changes)

    def add_tags(self, tags: dict[str, Any]) -> None:
        self.refresh()
        self._set_state("update", tags={**self.tags, **string_values("tags", tags)})

    def remove_tags(self, tags: list[str]) -> None:
        if isinstance(tags, str):
            tags = [tags]
        self.refresh()
        self._set_state("update", tags={k: v for k, v in self.tags.items() if k not in tags})

    def add_properties(self, properties: dict[str, Any]) -> None:
        """Properties are add-only, as in v1: a different value for a key is an error."""
        self.refresh()
        new = string_values("properties", properties)
        clash = {k for k, v in new.items() if k in self.properties and self.properties[k] != v}
        if clash:
            raise WebserviceException(f"Model properties cannot be changed once set: "
                                      f"{', '.join(sorted(clash))}")
        self._set_state("update", properties={**self.properties, **new})

    def set_alias(self, alias: str) -> None:
        """Beyond v1: point ``alias`` (e.g. ``production``) at this version."""
        model_history.set_alias(self.workspace, self.name, alias, self.version)

    def remove_alias(self, alias: str) -> None:
        model_history.validate_alias(alias)
        if alias not in self.aliases:
            raise ModelNotFoundError(f"Alias {alias!r} does not point at model {self.id}")
        model_history.remove_aliases(self.workspace, self.name, [alias])

    def delete(self) -> None:
        """Delete this version. A version a service uses cannot be deleted (the error names
        the services); aliases pointing at it are removed."""

        users = services_using(self.workspace, self.id)
        if users:
            raise ModelInUseError(
                f"Model {self.id} is used by service(s) {', '.join(users)}; delete or update "
                "them first")
        model_history.remove_aliases(self.workspace, self.name, self.aliases)
        try:
            self.workspace._call_store(self.workspace._store.delete_asset,
                                       self._record.workspace_id, ASSET_KIND, self.name,
                                       self.version)
        except NotFoundError as exc:
            raise ModelNotFoundError(f"ModelNotFound: model {self.id} was already "
                                     "deleted") from exc
        model_history.record_event(self.workspace, self.name, "delete", version=self.version)


__all__ = ["ModelChangesMixin"]
