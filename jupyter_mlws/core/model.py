"""``Model`` and ``InferenceConfig``, at v1's import path ``azureml.core.model`` (section 7).

A registered model is a versioned asset of kind ``model``: integer versions per name from 1,
its files stored as a workspace snapshot (:mod:`.model_files`). What v1 lets change after
registration (tags, properties, description, sample datasets) lives in the version's mutable
``state``; the rest is its immutable ``spec``. Beyond v1: aliases and the registry's history
(:mod:`.model_history`); ``Model.deploy`` is in :mod:`.webservice`.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..exceptions import ModelNotFoundException, UserErrorException, WebserviceException
from ..store.base import AssetRecord, NotFoundError
from . import model_history
from .identity import current_identity
from .inference_config import InferenceConfig
from .names import validate_model_name

if TYPE_CHECKING:
    from .run import Run
    from .webservice import Webservice
    from .workspace import Workspace

ASSET_KIND = "model"
MODELS_FOLDER = "azureml-models"  # v1's layout inside a service: <folder>/<name>/<version>/


class ModelNotFoundError(ModelNotFoundException, UserErrorException):
    """The model (or the version, or the alias) does not exist."""

    status_code = 404


class ModelInUseError(WebserviceException):
    """A model version a service deploys cannot be deleted (HTTP 409 through the server)."""

    status_code = 409


class Framework:
    """``Model.Framework``: the framework names v1 records."""

    CUSTOM = "Custom"
    TENSORFLOW = "TensorFlow"
    SCIKITLEARN = "ScikitLearn"
    ONNX = "Onnx"
    TFKERAS = "TfKeras"
    PYTORCH = "PyTorch"
    MULTI = "Multi"


def _strings(what: str, values: dict[str, Any] | None) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise WebserviceException(f"{what} must be a dict, got {type(values).__name__}")
    return {str(k): "" if v is None else str(v) for k, v in values.items()}


def _dataset_ref(value: Any) -> dict[str, Any] | None:
    """A dataset (an object with an id/name/version, or an id string) as stored lineage."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"id": value}
    ref = {k: getattr(value, k, None) for k in ("id", "name", "version")}
    if not any(ref.values()):
        raise WebserviceException(f"Not a dataset: {value!r}")
    return {k: v if v is None or isinstance(v, (int, str)) else str(v) for k, v in ref.items()}


def _datasets(datasets: Any) -> list[dict[str, Any]]:
    """v1's ``datasets=[("training", dataset), ...]``."""
    found = []
    for item in datasets or []:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise WebserviceException("datasets must be a list of (scenario, dataset) pairs, "
                                      f"got {item!r}")
        ref = _dataset_ref(item[1])
        found.append({"scenario": str(item[0]), **(ref or {})})
    return found


def _filter_pairs(what: str, filters: Any) -> list[tuple[str, str | None]]:
    """v1's list-shaped filters: ``['key', ['key2', 'value']]``."""
    if filters is None:
        return []
    if not isinstance(filters, list):
        raise WebserviceException(f"{what} must be a list like ['key', ['key2', 'value']]")
    pairs: list[tuple[str, str | None]] = []
    for item in filters:
        if isinstance(item, str):
            pairs.append((item, None))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1])))
        else:
            raise WebserviceException(f"Bad {what} filter {item!r}: use 'key' or [key, value]")
    return pairs


def _matches(values: dict[str, str], pairs: list[tuple[str, str | None]]) -> bool:
    return all(k in values and (v is None or values[k] == v) for k, v in pairs)


class Model:
    """A registered model version: ``Model(ws, name)`` loads the latest, ``version=`` one."""

    Framework = Framework

    def __init__(self, workspace: Workspace, name: str | None = None, id: str | None = None,
                 tags: list[Any] | None = None, properties: list[Any] | None = None,
                 version: int | None = None, run_id: str | None = None,
                 model_framework: str | None = None, expand: bool = True,
                 alias: str | None = None, **kwargs: Any) -> None:
        if id is not None:
            if ":" not in id:
                raise WebserviceException(f"A model id is '<name>:<version>', got {id!r}")
            name, _, number = id.rpartition(":")
            version = int(number) if number.isdigit() else None
        if not name:
            raise WebserviceException("Model(workspace, name=...) needs a name or an id")
        if alias is not None:
            if version is not None:
                raise WebserviceException("Give a version or an alias, not both")
            found = model_history.aliases_of(workspace, name).get(alias)
            if found is None:
                raise ModelNotFoundError(f"ModelNotFound: model {name!r} has no alias "
                                         f"{alias!r} in workspace {workspace.name!r}")
            version = found
        if tags or properties or run_id or model_framework:
            matches = Model.list(workspace, name=name, tags=tags, properties=properties,
                                 run_id=run_id, model_framework=model_framework)
            matches = [m for m in matches if version is None or m.version == int(version)]
            if not matches:
                raise ModelNotFoundError(f"ModelNotFound: no version of model {name!r} "
                                         "matches the given filters")
            self._init(workspace, matches[0]._record)
            return
        self._init(workspace, Model._get_record(workspace, name, version))

    def _init(self, workspace: Workspace, record: AssetRecord) -> None:
        self.workspace = workspace
        self._record = record

    @classmethod
    def _from_record(cls, workspace: Workspace, record: AssetRecord) -> Model:
        model = cls.__new__(cls)
        model._init(workspace, record)
        return model

    @staticmethod
    def _get_record(workspace: Workspace, name: str, version: Any = None) -> AssetRecord:
        if version is not None and (isinstance(version, bool) or not str(version).isdigit()):
            raise WebserviceException(f"A model version is a positive integer, got {version!r}")
        try:
            return workspace._call_store(workspace._store.get_asset, workspace._record.id,
                                         ASSET_KIND, name,
                                         None if version is None else int(version))
        except NotFoundError as exc:
            which = f" version {version}" if version is not None else ""
            raise ModelNotFoundError(f"ModelNotFound: model {name!r}{which} was not found in "
                                     f"workspace {workspace.name!r}") from exc

    # ------------------------------------------------------------------ registration
    @staticmethod
    def register(workspace: Workspace, model_path: str | os.PathLike, model_name: str,
                 tags: dict[str, Any] | None = None, properties: dict[str, Any] | None = None,
                 description: str | None = None, datasets: Any = None,
                 model_framework: str | None = None, model_framework_version: str | None = None,
                 child_paths: list[str] | None = None, sample_input_dataset: Any = None,
                 sample_output_dataset: Any = None, resource_configuration: Any = None,
                 **kwargs: Any) -> Model:
        """Upload a local file or folder (only ``child_paths`` of it, when given) as the next
        version of ``model_name``."""
        from .model_files import local_model_files

        validate_model_name(model_name)
        root, files = local_model_files(model_path, child_paths)
        print(f"Registering model {model_name}")
        return Model._register(workspace, model_name, root, files, tags=tags,
                               properties=properties, description=description,
                               datasets=datasets, model_framework=model_framework,
                               model_framework_version=model_framework_version,
                               sample_input_dataset=sample_input_dataset,
                               sample_output_dataset=sample_output_dataset,
                               resource_configuration=resource_configuration)

    @staticmethod
    def _register(workspace: Workspace, name: str, root: str, files: dict[str, str], *,
                  run: Run | None = None, tags: dict[str, Any] | None = None,
                  properties: dict[str, Any] | None = None, description: str | None = None,
                  datasets: Any = None, model_framework: str | None = None,
                  model_framework_version: str | None = None,
                  sample_input_dataset: Any = None, sample_output_dataset: Any = None,
                  resource_configuration: Any = None) -> Model:
        from .model_files import store_files

        validate_model_name(name)
        if model_framework_version and not model_framework:
            raise WebserviceException("model_framework_version needs model_framework")
        if description is not None and not isinstance(description, str):
            raise WebserviceException("description must be a string")
        tag_values, prop_values = _strings("tags", tags), _strings("properties", properties)
        lineage = _datasets(datasets)
        resources = (resource_configuration.serialize()
                     if hasattr(resource_configuration, "serialize") else resource_configuration)
        stored = store_files(workspace._store, workspace._record.id, files)
        spec = {"root": root, **stored, "framework": model_framework or Framework.CUSTOM,
                "frameworkVersion": model_framework_version, "createdBy": current_identity(),
                "runId": run.id if run is not None else None,
                "experimentName": run.experiment.name if run is not None else None,
                "datasets": lineage, "resourceConfiguration": resources,
                "mimeType": "application/octet-stream", "unpack": False}
        state = {"tags": tag_values, "properties": prop_values,
                 "description": description or "",
                 "sampleInputDataset": _dataset_ref(sample_input_dataset),
                 "sampleOutputDataset": _dataset_ref(sample_output_dataset)}
        record = workspace._call_store(workspace._store.register_asset, workspace._record.id,
                                       ASSET_KIND, name, spec, tags=tag_values,
                                       description=description or "", state=state)
        model_history.record_event(workspace, name, "register", version=record.version,
                                   run_id=spec["runId"])
        return Model._from_record(workspace, record)

    # ------------------------------------------------------------------ queries
    @staticmethod
    def list(workspace: Workspace, name: str | None = None, tags: list[Any] | None = None,
             properties: list[Any] | None = None, run_id: str | None = None,
             latest: bool = False, dataset_id: str | None = None, expand: bool = True,
             page_count: int = 255, model_framework: str | None = None,
             **kwargs: Any) -> list[Model]:
        """Every matching version, newest first per name (``latest``: one per name)."""
        tag_pairs = _filter_pairs("tags", tags)
        prop_pairs = _filter_pairs("properties", properties)
        records = workspace._call_store(workspace._store.list_assets, workspace._record.id,
                                        ASSET_KIND, name=name, latest_only=False)
        found: list[Model] = []
        seen: set[str] = set()
        for record in records:  # sorted by name, then version descending
            model = Model._from_record(workspace, record)
            if run_id is not None and model.run_id != run_id:
                continue
            if model_framework is not None and model.model_framework != model_framework:
                continue
            if dataset_id is not None and not any(d.get("id") == dataset_id
                                                  for d in record.spec.get("datasets", [])):
                continue
            if not (_matches(model.tags, tag_pairs) and _matches(model.properties,
                                                                 prop_pairs)):
                continue
            if latest and model.name in seen:
                continue
            seen.add(model.name)
            found.append(model)
        return found

    @staticmethod
    def history(workspace: Workspace, name: str | None = None) -> list[dict[str, Any]]:
        """Beyond v1: the registry's events, oldest first (``action`` register | alias |
        alias_removed | update | delete, ``version``, ``actor``, ``time``, ...)."""
        return model_history.history(workspace, name)

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None,
                       _workspace: Workspace | None = None) -> str:
        """Where a model's files are: inside a service (``AZUREML_MODEL_DIR``,
        ``azureml-models/<name>/<version>``), under the current folder, or downloaded from
        the workspace (``_workspace``, or the run context's) into ``azureml-models``."""
        from .model_paths import find_model_path

        return find_model_path(model_name, version, _workspace)

    def refresh(self) -> None:
        self._record = Model._get_record(self.workspace, self.name, self.version)

    # ------------------------------------------------------------------ attributes
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def version(self) -> int:
        return self._record.version

    @property
    def id(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def url(self) -> str:
        return f"aml://asset/{self._record.workspace_id}/models/{self.id}"

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._record.state.get("tags", self._record.tags))

    @property
    def properties(self) -> dict[str, str]:
        return dict(self._record.state.get("properties", {}))

    @property
    def description(self) -> str:
        return self._record.state.get("description", self._record.description)

    @property
    def created_time(self) -> datetime:
        return datetime.fromtimestamp(self._record.created_time, timezone.utc)

    @property
    def created_by(self) -> str:
        return self._record.spec.get("createdBy") or ""

    @property
    def model_framework(self) -> str:
        return self._record.spec.get("framework") or Framework.CUSTOM

    @property
    def model_framework_version(self) -> str | None:
        return self._record.spec.get("frameworkVersion")

    @property
    def experiment_name(self) -> str | None:
        return self._record.spec.get("experimentName")

    @property
    def run_id(self) -> str | None:
        return self._record.spec.get("runId")

    @property
    def run(self) -> Run | None:
        if not self.run_id:
            return None
        return self.workspace.get_run(self.run_id)

    @property
    def datasets(self) -> dict[str, list[dict[str, Any]]]:
        """``{scenario: [dataset refs]}`` as v1 groups them."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for entry in self._record.spec.get("datasets", []):
            ref = {k: v for k, v in entry.items() if k != "scenario"}
            grouped.setdefault(entry.get("scenario", ""), []).append(ref)
        return grouped

    @property
    def sample_input_dataset(self) -> dict[str, Any] | None:
        return self._record.state.get("sampleInputDataset")

    @property
    def sample_output_dataset(self) -> dict[str, Any] | None:
        return self._record.state.get("sampleOutputDataset")

    @property
    def resource_configuration(self) -> Any:
        return self._record.spec.get("resourceConfiguration")

    @property
    def mime_type(self) -> str:
        return self._record.spec.get("mimeType", "application/octet-stream")

    @property
    def unpack(self) -> bool:
        return bool(self._record.spec.get("unpack", False))

    @property
    def aliases(self) -> list[str]:
        """Beyond v1: the aliases pointing at this version."""
        return sorted(a for a, v in model_history.aliases_of(self.workspace, self.name).items()
                      if v == self.version)

    @property
    def files(self) -> dict[str, int | None]:
        """Beyond v1: ``{path: size}`` of the stored files (paths start with the root)."""
        return dict(self._record.spec.get("files", {}))

    # ------------------------------------------------------------------ changes
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
            changes["tags"] = _strings("tags", tags)
        if description is not None:
            if not isinstance(description, str):
                raise WebserviceException("description must be a string")
            changes["description"] = description
        if sample_input_dataset is not None:
            changes["sampleInputDataset"] = _dataset_ref(sample_input_dataset)
        if sample_output_dataset is not None:
            changes["sampleOutputDataset"] = _dataset_ref(sample_output_dataset)
        if resource_configuration is not None:
            raise WebserviceException("resource_configuration is fixed at registration here")
        if changes:
            self._set_state("update", **changes)

    def add_tags(self, tags: dict[str, Any]) -> None:
        self.refresh()
        self._set_state("update", tags={**self.tags, **_strings("tags", tags)})

    def remove_tags(self, tags: list[str]) -> None:
        if isinstance(tags, str):
            tags = [tags]
        self.refresh()
        self._set_state("update", tags={k: v for k, v in self.tags.items() if k not in tags})

    def add_properties(self, properties: dict[str, Any]) -> None:
        """Properties are add-only, as in v1: a different value for a key is an error."""
        self.refresh()
        new = _strings("properties", properties)
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
        from .webservice.registry import services_using

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

    # ------------------------------------------------------------------ files
    def download(self, target_dir: str | os.PathLike = ".", exist_ok: bool = False,
                 exists_ok: bool | None = None) -> str:
        """Write the files under ``target_dir``; the file's path (single file) or the
        folder's."""
        from .model_files import write_files

        if exists_ok is not None:
            exist_ok = exists_ok
        target = os.path.abspath(os.fspath(target_dir))
        os.makedirs(target, exist_ok=True)
        write_files(self.workspace._store, self._record.spec["snapshotId"], self.files,
                    target, exist_ok)
        return os.path.join(target, self._record.spec["root"])

    # ------------------------------------------------------------------ deployment
    @staticmethod
    def deploy(workspace: Workspace, name: str, models: list[Model],
               inference_config: InferenceConfig | None = None, deployment_config: Any = None,
               deployment_target: Any = None, overwrite: bool = False,
               show_output: bool = False, **kwargs: Any) -> Webservice:
        """Deploy ``models`` as the service ``name`` (v1 7.2); returns it while it starts
        (``wait_for_deployment`` waits)."""
        from .webservice.deploy import deploy

        return deploy(workspace, name, models, inference_config, deployment_config,
                      deployment_target, overwrite=overwrite, show_output=show_output)

    # ------------------------------------------------------------------ display
    def serialize(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version, "url": self.url,
                "createdTime": self.created_time.isoformat(), "createdBy": self.created_by,
                "description": self.description, "tags": self.tags,
                "properties": self.properties, "framework": self.model_framework,
                "frameworkVersion": self.model_framework_version,
                "experimentName": self.experiment_name, "runId": self.run_id,
                "datasets": self._record.spec.get("datasets", []),
                "sampleInputDatasetId": (self.sample_input_dataset or {}).get("id"),
                "sampleOutputDatasetId": (self.sample_output_dataset or {}).get("id"),
                "resourceConfiguration": self.resource_configuration,
                "mimeType": self.mime_type, "unpack": self.unpack, "aliases": self.aliases,
                "files": self.files}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Model) and other.id == self.id
                and other._record.workspace_id == self._record.workspace_id)

    def __hash__(self) -> int:
        return hash((self._record.workspace_id, self.id))

    def __repr__(self) -> str:
        return (f"Model(workspace={self.workspace.name!r}, name={self.name!r}, id={self.id!r}, "
                f"version={self.version}, tags={self.tags}, properties={self.properties})")


__all__ = ["Framework", "InferenceConfig", "Model", "ModelNotFoundError"]
