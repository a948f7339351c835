"""``DatasetConsumptionConfig``: how a submitted run receives a dataset
(``azureml.data.dataset_consumption_config``).

Put one in ``ScriptRunConfig(arguments=[...])``: the argument becomes the path inside the run
(``as_mount`` / ``as_download``) or the dataset's id (direct), and so does the environment
variable named like the input. Inside the run, ``Run.get_context().input_datasets[name]``
gives the path, or the dataset itself for a direct input.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..exceptions import UserErrorException, shown

INPUT_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MODES = ("direct", "mount", "download")


def generated_name(dataset: Any) -> str:
    """v1's name for an unnamed input: ``input_`` + 8 hex (from the id when registered)."""
    source = (dataset.id or "").replace("-", "") or uuid.uuid4().hex
    return f"input_{source[:8]}"


def check_input_name(name: Any) -> str:
    if not isinstance(name, str) or not INPUT_NAME_RE.match(name):
        raise UserErrorException(
            f"Invalid input name {shown(name)}: an input name becomes an environment variable, so "
            "it must start with a letter or '_' and contain only letters, digits and '_' "
            "(at most 128 characters).")
    return name


class DatasetConsumptionConfig:
    def __init__(self, name: str, dataset: Any, mode: str = "direct",
                 path_on_compute: str | None = None) -> None:
        from .abstract_dataset import AbstractDataset  # on use: loads 18 more modules

        if not isinstance(dataset, AbstractDataset):
            raise UserErrorException(f"A dataset is required, got {type(dataset).__name__}")
        if mode not in MODES:
            raise UserErrorException(f"mode must be one of {MODES}, got {mode!r}")
        if mode != "direct" and dataset._type != "file":
            raise UserErrorException("Only a FileDataset can be mounted or downloaded; pass a "
                                     "TabularDataset directly (as_named_input(name))")
        if path_on_compute is not None and (not isinstance(path_on_compute, str)
                                            or "\x00" in path_on_compute):
            raise UserErrorException("path_on_compute must be a path string")
        self.name = check_input_name(name)
        self.dataset = dataset
        self.mode = mode
        self.path_on_compute = path_on_compute

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name, self.dataset, "download", path_on_compute)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name, self.dataset, "mount", path_on_compute)

    @property
    def arg_val(self) -> str:
        """The placeholder the executor replaces inside the run's arguments."""
        return f"{{mlws-dataset:{self.name}}}"

    def __str__(self) -> str:
        return self.arg_val

    def __repr__(self) -> str:
        return (f"DatasetConsumptionConfig(name={self.name!r}, mode={self.mode!r}, "
                f"path_on_compute={self.path_on_compute!r})")


__all__ = ["DatasetConsumptionConfig"]
