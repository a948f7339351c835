"""``TabularDataset`` (``azureml.data.TabularDataset``): rows and columns read lazily.

Transforms return new datasets (nothing is read); reads (``to_pandas_dataframe``,
``to_arrow``, ``to_arrow_batches``, ``to_dask_dataframe``) run them on pyarrow datasets, see
``_tabular_reader``.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException, shown
from . import _expression
from ._tabular_reader import TabularReader
from .abstract_dataset import AbstractDataset

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


MAX_COUNT = 2**63 - 1  # row counts are 64-bit in Arrow


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise UserErrorException(
            f"{what} must be an integer from 0 to 2**63 - 1, got {shown(value)}")
    return value


def _probability(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise UserErrorException(f"{what} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _seed(seed: Any) -> int:
    if seed is None:
        return random.SystemRandom().randrange(2**63)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UserErrorException(f"seed must be an integer, got {seed!r}")
    return seed % 2**64


def _column_list(columns: Any, what: str) -> list[str]:
    names = [columns] if isinstance(columns, str) else list(columns or [])
    if not names or not all(isinstance(c, str) and c for c in names):
        raise UserErrorException(f"{what} takes a column name or a list of column names")
    return names


class TabularDataset(AbstractDataset):
    """A tabular dataset: delimited, Parquet or JSON-lines files parsed into columns."""

    _type = "tabular"

    # ---- transforms (lazy)
    def take(self, count: int) -> TabularDataset:
        return self._derive({"op": "take", "n": _count(count, "count")})

    def skip(self, count: int) -> TabularDataset:
        return self._derive({"op": "skip", "n": _count(count, "count")})

    def take_sample(self, probability: float, seed: int | None = None) -> TabularDataset:
        return self._derive({"op": "sample", "probability": _probability(probability,
                                                                          "probability"),
                             "seed": _seed(seed)})

    def random_split(self, percentage: float, seed: int | None = None
                     ) -> tuple[TabularDataset, TabularDataset]:
        """Two datasets with about ``percentage`` and ``1 - percentage`` of the rows; every
        row is in exactly one of them (the same split for the same seed)."""
        p, s = _probability(percentage, "percentage"), _seed(seed)
        return (self._derive({"op": "sample", "probability": p, "seed": s}),
                self._derive({"op": "sample", "probability": p, "seed": s,
                              "complement": True}))

    def keep_columns(self, columns: Any, validate: bool = False) -> TabularDataset:
        return self._derive({"op": "keep_columns",
                             "columns": _column_list(columns, "keep_columns"),
                             "validate": bool(validate)})

    def drop_columns(self, columns: Any) -> TabularDataset:
        return self._derive({"op": "drop_columns",
                             "columns": _column_list(columns, "drop_columns")})

    def filter(self, expression: _expression.Expression) -> TabularDataset:
        return self._derive({"op": "filter", "expr": _expression.check(expression)})

    def __getitem__(self, name: str) -> _expression.Expression:
        """A column, for filters: ``ds.filter(ds["age"] > 30)``."""
        return _expression.column(name)

    # ---- reads
    def _reader(self) -> Any:
        return TabularReader(self)

    def _arrow_schema(self) -> pa.Schema:
        import pyarrow as pa  # pyarrow on use

        if self._schema is None:
            # cycle: dataset_factory imports this module
            from .dataset_factory import _prepare_schema

            _prepare_schema(self)
        return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(self._schema["arrow"])))

    def to_arrow(self) -> pa.Table:
        """All rows as a ``pyarrow.Table``."""
        return self._reader().table()

    def to_arrow_batches(self, batch_size: int | None = None) -> Iterator[pa.RecordBatch]:
        """The rows as a stream of ``pyarrow.RecordBatch`` (bounded memory)."""
        return self._reader().batches(batch_size)

    def to_pandas_dataframe(self, on_error: str = "null",
                            out_of_range_datetime: str = "null") -> pd.DataFrame:
        if on_error not in ("null", "fail") or out_of_range_datetime not in ("null", "fail"):
            raise UserErrorException("on_error and out_of_range_datetime are 'null' or 'fail'")
        return self.to_arrow().to_pandas()

    def to_dask_dataframe(self, sample_size: int = 10000, dtypes: Any = None,
                          on_error: str = "null", out_of_range_datetime: str = "null") -> Any:
        """A lazy dask DataFrame, one partition per file (needs dask)."""
        try:
            import dask.dataframe as dd  # Dask on use
        except ImportError as exc:
            raise UserErrorException("to_dask_dataframe needs dask: pip install "
                                     "'dask[dataframe]'") from exc
        reader = self._reader()
        _columns, _pushed, rest = reader.plan()
        if any(step["op"] in ("take", "skip", "sample") for step in rest):
            return dd.from_pandas(self.to_pandas_dataframe(), npartitions=1)
        meta = reader.empty_schema().empty_table().to_pandas()
        return dd.from_map(_Partition(reader), list(range(len(reader.manifest.files))),
                           meta=meta, label="mlws-dataset")


class _Partition:
    """Reads one file of a dataset as a pandas partition (dask calls it per file)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.token = uuid.uuid4().hex

    def __dask_tokenize__(self) -> str:
        # The data is fixed by the manifest; the reader holds file systems dask cannot hash.
        return self.token

    def __call__(self, index: int) -> Any:
        import pyarrow as pa  # pyarrow on use

        columns, pushed, _rest = self.reader.plan()
        batches = list(self.reader._fragment_batches(index, columns, pushed, None))
        return pa.Table.from_batches(batches, schema=self.reader.empty_schema()).to_pandas()


def schema_json(schema: pa.Schema) -> dict[str, Any]:
    return {"columns": [[f.name, str(f.type)] for f in schema],
            "arrow": base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")}


__all__ = ["TabularDataset"]
