"""``Model`` and ``InferenceConfig``, at v1's import path ``azureml.core.model`` (section 7).

A registered model is a versioned asset of kind ``model``: integer versions per name from 1,
its files stored as a workspace snapshot (:mod:`.model_files`). What v1 lets change after
registration (tags, properties, description, sample datasets) lives in the version's mutable
``state``; the rest is its immutable ``spec``. Beyond v1: aliases and the registry's history
(:mod:`.model_history`); ``Model.deploy`` is in :mod:`.webservice`.

The parts: registration (spec and state from v1's arguments) in :mod:`.model_registration`,
changes after it (tags, properties, aliases, delete) in :mod:`.model_changes`, v1's list filters
in :mod:`.model_filters`, the errors in :mod:`.model_errors`; this module is the class over them.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..exceptions import WebserviceException
from ..store.base import AssetRecord, NotFoundError
from . import model_history
from .inference_config import InferenceConfig
from .model_changes import ModelChangesMixin
from .model_errors import ModelInUseError, ModelNotFoundError
from .model_filters import filter_pairs, matches
from .model_paths import find_model_path
from .model_registration import ASSET_KIND, Framework, register_version
from .names import validate_model_name

if TYPE_CHECKING:
    from .run import Run
    from .webservice import Webservice
    from .workspace import Workspace

MODELS_FOLDER = "azureml-models"  # v1's layout inside a service: <folder>/<name>/<version>/


class Model(ModelChangesMixin):
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
        from .model_files import local_model_files  # on use: loads 5 more modules

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
                  run: Run | None = None, **metadata: Any) -> Model:
        """Store ``files`` (relative path -> local file, under ``root``) as the next version;
        ``metadata``: :func:`.model_registration.register_version`'s keywords."""
        return Model._from_record(workspace, register_version(workspace, name, root, files,
                                                              run=run, **metadata))

    # ------------------------------------------------------------------ queries
    @staticmethod
    def list(workspace: Workspace, name: str | None = None, tags: list[Any] | None = None,
             properties: list[Any] | None = None, run_id: str | None = None,
             latest: bool = False, dataset_id: str | None = None, expand: bool = True,
             page_count: int = 255, model_framework: str | None = None,
             **kwargs: Any) -> list[Model]:
        """Every matching version, newest first per name (``latest``: one per name)."""
        tag_pairs = filter_pairs("tags", tags)
        prop_pairs = filter_pairs("properties", properties)
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
            if not (matches(model.tags, tag_pairs) and matches(model.properties,
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

    # ------------------------------------------------------------------ files
    def download(self, target_dir: str | os.PathLike = ".", exist_ok: bool = False,
                 exists_ok: bool | None = None) -> str:
        """Write the files under ``target_dir``; the file's path (single file) or the
        folder's."""
        from .model_files import write_files  # on use: loads 5 more modules

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
        from .webservice.deploy import deploy  # on use: loads 9 more modules

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


__all__ = ["Framework", "InferenceConfig", "Model", "ModelInUseError", "ModelNotFoundError"]
