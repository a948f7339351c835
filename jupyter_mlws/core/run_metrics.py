"""Metric logging and reading of a Run: log, log_list, log_row, log_table, get_metrics.

Every ``log*`` call validates its input completely before enqueuing anything, so bad input raises
a clear :class:`UserErrorException` and never leaves half a list or table logged. Points go to
the per-store :mod:`metric_buffer`; ``get_metrics`` flushes first so a run reads its own writes.

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


def coerce_scalar(value: Any, what: str) -> Any:
    """A loggable scalar from ``value``: numpy scalars become Python, others their repr()."""
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
    if type(value) is str and len(value) > MAX_STRING_LENGTH:
        raise UserErrorException(
            f"{what} is a string of {len(value)} characters; metric strings are limited to "
            f"{MAX_STRING_LENGTH}. Store long text as a file with run.upload_file instead.")
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
    if "\x00" in name:
        raise UserErrorException("A metric name must not contain NUL characters")
    return str(name)


def _check_step(step: Any) -> float | int:
    if type(step) in (int, float):
        return step
    if getattr(step, "ndim", None) == 0 and hasattr(step, "item"):
        step = step.item()
    if isinstance(step, bool) or not isinstance(step, (int, float)):
        raise UserErrorException(f"step must be a number, got {type(step).__name__}")
    return step


class RunMetricsMixin:
    """Logging and reading metrics; the Run provides ``_store``, ``_buffer``, ``id``."""

    # Set by Run: names already validated with their kind; None until loaded for an
    # attached run (its metrics may have been logged by another process).
    _metric_kinds: dict[str, str] | None

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

    def _enqueue(self, points: list) -> None:
        buffer = self._buffer
        queue = buffer.queue
        for point in points:
            if len(queue) >= buffer.max_points:
                buffer.wait_for_room()
            queue.append(point)

    def _log_point(self, name: str, kind: str, value: Any, step: Any = None,
                   description: str = "") -> None:
        """Validate and enqueue one point of metric ``name`` (any kind of METRIC_KINDS)."""
        if (self._metric_kinds or {}).get(name) != kind:
            self._check_kind(name, kind)
        if kind == "table":
            if not isinstance(value, Mapping):
                raise UserErrorException(f"A table row must be a dict, got {type(value).__name__}")
            value = {str(key): coerce_scalar(item, f"Column {key!r} of {name!r}")
                     for key, item in value.items()}
        else:
            value = coerce_scalar(value, f"The value of metric {name!r}")
        if step is not None:
            step = _check_step(step)
        self._enqueue([(self.id, name, kind, step, _now(), value, description or "")])

    # ---- logging API (v1 section 4.5)
    def log(self, name: str, value: Any, description: str = "", step: Any = None) -> None:
        """Append ``value`` to the series ``name``; lists belong to :meth:`log_list`."""
        # The hot path: plain values of an already validated scalar name skip all checks.
        if type(value) not in _PLAIN or (type(value) is str and len(value) > MAX_STRING_LENGTH):
            if _is_sequence(value):
                raise UserErrorException(_LIST_MESSAGE)
            value = coerce_scalar(value, f"The value of metric {name!r}")
        kinds = self._metric_kinds
        if kinds is None or kinds.get(name) != "scalar":
            self._check_kind(name, "scalar")
        if step is not None and type(step) not in (int, float):
            step = _check_step(step)
        buffer = self._buffer
        queue = buffer.queue
        if len(queue) >= buffer.max_points:
            buffer.wait_for_room()
        queue.append((self.id, name, "scalar", step, _now(), value, description))

    def log_list(self, name: str, value: Any, description: str = "") -> None:
        """Append each element of ``value`` (scalars) to the list metric ``name``."""
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise UserErrorException(
                f"log_list needs a list of scalars for {name!r}, got {type(value).__name__}")
        values = [coerce_scalar(item, f"An element of list metric {name!r}") for item in value]
        self._check_kind(name, "list")
        now = _now()
        self._enqueue([(self.id, name, "list", None, now, item, description or "")
                       for item in values])

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        """Append one row (columns = keyword names, scalar values) to the table ``name``."""
        if not kwargs:
            raise UserErrorException(f"log_row({name!r}) needs at least one column=value")
        row = {key: coerce_scalar(item, f"Column {key!r} of table {name!r}")
               for key, item in kwargs.items()}
        self._check_kind(name, "table")
        self._enqueue([(self.id, name, "table", None, _now(), row, description or "")])

    def log_table(self, name: str, value: Mapping[str, Any], description: str = "") -> None:
        """Append the rows of ``value`` ({column: list of scalars}, equal lengths) to ``name``."""
        if not isinstance(value, Mapping) or not value:
            raise UserErrorException(
                f"log_table needs a non-empty dict of column -> list for {name!r}")
        columns: dict[str, list[Any]] = {}
        for key, column in value.items():
            if isinstance(column, (str, bytes, Mapping)) or not hasattr(column, "__iter__"):
                raise UserErrorException(
                    f"Column {key!r} of table {name!r} must be a list, got "
                    f"{type(column).__name__}")
            columns[str(key)] = [coerce_scalar(item, f"Column {key!r} of table {name!r}")
                                 for item in column]
        lengths = {key: len(column) for key, column in columns.items()}
        if len(set(lengths.values())) > 1:
            raise UserErrorException(
                f"All columns of table {name!r} must have the same length, got {lengths}")
        self._check_kind(name, "table")
        now = _now()
        keys = list(columns)
        rows = [dict(zip(keys, items, strict=True))
                for items in zip(*columns.values(), strict=True)]
        self._enqueue([(self.id, name, "table", None, now, row, description or "")
                       for row in rows])

    def flush(self, timeout_seconds: float = 300) -> None:
        """Store every metric point logged so far (raises if the store keeps failing)."""
        self._buffer.flush(timeout_seconds)

    # ---- reading (v1 section 4.6)
    def get_metrics(self, name: str | None = None, recursive: bool = False,
                    run_type: str | None = None, populate: bool = False) -> dict[str, Any]:
        """Metrics of this run shaped as v1 does; ``recursive`` keys them by run id."""
        self.flush()
        if not recursive:
            series = self._store.get_all_metric_values([self.id]).get(self.id, {})
            return self._populate(self.id, shape_metrics(series, name), series, populate)
        run_ids = [run.id for run in self._descendant_records(run_type)]
        if run_type is None or self.type == run_type:
            run_ids.insert(0, self.id)
        result: dict[str, Any] = {}
        for run_id, series in self._store.get_all_metric_values(run_ids).items():
            shaped = self._populate(run_id, shape_metrics(series, name), series, populate)
            if shaped:
                result[run_id] = shaped
        return result

    def _populate(self, run_id: str, shaped: dict[str, Any],
                  series: Mapping[str, tuple[str, Any]], populate: bool) -> dict[str, Any]:
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
           "check_name", "coerce_scalar"]
