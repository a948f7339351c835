"""``AbstractDataset``: what Tabular and File datasets share (``azureml.data.abstract_dataset``):
definition and manifest, registration and versions, tags, consumption by runs.

A dataset object is a definition (sources, format, transforms; JSON), the manifest of the
files it resolved to, and, once registered, its asset record. Transforms (``take``,
``keep_columns``...) make new unregistered datasets over the same manifest: they never list
the files again, so a registered version's derived datasets read the version's data.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.base import AssetRecord, ConflictError, NotFoundError, StoreError
from ..store.data import manifest as manifests
from ..store.data import registry
from ..store.data.locations import DatastoreFS
from ._sources import open_source

if TYPE_CHECKING:
    from ..core.workspace import Workspace
    from .dataset_consumption_config import DatasetConsumptionConfig


def user_error(exc: Exception) -> UserErrorException:
    return exc if isinstance(exc, UserErrorException) else UserErrorException(str(exc))


def _tags(tags: Any) -> dict[str, str | None]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise UserErrorException(f"tags must be a dict, got {type(tags).__name__}")
    return {str(k): None if v is None else str(v) for k, v in tags.items()}


class AbstractDataset:
    """Base class of TabularDataset and FileDataset; made by the factories."""

    _type = ""

    def __init__(self) -> None:
        raise UserErrorException("Create datasets with Dataset.Tabular.from_* or "
                                 "Dataset.File.from_files, or get one with "
                                 "Dataset.get_by_name(workspace, name)")

    # ---- construction
    @classmethod
    def _create(cls, workspace: Workspace | None, definition: dict[str, Any], *,
                manifest: manifests.Manifest | None = None,
                manifest_ref: dict[str, Any] | None = None, schema: Any = None,
                record: AssetRecord | None = None) -> Any:
        self = cls.__new__(cls)
        self._workspace = workspace
        self._definition = definition
        self._manifest = manifest
        self._manifest_ref = manifest_ref
        self._schema = schema  # {"columns": [[name, type]], "arrow": base64} for tabular
        self._record = record
        self._fs_cache: dict[int, DatastoreFS] = {}
        return self

    @classmethod
    def _from_record(cls, workspace: Workspace, record: AssetRecord) -> Any:
        from .file_dataset import FileDataset
        from .tabular_dataset import TabularDataset

        spec = record.spec
        kind = TabularDataset if spec.get("type") == "tabular" else FileDataset
        return kind._create(workspace, spec["definition"], manifest_ref=spec["manifest"],
                            schema=spec.get("schema"), record=record)

    def _derive(self, step: dict[str, Any]) -> Any:
        definition = {**self._definition,
                      "transforms": [*self._definition.get("transforms", []), step]}
        return type(self)._create(self._workspace, definition, manifest=self._manifest,
                                  manifest_ref=self._manifest_ref, schema=self._schema)

    # ---- files
    def _manifest_loaded(self) -> manifests.Manifest:
        if self._manifest is None:
            try:
                if self._manifest_ref is not None:
                    assert self._workspace is not None
                    self._manifest = manifests.load(self._workspace._store, self._manifest_ref)
                else:
                    self._manifest = manifests.resolve(
                        self._definition["sources"],
                        lambda source: open_source(source, self._workspace))
            except StoreError as exc:
                raise user_error(exc) from exc
        return self._manifest

    def _fs_of_source(self, index: int) -> DatastoreFS:
        found = self._fs_cache.get(index)
        if found is None:
            source = self._manifest_loaded().sources[index]
            found = self._fs_cache[index] = open_source(source, self._workspace)[0]
        return found

    def _verify(self, entries: list[Any] | None = None) -> None:
        manifests.verify(self._manifest_loaded(), self._fs_of_source, self._label(), entries)
        if self._record is not None:
            from ._lineage import record_read

            record_read(self)

    def _label(self) -> str:
        if self._record is not None:
            return f"Dataset {self._record.name!r} version {self._record.version}"
        return "This dataset"

    # ---- identity (v1 attributes)
    @property
    def id(self) -> str | None:
        return None if self._record is None else self._record.spec.get("id")

    @property
    def name(self) -> str | None:
        return None if self._record is None else self._record.name

    @property
    def version(self) -> int | None:
        return None if self._record is None else self._record.version

    @property
    def description(self) -> str | None:
        return None if self._record is None else self._record.description

    @property
    def tags(self) -> dict[str, str | None]:
        return {} if self._record is None else dict(self._record.tags)

    @property
    def data_changed_time(self) -> Any:
        import datetime

        stamp = self._manifest_loaded().data_changed_time()
        return None if stamp is None else datetime.datetime.fromtimestamp(
            stamp, tz=datetime.timezone.utc)

    @property
    def _registered_workspace(self) -> Workspace:
        if self._record is None or self._workspace is None:
            raise UserErrorException("The dataset is not registered: call "
                                     "register(workspace, name) first")
        return self._workspace

    # ---- registration
    def _spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self._type, "definition": self._definition}
        if self._schema is not None:
            spec["schema"] = self._schema
        return spec

    def register(self, workspace: Workspace, name: str, description: str | None = None,
                 tags: dict[str, Any] | None = None, create_new_version: bool = False) -> Any:
        """Register this definition and the files it resolved to as a version of ``name``.

        The same name with another definition (or the same definition over changed files)
        and ``create_new_version=False`` raises, and nothing is written."""
        from ..core.workspace import Workspace

        if not isinstance(workspace, Workspace):
            raise UserErrorException("register needs the Workspace to register in")
        if self._workspace is not None and self._workspace != workspace:
            raise UserErrorException("A dataset over datastores registers in their workspace")
        try:
            registry.check_dataset_name(name)
            manifest = self._manifest_loaded()
            self._workspace = workspace
            ref = self._manifest_ref or workspace._call_store(
                manifests.save, workspace._store, workspace._record.id, manifest)
            spec = {**self._spec(), "manifest": ref,
                    "data_changed_time": manifest.data_changed_time()}
            record = workspace._call_store(
                registry.register_dataset, workspace._store, workspace._record.id, name, spec,
                create_new_version=create_new_version, description=description or "",
                tags=_tags(tags))
        except ConflictError as exc:
            raise UserErrorException(str(exc)) from exc
        except StoreError as exc:
            raise user_error(exc) from exc
        return type(self)._from_record(workspace, record)

    def _save_for_run(self, workspace: Workspace) -> AssetRecord:
        """The asset a run's lineage names: the registration, or a saved copy."""
        if self._record is not None:
            return self._record
        manifest = self._manifest_loaded()
        self._workspace = self._workspace or workspace
        ref = self._manifest_ref or manifests.save(workspace._store, workspace._record.id,
                                                   manifest)
        self._manifest_ref = ref
        return registry.save_anonymous(workspace._store, workspace._record.id,
                                       {**self._spec(), "manifest": ref})

    def update(self, description: str | None = None, tags: dict[str, Any] | None = None
               ) -> Any:
        """Replace the description and/or merge tags of this version."""
        return self._update(tags=_tags(tags) if tags is not None else None,
                            description=description)

    def add_tags(self, tags: dict[str, Any] | None = None) -> Any:
        return self._update(tags=_tags(tags))

    def remove_tags(self, tags: list[str] | None = None) -> Any:
        return self._update(remove_tags=[str(t) for t in (tags or [])])

    def _update(self, **changes: Any) -> Any:
        ws = self._registered_workspace
        assert self._record is not None
        self._record = ws._call_store(ws._store.update_asset, ws._record.id,
                                      registry.DATASET_KIND, self._record.name,
                                      self._record.version, **changes)
        return self

    def unregister_all_versions(self) -> None:
        """Remove every version of this dataset's name (the files stay)."""
        ws = self._registered_workspace
        assert self._record is not None
        ws._call_store(ws._store.delete_asset, ws._record.id, registry.DATASET_KIND,
                       self._record.name)

    # ---- lookups (v1 has them here as well as on Dataset)
    @staticmethod
    def get_by_name(workspace: Workspace, name: str, version: Any = "latest",
                    **kwargs: Any) -> Any:
        number = None if version in (None, "latest") else _version(version)
        try:
            record = workspace._call_store(workspace._store.get_asset, workspace._record.id,
                                           registry.DATASET_KIND, name, number)
        except NotFoundError as exc:
            raise UserErrorException(str(exc).replace("Dataset", "Dataset", 1)) from exc
        except StoreError as exc:
            raise user_error(exc) from exc
        return AbstractDataset._from_record(workspace, record)

    @staticmethod
    def get_by_id(workspace: Workspace, id: str, **kwargs: Any) -> Any:
        try:
            record = workspace._call_store(registry.find_dataset_by_id, workspace._store,
                                           workspace._record.id, id)
        except StoreError as exc:
            raise user_error(exc) from exc
        return AbstractDataset._from_record(workspace, record)

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, Any]:
        records = workspace._call_store(workspace._store.list_assets, workspace._record.id,
                                        registry.DATASET_KIND)
        return {r.name: AbstractDataset._from_record(workspace, r) for r in records}

    # ---- runs
    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        from .dataset_consumption_config import DatasetConsumptionConfig

        return DatasetConsumptionConfig(name, self)

    # ---- profile
    def get_profile(self, workspace: Workspace | None = None) -> dict[str, Any]:
        """The version's profile, computed once and stored (or computed now for an
        unregistered dataset)."""
        from ._profile import stored_or_computed

        return stored_or_computed(self)

    # ---- display
    def _source_text(self) -> list[str]:
        return [f"('{s['datastore']}', '{s.get('path', '')}')" if "datastore" in s else s["url"]
                for s in self._definition.get("sources", [])]

    def __repr__(self) -> str:
        info: dict[str, Any] = {"source": self._source_text(),
                                "definition": [s["op"] for s in
                                               self._definition.get("transforms", [])]}
        if self._record is not None:
            info["registration"] = {"id": self.id, "name": self.name, "version": self.version,
                                    "description": self.description, "tags": self.tags,
                                    "workspace": repr(self._workspace)}
        return f"{type(self).__name__}\n{json.dumps(info, indent=2)}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AbstractDataset):
            return NotImplemented
        if self._record is not None and other._record is not None:
            return self.id == other.id
        return self is other

    def __hash__(self) -> int:
        return hash(self.id) if self._record is not None else id(self)


def _version(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or isinstance(value, bool):
        raise UserErrorException(f"version must be 'latest' or a positive integer, got "
                                 f"{value!r}")
    return number


__all__ = ["AbstractDataset"]
