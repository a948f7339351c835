"""``TabularDatasetFactory``, ``FileDatasetFactory`` and ``DataType``
(``azureml.data.dataset_factory``): ``Dataset.Tabular.from_*`` and ``Dataset.File.from_files``.

A factory resolves the paths to a manifest at once (``validate=False`` defers it to first use)
and, for tabular data, reads every file's schema (Parquet footers, the first block of delimited
and JSON files): a file whose columns differ is an error naming it, before anything is
registered.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from ..exceptions import UserErrorException
from ..store.base import StoreError
from ._sources import to_sources
from .abstract_dataset import user_error
from .file_dataset import FileDataset
from .tabular_dataset import TabularDataset


class DataType:
    """A column type for ``set_column_types``."""

    def __init__(self, name: str, formats: list[str] | None = None) -> None:
        self.name = name
        self.formats = list(formats or [])

    @staticmethod
    def to_string() -> DataType:
        return DataType("string")

    @staticmethod
    def to_long() -> DataType:
        return DataType("long")

    @staticmethod
    def to_float(decimal_mark: str = ".") -> DataType:
        return DataType("float")

    @staticmethod
    def to_bool() -> DataType:
        return DataType("bool")

    @staticmethod
    def to_datetime(formats: str | list[str] | None = None) -> DataType:
        return DataType("datetime", [formats] if isinstance(formats, str) else formats)

    def __repr__(self) -> str:
        return f"DataType({self.name!r})"


_ARROW = {"string": "string", "long": "int64", "float": "double", "bool": "bool",
          "datetime": "timestamp[us]"}


def _column_types(set_column_types: Any) -> dict[str, dict[str, Any]]:
    if set_column_types is None:
        return {}
    if not isinstance(set_column_types, dict):
        raise UserErrorException("set_column_types maps column names to DataType values")
    out = {}
    for name, kind in set_column_types.items():
        if not isinstance(kind, DataType):
            raise UserErrorException(f"set_column_types[{name!r}] must be a DataType "
                                     "(DataType.to_long() ...)")
        out[str(name)] = {"type": kind.name, "formats": kind.formats}
    return out


def _no_partitions(partition_format: Any) -> None:
    if partition_format is not None:
        raise UserErrorException("partition_format is not supported by jupyter_mlws; add the "
                                 "partition values as columns of the files instead")


def _finish(dataset: Any, validate: bool) -> Any:
    """Resolve and, for tabular data, read the schema now (validate=True)."""
    if not validate:
        return dataset
    try:
        dataset._manifest_loaded()
        if isinstance(dataset, TabularDataset):
            _prepare_schema(dataset)
            dataset.take(1).to_arrow()  # the first rows parse, or the error names the file
    except StoreError as exc:
        raise user_error(exc) from exc
    return dataset


def _prepare_schema(dataset: TabularDataset) -> None:
    import pyarrow as pa

    from ._tabular_reader import discover_schema
    from .tabular_dataset import schema_json

    fmt = dataset._definition["format"]
    if fmt["kind"] == "delimited" and not fmt.get("header", True) and not fmt.get(
            "column_names"):
        probe = {**fmt, "header": True}
        first = TabularDataset._create(dataset._workspace, {**dataset._definition,
                                                            "format": probe},
                                       manifest=dataset._manifest_loaded())
        count = len(discover_schema(first).names)
        fmt["column_names"] = [f"Column{i + 1}" for i in range(count)]
    schema = discover_schema(dataset)
    wanted = dataset._definition.get("set_column_types") or {}
    fields = []
    for f in schema:
        if not fmt.get("infer_column_types", True) and fmt["kind"] == "delimited":
            f = pa.field(f.name, pa.string())
        if f.name in wanted:
            f = pa.field(f.name, pa.type_for_alias(_ARROW[wanted[f.name]["type"]]))
        fields.append(f)
    unknown = sorted(set(wanted) - {f.name for f in fields})
    if unknown:
        raise UserErrorException(f"set_column_types names column(s) {unknown} that the files "
                                 "do not have")
    dataset._schema = schema_json(pa.schema(fields))


def _tabular(path: Any, fmt: dict[str, Any], validate: bool, include_path: bool,
             set_column_types: Any) -> TabularDataset:
    sources, workspace = to_sources(path)
    definition = {"sources": sources, "format": fmt, "include_path": bool(include_path),
                  "set_column_types": _column_types(set_column_types), "transforms": []}
    return _finish(TabularDataset._create(workspace, definition), validate)


class TabularDatasetFactory:
    @staticmethod
    def from_delimited_files(path: Any, validate: bool = True, include_path: bool = False,
                             infer_column_types: bool = True, set_column_types: Any = None,
                             separator: str = ",", header: Any = True,
                             partition_format: str | None = None,
                             support_multi_line: bool = False, empty_as_string: bool = False,
                             encoding: str = "utf8") -> TabularDataset:
        _no_partitions(partition_format)
        if not isinstance(separator, str) or len(separator) != 1:
            raise UserErrorException(f"separator must be one character, got {separator!r}")
        has_header = bool(getattr(header, "value", header))
        fmt = {"kind": "delimited", "separator": separator, "header": has_header,
               "encoding": encoding, "support_multi_line": bool(support_multi_line),
               "empty_as_string": bool(empty_as_string),
               "infer_column_types": bool(infer_column_types)}
        return _tabular(path, fmt, validate, include_path, set_column_types)

    @staticmethod
    def from_parquet_files(path: Any, validate: bool = True, include_path: bool = False,
                           set_column_types: Any = None,
                           partition_format: str | None = None) -> TabularDataset:
        _no_partitions(partition_format)
        return _tabular(path, {"kind": "parquet"}, validate, include_path, set_column_types)

    @staticmethod
    def from_json_lines_files(path: Any, validate: bool = True, include_path: bool = False,
                              set_column_types: Any = None, partition_format: str | None = None,
                              invalid_lines: str = "error",
                              encoding: str = "utf8") -> TabularDataset:
        _no_partitions(partition_format)
        if invalid_lines != "error":
            raise UserErrorException("invalid_lines='error' is the only mode supported: a bad "
                                     "line is reported with its file")
        if str(encoding).replace("-", "").lower() != "utf8":
            raise UserErrorException("JSON lines files are read as UTF-8")
        return _tabular(path, {"kind": "json_lines"}, validate, include_path,
                        set_column_types)

    @staticmethod
    def register_pandas_dataframe(dataframe: Any, target: Any, name: str,
                                  description: str | None = None, tags: Any = None,
                                  show_progress: bool = True, row_group_size: int | None = None,
                                  make_target_path_unique: bool = True) -> TabularDataset:
        """Write the DataFrame as Parquet under ``target`` (a datastore, ``(datastore,
        path)`` or DataPath) and register it as a new version of ``name``."""
        import tempfile

        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ._sources import _datastore_item

        if not isinstance(dataframe, pd.DataFrame):
            raise UserErrorException("register_pandas_dataframe needs a pandas DataFrame")
        found = _datastore_item(target)
        if found is None:
            raise UserErrorException("target is a datastore, (datastore, path) or DataPath")
        datastore, folder = found
        folder = (folder or "").strip("/")
        if make_target_path_unique:
            folder = f"{folder}/{uuid.uuid4()}".lstrip("/")
        with tempfile.TemporaryDirectory() as tmp:
            local = os.path.join(tmp, "part-00000.parquet")
            pq.write_table(pa.Table.from_pandas(dataframe, preserve_index=False), local,
                           row_group_size=row_group_size)
            datastore.upload_files([local], relative_root=tmp, target_path=folder,
                                   overwrite=True, show_progress=show_progress)
        dataset = TabularDatasetFactory.from_parquet_files((datastore, folder + "/"))
        return dataset.register(datastore.workspace, name, description=description,
                                tags=tags, create_new_version=True)


class FileDatasetFactory:
    @staticmethod
    def from_files(path: Any, validate: bool = True, partition_format: str | None = None,
                   is_file: bool = False) -> FileDataset:
        _no_partitions(partition_format)
        sources, workspace = to_sources(path)
        return _finish(FileDataset._create(workspace, {"sources": sources, "transforms": []}),
                       validate)

    @staticmethod
    def upload_directory(src_dir: str, target: Any, pattern: str | None = None,
                         overwrite: bool = False, show_progress: bool = True) -> FileDataset:
        """Upload ``src_dir`` (files matching ``pattern``, a glob, when given) to ``target``
        and return a FileDataset of what is there."""
        import fnmatch

        from ._sources import _datastore_item

        found = _datastore_item(target)
        if found is None:
            raise UserErrorException("target is a datastore, (datastore, path) or DataPath")
        datastore, folder = found
        if not os.path.isdir(src_dir):
            raise UserErrorException(f"src_dir {src_dir!r} is not a folder")
        files = []
        for dirpath, _dirs, names in os.walk(src_dir):
            for file_name in sorted(names):
                path = os.path.join(dirpath, file_name)
                rel = os.path.relpath(path, src_dir).replace(os.sep, "/")
                if pattern is None or fnmatch.fnmatch(rel, pattern):
                    files.append(path)
        if not files:
            raise UserErrorException(f"No file of {src_dir!r} matches {pattern!r}")
        datastore.upload_files(files, relative_root=src_dir, target_path=folder,
                               overwrite=overwrite, show_progress=show_progress)
        return FileDatasetFactory.from_files((datastore, folder or ""))


__all__ = ["DataType", "FileDatasetFactory", "TabularDatasetFactory"]
