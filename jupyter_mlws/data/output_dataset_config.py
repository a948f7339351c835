"""``OutputFileDatasetConfig`` (``azureml.data.output_dataset_config``): a folder a run writes,
uploaded to a datastore when the run completes and recorded as the run's output dataset
(registered as a new version with ``register_on_complete``).

In ``ScriptRunConfig(arguments=[...])`` it becomes the run's local folder for the output. The
destination defaults to ``(default datastore, "dataset/{run-id}/{output-name}")``;
``{run-id}`` and ``{output-name}`` are filled in. ``as_mount()`` writes straight into a local
destination folder (no FUSE: for an object store it uploads at the end, like ``as_upload``).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..exceptions import UserErrorException
from .dataset_consumption_config import check_input_name

DEFAULT_DESTINATION = "dataset/{run-id}/{output-name}"


class OutputDatasetConfig:
    """Common base of the output configs (v1 keeps one too)."""

    def __init__(self, name: str | None) -> None:
        self.name = check_input_name(name) if name else f"output_{uuid.uuid4().hex[:8]}"
        self._register: dict[str, Any] | None = None

    def register_on_complete(self, name: str, description: str | None = None,
                             tags: dict[str, str] | None = None) -> Any:
        from ..store.base import StoreError
        from ..store.data.registry import check_dataset_name

        try:
            check_dataset_name(name)
        except StoreError as exc:
            raise UserErrorException(str(exc)) from exc
        other = copy.copy(self)
        other._register = {"name": name, "description": description or "",
                           "tags": {str(k): str(v) for k, v in (tags or {}).items()}}
        return other

    @property
    def arg_val(self) -> str:
        return f"{{mlws-output:{self.name}}}"

    def __str__(self) -> str:
        return self.arg_val


class OutputFileDatasetConfig(OutputDatasetConfig):
    def __init__(self, name: str | None = None, destination: Any = None,
                 source: str | None = None, partition_format: str | None = None) -> None:
        super().__init__(name)
        if partition_format is not None:
            raise UserErrorException("partition_format is not supported by jupyter_mlws")
        self.destination = self._destination(destination)
        self.source = source
        self.mode = "upload"
        self.overwrite = False
        self.source_globs: list[str] | None = None
        self._tabular: dict[str, Any] | None = None

    @staticmethod
    def _destination(destination: Any) -> tuple[Any, str] | None:
        if destination is None:
            return None
        from ._sources import _datastore_item

        found = _datastore_item(destination)
        if found is None:
            raise UserErrorException("destination is a (datastore, 'path') tuple, a datastore "
                                     "or a DataPath")
        return found

    def as_mount(self, disable_metadata_cache: bool = False) -> OutputFileDatasetConfig:
        other = copy.copy(self)
        other.mode = "mount"
        return other

    def as_upload(self, overwrite: bool = False,
                  source_globs: list[str] | None = None) -> OutputFileDatasetConfig:
        other = copy.copy(self)
        other.mode, other.overwrite = "upload", bool(overwrite)
        other.source_globs = list(source_globs) if source_globs else None
        return other

    def read_delimited_files(self, include_path: bool = False, separator: str = ",",
                             header: Any = True, partition_format: str | None = None,
                             path_glob: str | None = None, set_column_types: Any = None
                             ) -> OutputTabularDatasetConfig:
        fmt = {"kind": "delimited", "separator": separator, "header": bool(header),
               "encoding": "utf8", "support_multi_line": False, "empty_as_string": False,
               "infer_column_types": True}
        return OutputTabularDatasetConfig(self, fmt, include_path, path_glob)

    def read_parquet_files(self, include_path: bool = False, partition_format: str | None = None,
                           path_glob: str | None = None, set_column_types: Any = None
                           ) -> OutputTabularDatasetConfig:
        return OutputTabularDatasetConfig(self, {"kind": "parquet"}, include_path, path_glob)

    def _binding(self, workspace: Any) -> dict[str, Any]:
        """The executor's description of this output (see execution/data_io.py)."""
        if self.destination is None:
            from ..core.datastore import Datastore

            datastore, path = Datastore.get_default(workspace), DEFAULT_DESTINATION
        else:
            datastore, path = self.destination
            if datastore.workspace != workspace:
                raise UserErrorException("An output's datastore must be in the run's workspace")
        return {"name": self.name, "datastore": datastore.name, "path": path or "",
                "mode": self.mode, "overwrite": self.overwrite,
                "source_globs": self.source_globs, "source": self.source,
                "register": self._register, "tabular": self._tabular}

    def __repr__(self) -> str:
        return f"OutputFileDatasetConfig(name={self.name!r}, mode={self.mode!r})"


class OutputTabularDatasetConfig(OutputDatasetConfig):
    """An output read as a TabularDataset when it is registered."""

    def __init__(self, files: OutputFileDatasetConfig, fmt: dict[str, Any],
                 include_path: bool, path_glob: str | None) -> None:
        super().__init__(files.name)
        self._files = files
        self._register = files._register
        self._format = {"format": fmt, "include_path": bool(include_path),
                        "path_glob": path_glob}

    def _binding(self, workspace: Any) -> dict[str, Any]:
        binding = self._files._binding(workspace)
        binding["register"] = self._register
        binding["tabular"] = self._format
        return binding


__all__ = ["OutputDatasetConfig", "OutputFileDatasetConfig", "OutputTabularDatasetConfig"]
