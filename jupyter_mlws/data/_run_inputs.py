"""``Run.get_context().input_datasets`` / ``output_datasets`` inside a submitted run, from the
variables the executor sets (``MLWS_DATASET_INPUTS``, ``MLWS_DATASET_OUTPUTS``)."""

from __future__ import annotations

import json
import os
from typing import Any


def _env_json(name: str) -> dict[str, Any]:
    try:
        value = json.loads(os.environ.get(name) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def input_datasets(run: Any) -> dict[str, Any]:
    """{input name: local path (mount/download) or the dataset (direct)}."""
    from .abstract_dataset import AbstractDataset

    found: dict[str, Any] = {}
    for name, item in _env_json("MLWS_DATASET_INPUTS").items():
        if item.get("mode") == "direct":
            found[name] = AbstractDataset.get_by_id(run.experiment.workspace, item["id"])
        else:
            found[name] = item.get("path")
    return found


def output_datasets(run: Any) -> dict[str, Any]:
    """{output name: the local folder the run writes}."""
    return {name: item.get("path") for name, item in _env_json("MLWS_DATASET_OUTPUTS").items()}


__all__ = ["input_datasets", "output_datasets"]
