"""Datasets in a submitted run's definition: the consumption configs and output configs found
in ``ScriptRunConfig.arguments`` (and ``run_config.data`` / ``output_data``) become the
executor spec's ``data`` entry and the run's input lineage properties.

Unregistered input datasets are saved (``saved_dataset``) so the run's lineage can name them.
"""

from __future__ import annotations

import json
from typing import Any

from ..exceptions import UserErrorException
from ..store.data.registry import lineage_key
from .abstract_dataset import AbstractDataset
from .dataset_consumption_config import DatasetConsumptionConfig
from .output_dataset_config import OutputDatasetConfig


def _collect(config: Any) -> tuple[list[DatasetConsumptionConfig], list[OutputDatasetConfig]]:
    inputs: dict[str, DatasetConsumptionConfig] = {}
    outputs: dict[str, OutputDatasetConfig] = {}
    run_config = config.run_config
    candidates = [*list(config.arguments or []), *dict(run_config.data or {}).values(),
                  *dict(run_config.output_data or {}).values()]
    for item in candidates:
        if isinstance(item, AbstractDataset):
            raise UserErrorException("Pass a dataset to a run as dataset.as_named_input(name)"
                                     " (or as_mount()/as_download() for a FileDataset)")
        if isinstance(item, DatasetConsumptionConfig):
            known = inputs.get(item.name)
            if known is not None and known is not item and (
                    known.dataset is not item.dataset or known.mode != item.mode):
                raise UserErrorException(f"Two different inputs are named {item.name!r}")
            inputs[item.name] = item
        elif isinstance(item, OutputDatasetConfig):
            if item.name in outputs and outputs[item.name] is not item:
                raise UserErrorException(f"Two different outputs are named {item.name!r}")
            outputs[item.name] = item
    clash = set(inputs) & set(outputs)
    if clash:
        raise UserErrorException(f"{sorted(clash)} name both an input and an output")
    return list(inputs.values()), list(outputs.values())


def bind(config: Any, workspace: Any) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """(the spec's ``data`` or None, lineage properties of the inputs)."""
    inputs, outputs = _collect(config)
    if not inputs and not outputs:
        return None, {}
    bound_inputs = []
    properties: dict[str, dict[str, Any]] = {}
    for item in inputs:
        record = item.dataset._save_for_run(workspace)
        bound_inputs.append({"name": item.name, "mode": item.mode,
                             "path_on_compute": item.path_on_compute, "kind": record.kind,
                             "dataset": record.name, "version": record.version,
                             "id": record.spec.get("id"), "type": record.spec.get("type"),
                             "token": item.arg_val})
        value = properties.setdefault(lineage_key(record), {"id": record.spec.get("id"),
                                                            "inputs": []})
        value["inputs"].append({"name": item.name, "mode": item.mode})
    bound_outputs = [{**item._binding(workspace), "token": item.arg_val} for item in outputs]
    return ({"inputs": bound_inputs, "outputs": bound_outputs},
            {key: json.dumps(value) for key, value in properties.items()})


__all__ = ["bind"]
