"""Metric logging and reading of a Run: log, log_list, log_row, log_table, get_metrics.

Every ``log*`` call validates its input completely before enqueuing anything, so bad input raises
a clear :class:`UserErrorException` naming the metric and the problem, and never leaves half a
list or table logged. What can be stored is decided in ``store/values.py`` (lone surrogates and
NUL characters in any text, integers beyond a float's range and steps beyond 64 bits are
refused; NaN and the infinities are kept). Points go to the per-store :mod:`metric_buffer`;
``get_metrics`` flushes first so a run reads its own writes.

``log_list(name, [])`` and a ``log_table`` whose columns are empty record the metric without
points: ``get_metrics`` then gives ``[]`` and ``{column: []}``, as v1 does.

Limits: a metric name is a non-empty string of at most ``MAX_NAME_LENGTH`` characters; a string
value holds at most ``MAX_STRING_LENGTH`` characters (metrics are for charts and tables; store
larger text with ``upload_file``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Mapping
from types import GeneratorType
from typing import Any

from ..exceptions import UserErrorException
from ..store.values import STEP_MAX, STEP_MIN, step_problem, text_problem, value_problem
from .metric_batches import KIND, SeriesKey, chunk_of
from .metric_shapes import ARTIFACT_KINDS, shape_metrics

MAX_NAME_LENGTH = 255
MAX_STRING_LENGTH = 65_536
_PLAIN = frozenset({int, float, str, bool, type(None)})
_SEQUENCES = (list, tuple, range, set, frozenset, Iterator, GeneratorType)
_LIST_MESSAGE = "run.log does not support list type. Use run.log_list instead"
_now = time.time


def _is_sequence(value: Any) -> bool:
    # numpy arrays and pandas Series have ndim >= 1; their scalars have ndim 0.
    return isinstance(value, _SEQUENCES) or (getattr(value, "ndim", 0) or 0) >= 1


def _refuse(what: str, problem: str | None) -> None:
    if problem:
        raise UserErrorException(f"{what} {problem}")


def coerce_scalar(value: Any, what: str) -> Any:
    """A loggable scalar from ``value``: numpy scalars become Python, others their repr().
    UserErrorException when it cannot be stored (``what`` names it in the message)."""
    if type(value) not in _PLAIN:
        if _is_sequence(value):
            raise UserErrorException(f"{what} must be a scalar (bool, int, float, str or None), "
                                     f"got {type(value).__name__}")
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
            value = value.item()  # numpy scalar or 0-d array
        if isinstance(value, bool):
            value = bool(value)
        elif isinstance(value, int):
            value = int(value)
        elif isinstance(value, float):
            value = float(value)
        elif isinstance(value, str):
            value = str(value)
        elif value is not None:
            warnings.warn(f"{what}: {type(value).__name__} is not a metric type; "
                          "storing its repr() string", UserWarning, stacklevel=4)
            value = repr(value)
    kind = type(value)
    if kind is str and len(value) > MAX_STRING_LENGTH:
        raise UserErrorException(
            f"{what} is a string of {len(value)} characters; metric strings are limited to "
            f"{MAX_STRING_LENGTH}. Store long text as a file with run.upload_file instead.")
    if kind is int or kind is str:
        _refuse(what, value_problem(value))
    return value


def check_name(name: Any) -> str:
    """Raise a clear UserErrorException for a name that cannot be a metric name."""
    if not isinstance(name, str):
        raise UserErrorException(f"A metric name must be a str, got {type(name).__name__}")
    if not name.strip():
        raise UserErrorException("A metric name must not be empty or blank")
    if len(name) > MAX_NAME_LENGTH:
        raise UserErrorException(
            f"A metric name is limited to {MAX_NAME_LENGTH} characters, got {len(name)}")
    _refuse(f"The metric name {name!r}", text_problem(name))
    return str(name)


def check_description(name: str, description: Any) -> str:
    """The description to store with metric ``name`` ("" for None)."""
    if description is None or description == "":
        return ""
    if not isinstance(description, str):
        raise UserErrorException(f"The description of metric {name!r} must be a str, got "
                                 f"{type(description).__name__}")
    _refuse(f"The description of metric {name!r}", text_problem(description))
    return description


def _check_step(step: Any, name: str) -> float | int:
    if type(step) is int:
        if STEP_MIN <= step <= STEP_MAX:
            return step
    elif type(step) is float:
        return step
    if getattr(step, "ndim", None) == 0 and hasattr(step, "item"):
        step = step.item()
    if isinstance(step, bool) or not isinstance(step, (int, float)):
        raise UserErrorException(f"step must be a number, got {type(step).__name__}")
    step = int(step) if isinstance(step, int) else float(step)
    _refuse(f"The step of metric {name!r}", step_problem(step))
    return step


def _checked_row(name: str, row: Mapping[Any, Any]) -> dict[str, Any]:
    out = {}
    for key, item in row.items():
        column = str(key)
        _refuse(f"A column name of table {name!r}", text_problem(column))
        out[column] = coerce_scalar(item, f"Column {column!r} of table {name!r}")
    return out


class RunMetricsMixin:
    """Logging and reading metrics; the Run provides ``_store``, ``_buffer``, ``id``."""

    # Set by Run: names already validated with their kind; None until loaded for an
    # attached run (its metrics may have been logged by another process).
    _metric_kinds: dict[str, str] | None
    # name -> the buffer's key of each metric this object has logged to.
    _metric_keys: dict[str, SeriesKey]

    def _check_kind(self, name: str, kind: str) -> None:
        kinds = self._metric_kinds
        if kinds is None:
            kinds = {info.name: info.kind for info in self._store.list_metrics(self.id)}
            self._metric_kinds = kinds
        known = kinds.get(name)
        if known is None:
            kinds[check_name(name)] = kind
        elif known != kind:
            raise UserErrorException(
                f"Metric {name!r} of run {self.id} holds {known} values; it cannot also take "
                f"{kind} values. Log them under another name.")

    def _key(self, name: str, kind: str, description: Any) -> SeriesKey:
        """The queue key of metric ``name`` (validated on first use)."""
        key = self._metric_keys.get(name)
        if key is None or key[KIND] != kind:
            self._check_kind(name, kind)
            key = self._buffer.series_key(self.id, name, kind,
                                          check_description(name, description))
            self._metric_keys[name] = key
        elif description:
            check_description(name, description)
        return key

    def _log_point(self, name: str, kind: str, value: Any, step: Any = None,
                   description: str = "") -> None:
        """Validate and enqueue one point of metric ``name`` (any kind of METRIC_KINDS)."""
        if kind == "table":
            if not isinstance(value, Mapping):
                raise UserErrorException(f"A table row must be a dict, got {type(value).__name__}")
            value = _checked_row(name, value)
        else:
            value = coerce_scalar(value, f"The value of metric {name!r}")
        if step is not None:
            step = _check_step(step, name)
        key = self._key(name, kind, description)
        self._buffer.enqueue([(key, step, _now(), value)])

    # ---- logging API (v1 section 4.5)
    def log(self, name: str, value: Any, description: str = "", step: Any = None) -> None:
        """Append ``value`` to the series ``name``; lists belong to :meth:`log_list`."""
        # The hot path: a float of an already validated scalar name skips all checks.
        kind = type(value)
        if kind is not float and kind is not bool and value is not None:
            if kind not in _PLAIN and _is_sequence(value):
                raise UserErrorException(_LIST_MESSAGE)
            value = coerce_scalar(value, f"The value of metric {name!r}")
        key = self._metric_keys.get(name)
        if key is None or key[2] != "scalar" or description:  # key[KIND]
            key = self._key(name, "scalar", description)
        if step is not None and (type(step) is not float and (
                type(step) is not int or not STEP_MIN <= step <= STEP_MAX)):
            step = _check_step(step, name)
        buffer = self._buffer
        queue = buffer.queue
        now = _now()
        if len(queue) >= buffer.max_points or now > buffer.deadline:
            buffer.wait_for_room()
        queue.append((key, step, now, value))

    def log_list(self, name: str, value: Any, description: str = "") -> None:
        """Append each element of ``value`` (scalars) to the list metric ``name``; an empty
        list records the metric with no values."""
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise UserErrorException(
                f"log_list needs a list of scalars for {name!r}, got {type(value).__name__}")
        values = [coerce_scalar(item, f"An element of list metric {name!r}") for item in value]
        key = self._key(name, "list", description)
        if not values:
            self._buffer.record_empty(chunk_of(key, [], [], []))
            return
        now = _now()
        self._buffer.enqueue([(key, None, now, item) for item in values])

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        """Append one row (columns = keyword names, scalar values) to the table ``name``."""
        if not kwargs:
            raise UserErrorException(f"log_row({name!r}) needs at least one column=value")
        row = _checked_row(name, kwargs)
        key = self._key(name, "table", description)
        self._buffer.enqueue([(key, None, _now(), row)])

    def log_table(self, name: str, value: Mapping[str, Any], description: str = "") -> None:
        """Append the rows of ``value`` ({column: list of scalars}, equal lengths) to ``name``;
        columns without values record the table with no rows."""
        if not isinstance(value, Mapping) or not value:
            raise UserErrorException(
                f"log_table needs a non-empty dict of column -> list for {name!r}")
        columns: dict[str, list[Any]] = {}
        for key, column in value.items():
            if isinstance(column, (str, bytes, Mapping)) or not hasattr(column, "__iter__"):
                raise UserErrorException(
                    f"Column {key!r} of table {name!r} must be a list, got "
                    f"{type(column).__name__}")
            title = str(key)
            _refuse(f"A column name of table {name!r}", text_problem(title))
            columns[title] = [coerce_scalar(item, f"Column {title!r} of table {name!r}")
                              for item in column]
        lengths = {key: len(column) for key, column in columns.items()}
        if len(set(lengths.values())) > 1:
            raise UserErrorException(
                f"All columns of table {name!r} must have the same length, got {lengths}")
        series = self._key(name, "table", description)
        keys = list(columns)
        if not any(lengths.values()):
            self._buffer.record_empty(chunk_of(series, [], [], [], columns=tuple(keys)))
            return
        now = _now()
        rows = [dict(zip(keys, items, strict=True))
                for items in zip(*columns.values(), strict=True)]
        self._buffer.enqueue([(series, None, now, row) for row in rows])

    def flush(self, timeout_seconds: float = 300) -> None:
        """Store every metric point logged so far. Raises MetricWriteError if the store keeps
        failing, or if the store refused points of this run since the last flush."""
        self._buffer.flush(timeout_seconds, run_id=self.id)

    # ---- reading (v1 section 4.6)
    def get_metrics(self, name: str | None = None, recursive: bool = False,
                    run_type: str | None = None, populate: bool = False) -> dict[str, Any]:
        """Metrics of this run shaped as v1 does; ``recursive`` keys them by run id."""
        self.flush()
        names = None if name is None else [name]
        if not recursive:
            metrics = self._store.read_metric_values([self.id], names).get(self.id, {})
            return self._populate(self.id, metrics, populate)
        run_ids = [run.id for run in self._descendant_records(run_type)]
        if run_type is None or self.type == run_type:
            run_ids.insert(0, self.id)
        result: dict[str, Any] = {}
        for run_id, metrics in self._store.read_metric_values(run_ids, names).items():
            shaped = self._populate(run_id, metrics, populate)
            if shaped:
                result[run_id] = shaped
        return result

    def _populate(self, run_id: str, metrics: Mapping[str, Any],
                  populate: bool) -> dict[str, Any]:
        """``read_metric_values`` columns of one run -> its ``get_metrics`` dict."""
        series = {key: (c.kind, c.values()) for key, c in metrics.items()}
        shaped = shape_metrics(series, columns={key: c.columns for key, c in metrics.items()
                                                if c.columns})
        if populate:
            for key in shaped:
                if series[key][0] in ARTIFACT_KINDS and isinstance(shaped[key], str):
                    shaped[key] = MetricArtifact(self._store, shaped[key])
        return shaped


class MetricArtifact:
    """``get_metrics(populate=True)`` value of an image/JSON metric: its bytes in ``data``."""

    PREFIX = "aml://artifactId/ExperimentRun/dcid."

    def __init__(self, store: Any, uri: str) -> None:
        if not uri.startswith(self.PREFIX) or "/" not in uri[len(self.PREFIX):]:
            raise UserErrorException(f"Not an artifact metric URI: {uri!r}")
        self.uri = uri
        self.run_id, self.path = uri[len(self.PREFIX):].split("/", 1)
        with store.open_artifact(self.run_id, self.path) as stream:
            self.data: bytes = stream.read()

    def __repr__(self) -> str:
        return f"MetricArtifact({self.uri!r}, {len(self.data)} bytes)"


__all__ = ["MAX_NAME_LENGTH", "MAX_STRING_LENGTH", "MetricArtifact", "RunMetricsMixin",
           "check_description", "check_name", "coerce_scalar"]
