"""Registering a model version: its immutable ``spec`` (files, framework, lineage) and mutable
``state`` (tags, properties, description, sample datasets) from v1's arguments. Used by
``Model.register`` (local files) and ``run.register_model`` (a run's files) through
``Model._register``; :mod:`.model` is the SDK class over the stored versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import WebserviceException
from ..store.base import AssetRecord
from . import model_history
from .identity import current_identity
from .names import validate_model_name

if TYPE_CHECKING:
    from .run import Run
    from .workspace import Workspace

ASSET_KIND = "model"


class Framework:
    """``Model.Framework``: the framework names v1 records."""

    CUSTOM = "Custom"
    TENSORFLOW = "TensorFlow"
    SCIKITLEARN = "ScikitLearn"
    ONNX = "Onnx"
    TFKERAS = "TfKeras"
    PYTORCH = "PyTorch"
    MULTI = "Multi"


def string_values(what: str, values: dict[str, Any] | None) -> dict[str, str]:
    """v1's tags or properties as strings (None values as "")."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise WebserviceException(f"{what} must be a dict, got {type(values).__name__}")
    return {str(k): "" if v is None else str(v) for k, v in values.items()}


def dataset_ref(value: Any) -> dict[str, Any] | None:
    """A dataset (an object with an id/name/version, or an id string) as stored lineage."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"id": value}
    ref = {k: getattr(value, k, None) for k in ("id", "name", "version")}
    if not any(ref.values()):
        raise WebserviceException(f"Not a dataset: {value!r}")
    return {k: v if v is None or isinstance(v, (int, str)) else str(v) for k, v in ref.items()}


def dataset_lineage(datasets: Any) -> list[dict[str, Any]]:
    """v1's ``datasets=[("training", dataset), ...]``."""
    found = []
    for item in datasets or []:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise WebserviceException("datasets must be a list of (scenario, dataset) pairs, "
                                      f"got {item!r}")
        ref = dataset_ref(item[1])
        found.append({"scenario": str(item[0]), **(ref or {})})
    return found


def register_version(workspace: Workspace, name: str, root: str, files: dict[str, str], *,
                     run: Run | None = None, tags: dict[str, Any] | None = None,
                     properties: dict[str, Any] | None = None, description: str | None = None,
                     datasets: Any = None, model_framework: str | None = None,
                     model_framework_version: str | None = None,
                     sample_input_dataset: Any = None, sample_output_dataset: Any = None,
                     resource_configuration: Any = None) -> AssetRecord:
    """Store ``files`` and register the next version of model ``name`` with v1's metadata
    (``run``: the run it comes from, its lineage); records the registry event."""
    from .model_files import store_files  # on use: loads 5 more modules

    validate_model_name(name)
    if model_framework_version and not model_framework:
        raise WebserviceException("model_framework_version needs model_framework")
    if description is not None and not isinstance(description, str):
        raise WebserviceException("description must be a string")
    tag_values, prop_values = string_values("tags", tags), string_values("properties", properties)
    lineage = dataset_lineage(datasets)
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
             "sampleInputDataset": dataset_ref(sample_input_dataset),
             "sampleOutputDataset": dataset_ref(sample_output_dataset)}
    record = workspace._call_store(workspace._store.register_asset, workspace._record.id,
                                   ASSET_KIND, name, spec, tags=tag_values,
                                   description=description or "", state=state)
    model_history.record_event(workspace, name, "register", version=record.version,
                               run_id=spec["runId"])
    return record


__all__ = ["ASSET_KIND", "Framework", "dataset_lineage", "dataset_ref", "register_version",
           "string_values"]
