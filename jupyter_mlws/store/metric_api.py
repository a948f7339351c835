"""The metric part of the store interface: append points, read series, values and columns.

:class:`~jupyter_mlws.store.base.Store` inherits :class:`MetricApi`; the SQL store implements it in
``sql/metrics.py`` and ``sql/metric_reads.py``, the HTTP store in ``http/metrics.py``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from .columns import MetricColumns, to_array
from .records import MetricInfo, MetricPoint, MetricSeries


class MetricApi(abc.ABC):
    """Metric points of runs. The composites here need :meth:`get_run` (``RunApi``)."""

    # ---- metrics
    @abc.abstractmethod
    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        """Persist a batch in one transaction. Values are None, bool, int, float (NaN and inf
        included), str, or (kind ``table``) a dict of such scalars; what no store can hold
        (``store.values``: lone surrogates, NUL, ints beyond a float) is an InvalidInputError
        and nothing of the batch is stored. ``points`` may be a ``columns.MetricBatch``
        (points held as per-series columns, plus metrics recorded without points)."""

    @abc.abstractmethod
    def list_metrics(self, run_id: str) -> list[MetricInfo]:
        """The run's metrics with their counts and last values. An empty table
        (``log_table`` of empty columns) has count 0 and a row of nulls, one per declared
        column, as its ``last_value``."""

    @abc.abstractmethod
    def get_metric_series(self, run_id: str, name: str, *, since: int = 0,
                          max_points: int | None = None,
                          until: int | None = None) -> MetricSeries:
        """Points with ``since < seq <= until`` (no upper bound when ``until`` is None); with
        ``max_points``, downsampled keeping extremes. ``total`` is always the number of points
        stored, so a window or page read still says how long the whole series is."""

    @abc.abstractmethod
    def get_all_metric_values(
            self, run_ids: Sequence[str]) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        """{run_id: {name: (kind, values oldest first)}} for shaping ``get_metrics``."""

    def get_metric_columns(self, run_id: str, name: str, *, since: int = 0,
                           max_points: int | None = None,
                           until: int | None = None) -> MetricColumns:
        """:meth:`get_metric_series` as numpy arrays (the SQL store reads them directly;
        this default converts a series)."""
        import numpy as np  # numpy on use

        series = self.get_metric_series(run_id, name, since=since, max_points=max_points,
                                        until=until)
        return MetricColumns(run_id=run_id, name=name, kind=series.kind,
                             value=to_array(series.value),
                             seq=np.asarray(series.seq, dtype=np.int64),
                             step=to_array(series.step),
                             time=np.asarray(series.time, dtype=np.float64),
                             total=series.total)

    def read_metric_values(self, run_ids: Sequence[str], names: Sequence[str] | None = None,
                           ) -> dict[str, dict[str, MetricColumns]]:
        """{run_id: {name: MetricColumns with ``value`` only}} of every metric of the runs (or
        of ``names``), including metrics without points; an empty table names its declared
        ``columns``. This default reads :meth:`get_all_metric_values`."""
        wanted = None if names is None else set(names)
        out: dict[str, dict[str, MetricColumns]] = {}
        for run_id, metrics in self.get_all_metric_values(run_ids).items():
            infos: dict[str, MetricInfo] | None = None
            for name, (kind, values) in metrics.items():
                if wanted is not None and name not in wanted:
                    continue
                columns = None
                if kind == "table" and not values:
                    if infos is None:
                        infos = {i.name: i for i in self.list_metrics(run_id)}
                    last = infos[name].last_value if name in infos else None
                    columns = tuple(last) if isinstance(last, dict) else None
                out.setdefault(run_id, {})[name] = MetricColumns(
                    run_id=run_id, name=name, kind=kind, value=to_array(values),
                    total=len(values), columns=columns)
        return out

    def list_metrics_of_runs(self, run_ids: Sequence[str]) -> dict[str, list[MetricInfo]]:
        """:meth:`list_metrics` of several runs at once (counts and last values, no points).
        This default derives them from :meth:`get_all_metric_values`."""
        out: dict[str, list[MetricInfo]] = {run_id: [] for run_id in run_ids}
        for run_id, metrics in self.get_all_metric_values(list(run_ids)).items():
            out[run_id] = [MetricInfo(run_id=run_id, name=name, kind=kind, count=len(values),
                                      last_value=values[-1] if values else None)
                           for name, (kind, values) in metrics.items()]
        return out

    def query_metric_series(self, workspace_id: str, run_ids: Sequence[str],
                            names: Sequence[str] | None = None,
                            max_points: int | None = 2000) -> list[MetricSeries]:
        """Series of several runs of one workspace for a comparison: each run's metrics named
        in ``names`` (all when None), downsampled; a run lacking a name is skipped, a run not
        in the workspace is NotFoundError."""
        result: list[MetricSeries] = []
        for run_id in dict.fromkeys(run_ids):
            self.get_run(run_id, workspace_id)
            for info in self.list_metrics(run_id):
                if names is None or info.name in names:
                    result.append(self.get_metric_series(run_id, info.name,
                                                         max_points=max_points))
        return result
