"""Lazy reads of tabular datasets on pyarrow datasets.

A dataset's files (its manifest) become one ``pyarrow.dataset`` per source file system: the
native local file system for local folders, fsspec (``PyFileSystem(FSSpecHandler)``) for
object stores and the server's REST API. Leading ``keep_columns`` / ``drop_columns`` /
``filter`` transforms are pushed down into the scan (projection and predicate); ``take``,
``skip`` and sampling run on the stream of batches, fragment by fragment in manifest order, so
``take(10)`` reads the first row group it needs and stops. Each file is checked against the
manifest right before it is read (the whole manifest before a parallel full read).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from ..store.data.errors import DatasetExecutionError, DatasetValidationError
from ..store.data.manifest import FileEntry
from ..store.data.selection import sample_mask
from ..store.data.transfer import display_paths
from . import _expression

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads

    from .abstract_dataset import AbstractDataset

_ROW_OPS = ("take", "skip", "sample")
STREAM_BATCH_ROWS = 65536


def arrow_format(fmt: dict[str, Any]) -> Any:
    """The pyarrow file format of a definition's ``format``."""
    import pyarrow.csv as csv
    import pyarrow.dataset as pads

    kind = fmt.get("kind")
    if kind == "parquet":
        return pads.ParquetFileFormat()
    if kind == "delimited":
        names = fmt.get("column_names")
        read = csv.ReadOptions(encoding=_encoding(fmt.get("encoding", "utf8")),
                               column_names=names if not fmt.get("header", True) else None,
                               autogenerate_column_names=False)
        parse = csv.ParseOptions(delimiter=fmt.get("separator", ","),
                                 newlines_in_values=bool(fmt.get("support_multi_line")))
        convert = csv.ConvertOptions(strings_can_be_null=not fmt.get("empty_as_string", False),
                                     column_types=fmt.get("_column_types"))
        return pads.CsvFileFormat(parse_options=parse, read_options=read,
                                  convert_options=convert)
    if kind == "json_lines":
        return pads.JsonFileFormat()
    raise DatasetValidationError(f"Unknown tabular format {kind!r}")


def _encoding(name: str) -> str:
    return {"utf8": "utf8", "iso88591": "latin1", "latin1": "latin1", "ascii": "ascii",
            "utf16": "utf16", "windows1252": "cp1252"}.get(str(name).replace("-", "").lower(),
                                                           str(name))


def arrow_fs(dfs: Any) -> Any:
    import pyarrow.fs as pafs

    if dfs.local:
        return pafs.LocalFileSystem()
    return pafs.PyFileSystem(pafs.FSSpecHandler(dfs.fs))


def _wrap(exc: Exception, path: str) -> Exception:
    text = str(exc).split("\n")[0][:500]
    return DatasetExecutionError(f"Cannot read {path!r}: {text}")


class TabularReader:
    """Reads one tabular dataset (definition + manifest) as Arrow data."""

    def __init__(self, dataset: AbstractDataset) -> None:
        self.ds = dataset
        self.definition = dataset._definition
        self.manifest = dataset._manifest_loaded()
        self.fmt = arrow_format(self.definition["format"])
        self.names = display_paths(self.manifest)
        self.schema = dataset._arrow_schema()

    # ---- pieces
    def _full(self, entry: FileEntry) -> tuple[Any, str]:
        dfs = self.ds._fs_of_source(int(entry[0]))
        return arrow_fs(dfs), dfs.full(entry[1])

    def fragment_dataset(self, index: int) -> pads.Dataset:
        """One file as a dataset (streaming delimited and JSON files block by block)."""
        import pyarrow.dataset as pads

        filesystem, path = self._full(self.manifest.files[index])
        return pads.dataset([path], schema=self.schema, format=self.fmt, filesystem=filesystem)

    def whole_dataset(self) -> pads.Dataset:
        import pyarrow.dataset as pads

        groups: dict[int, list[str]] = {}
        filesystems: dict[int, Any] = {}
        for entry in self.manifest.files:
            filesystem, path = self._full(entry)
            groups.setdefault(int(entry[0]), []).append(path)
            filesystems[int(entry[0])] = filesystem
        parts = [pads.dataset(paths, schema=self.schema, format=self.fmt,
                              filesystem=filesystems[src]) for src, paths in groups.items()]
        return parts[0] if len(parts) == 1 else pads.dataset(parts)

    def plan(self) -> tuple[list[str], Any, list[dict[str, Any]]]:
        """(columns to scan, pushed-down filter or None, transforms left for the stream)."""
        columns = list(self.schema.names)
        if self.definition.get("include_path"):
            columns.append("Path")
        pushed: Any = None
        transforms = list(self.definition.get("transforms", []))
        rest_from = len(transforms)
        for i, step in enumerate(transforms):
            op = step["op"]
            if op in _ROW_OPS:
                rest_from = i
                break
            columns = _apply_columns(columns, step)
            if op == "filter":
                missing = _expression.columns_of(step["expr"]) - set(columns)
                if missing:
                    raise UserErrorException(f"filter uses column(s) {sorted(missing)} that "
                                             "the dataset does not have")
                expr = _expression.to_arrow(step["expr"])
                pushed = expr if pushed is None else pushed & expr
        return columns, pushed, transforms[rest_from:]

    # ---- reads
    def _fragment_batches(self, index: int, columns: list[str], pushed: Any,
                          batch_size: int | None) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        entry = self.manifest.files[index]
        self.ds._verify([entry])
        path_col = self.definition.get("include_path") and "Path" in columns
        scan = [c for c in columns if not (path_col and c == "Path")]
        try:
            for batch in self._file_batches(index, scan, pushed,
                                            batch_size or STREAM_BATCH_ROWS):
                if path_col:
                    value = pa.array(["/" + self.names[index]] * batch.num_rows, pa.string())
                    arrays = [value if c == "Path" else batch.column(c) for c in columns]
                    batch = pa.RecordBatch.from_arrays(arrays, names=columns)
                yield batch
        except (OSError, ValueError, TypeError) as exc:
            if isinstance(exc, UserErrorException):
                raise
            raise _wrap(exc, self.names[index]) from None

    def _file_batches(self, index: int, columns: list[str], pushed: Any,
                      batch_size: int) -> Iterator[pa.RecordBatch]:
        """One file's batches. Parquet is read with ``ParquetFile.iter_batches`` over a 1 MB
        buffered stream, which decodes pages as batches need them: memory stays near one
        batch (a dataset scan decodes whole row groups) and take(10) reads a few pages."""
        import pyarrow as pa

        if not isinstance(self.fmt, _parquet_format_type()):
            scanner = self.fragment_dataset(index).scanner(
                columns=columns, filter=pushed, batch_size=batch_size, batch_readahead=1,
                fragment_readahead=1, use_threads=True)
            yield from scanner.to_batches()
            return
        import pyarrow.parquet as pq

        filesystem, path = self._full(self.manifest.files[index])
        wanted = pa.schema([self.schema.field(c) for c in columns])
        needed = list(dict.fromkeys([*columns, *(
            _expression_columns(self.definition, columns) if pushed is not None else [])]))
        with filesystem.open_input_file(path) as handle:
            reader = pq.ParquetFile(handle, pre_buffer=False, buffer_size=1 << 20)
            for batch in reader.iter_batches(batch_size=batch_size, columns=needed,
                                             use_threads=True):
                table = pa.Table.from_batches([batch])
                if pushed is not None:
                    table = table.filter(pushed)
                table = table.select(columns).cast(wanted)
                yield from table.to_batches()

    def batches(self, batch_size: int | None = None) -> Iterator[pa.RecordBatch]:
        """The dataset's rows as a stream, transforms applied, in manifest order."""
        columns, pushed, rest = self.plan()
        if batch_size is None:
            batch_size = _batch_hint(rest)
        stream: Iterator[pa.RecordBatch] = (
            batch for i in range(len(self.manifest.files))
            for batch in self._fragment_batches(i, columns, pushed, batch_size))
        for step in rest:
            stream = _stream_step(stream, step)
        return (b for b in stream if b.num_rows)

    def table(self) -> pa.Table:
        import pyarrow as pa

        columns, pushed, rest = self.plan()
        parallel = not self.definition.get("include_path") and not any(
            s["op"] in ("take", "skip") for s in rest)
        if not parallel:
            batches = list(self.batches())
            schema = batches[0].schema if batches else self.empty_schema()
            return pa.Table.from_batches(batches, schema=schema)
        self.ds._verify()
        try:
            table = self.whole_dataset().to_table(columns=columns, filter=pushed,
                                                  use_threads=True)
        except (OSError, ValueError, TypeError) as exc:
            if isinstance(exc, UserErrorException):
                raise
            raise _wrap(exc, self.ds._label()) from None
        for step in rest:
            table = pa.Table.from_batches(list(_stream_step(iter(table.to_batches()), step)),
                                          schema=table.schema)
        return table

    def empty_schema(self) -> pa.Schema:
        import pyarrow as pa

        columns, _pushed, rest = self.plan()
        for step in rest:
            columns = _apply_columns(columns, step)
        fields = [pa.field("Path", pa.string()) if c == "Path" and c not in self.schema.names
                  else self.schema.field(c) for c in columns]
        return pa.schema(fields)


def _parquet_format_type() -> Any:
    import pyarrow.dataset as pads

    return pads.ParquetFileFormat


def _expression_columns(definition: dict[str, Any], columns: list[str]) -> list[str]:
    """Columns the pushed-down filters read (they may have been dropped from the output)."""
    found: list[str] = []
    for step in definition.get("transforms", []):
        if step["op"] in _ROW_OPS:
            break
        if step["op"] == "filter":
            found.extend(sorted(_expression.columns_of(step["expr"])))
    return found


def _batch_hint(rest: list[dict[str, Any]]) -> int:
    """Rows per batch: small when the stream starts with skip/take (take(10) decodes a few
    thousand rows, not 64K), the default otherwise."""
    wanted = 0
    for step in rest:
        if step["op"] == "skip":
            wanted += int(step["n"])
        elif step["op"] == "take":
            return max(1024, min(STREAM_BATCH_ROWS, wanted + int(step["n"])))
        else:
            break
    return STREAM_BATCH_ROWS


def _apply_columns(columns: list[str], step: dict[str, Any]) -> list[str]:
    op = step["op"]
    if op == "keep_columns":
        wanted = step["columns"]
        missing = [c for c in wanted if c not in columns]
        if missing and step.get("validate"):
            raise UserErrorException(f"keep_columns: no column(s) {missing}")
        return [c for c in columns if c in wanted]
    if op == "drop_columns":
        return [c for c in columns if c not in step["columns"]]
    return columns


def _stream_step(stream: Iterator[Any], step: dict[str, Any]) -> Iterator[Any]:
    import pyarrow as pa

    op = step["op"]
    if op == "take":
        left = int(step["n"])
        for batch in stream:
            if left <= 0:
                return
            part = batch.slice(0, left)
            left -= part.num_rows
            yield part
    elif op == "skip":
        left = int(step["n"])
        for batch in stream:
            if left >= batch.num_rows:
                left -= batch.num_rows
                continue
            yield batch.slice(left)
            left = 0
    elif op == "sample":
        start = 0
        for batch in stream:
            mask = sample_mask(int(step["seed"]), start, batch.num_rows,
                               float(step["probability"]))
            if step.get("complement"):
                mask = ~mask
            start += batch.num_rows
            yield batch.filter(pa.array(mask))
    elif op in ("keep_columns", "drop_columns"):
        for batch in stream:
            yield batch.select(_apply_columns(batch.schema.names, step))
    elif op == "filter":
        expr = _expression.to_arrow(step["expr"])
        for batch in stream:
            table = pa.Table.from_batches([batch]).filter(expr)
            yield from table.to_batches() or [batch.slice(0, 0)]
    else:
        raise UserErrorException(f"Unknown transform {op!r}")


def discover_schema(dataset: AbstractDataset) -> pa.Schema:
    """The schema every file must share, read from each file (parquet footers, the first
    block of delimited and JSON files); a file whose columns differ is an error naming it."""
    import pyarrow as pa

    definition = dataset._definition
    fmt = arrow_format(definition["format"])
    manifest = dataset._manifest_loaded()
    names = display_paths(manifest)
    schemas = []
    first: tuple[str, list[str]] | None = None
    for i, entry in enumerate(manifest.files):
        dfs = dataset._fs_of_source(int(entry[0]))
        try:
            schema = fmt.inspect(dfs.full(entry[1]), filesystem=arrow_fs(dfs))
        except (OSError, ValueError) as exc:
            raise DatasetValidationError(f"Cannot read {names[i]!r}: "
                                         f"{str(exc).splitlines()[0][:300]}") from None
        if first is None:
            first = (names[i], list(schema.names))
        elif list(schema.names) != first[1]:
            raise DatasetValidationError(
                f"File {names[i]!r} has columns {list(schema.names)}, but {first[0]!r} has "
                f"{first[1]}: every file of a tabular dataset must have the same columns")
        schemas.append(schema)
    try:
        unified = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DatasetValidationError(f"The files' column types cannot be combined: "
                                     f"{str(exc).splitlines()[0]}") from None
    return unified


__all__ = ["TabularReader", "arrow_format", "arrow_fs", "discover_schema"]
