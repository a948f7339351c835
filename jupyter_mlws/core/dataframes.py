"""pandas views of runs and metrics: the documented way to analyse them in a notebook.

Two functions, both returning a :class:`pandas.DataFrame` (pandas is imported on first call)::
    from jupyter_mlws.core.dataframes import metrics_frame, runs_frame

    df = metrics_frame(run, "loss")          # one row per logged point: step, time, value
    df.plot(x="step", y="value")
    rows = metrics_frame(run, "per_class")   # a table metric (log_row/log_table): its columns

    runs = runs_frame(experiment)            # one row per run of the experiment, newest first
    runs = runs_frame([run_a, run_b])        # or of the runs you pass, in that order
    runs.sort_values("metrics.accuracy", ascending=False).head()

``runs_frame`` columns: ``run_id``, ``experiment``, ``number``, ``display_name``, ``status``,
``start_time``, ``end_time`` (UTC timestamps), ``duration`` (Timedelta; up to now for an active
run), ``parent_run_id``, one ``tags.<key>`` column per tag, ``properties.<key>`` columns with
``include_properties=True``, and ``metrics.<name>`` holding the last value of every scalar
metric (``run.log``). Missing values are NaN/None. ``metrics_frame`` reads the whole series;
``time`` is a UTC timestamp and ``step`` is the logged step, or the point's position (0, 1, ...)
when the metric was logged without steps.

Both read arrays, not points: ``metrics_frame`` builds its columns from the store's numpy
columns (``Store.get_metric_columns``), and ``runs_frame`` takes each metric's last value from
what the store keeps at write time (``Store.list_metrics_of_runs``), never reading points, and
converts all times at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..store.base import NotFoundError, RunQuery, RunTable

if TYPE_CHECKING:
    import pandas as pd

    from ..store.base import RunTable, Store

_SCALAR_KINDS = ("scalar",)
_METRICS_CHUNK = 500  # run ids per store call, keeps SQL IN lists small


def metrics_frame(run: Any, name: str) -> pd.DataFrame:
    """The points of metric ``name`` of ``run``: columns step, time, value; a table metric
    (``log_row``/``log_table``) gives one row per logged row with the table's columns."""
    import numpy as np  # pandas/numpy on use (cold start)
    import pandas as pd  # pandas/numpy on use (cold start)


    try:
        series = run._store.get_metric_columns(run.id, name)
    except NotFoundError:
        return pd.DataFrame({"step": [], "time": pd.to_datetime([], utc=True), "value": []})
    if series.kind == "table":
        return pd.DataFrame.from_records(series.value.tolist(), columns=series.columns)
    steps = series.step
    if steps.dtype == object and steps.tolist().count(None) == len(steps):
        steps = np.arange(len(series.value))
    return pd.DataFrame({
        "step": steps,
        "time": pd.to_datetime(series.time, unit="s", utc=True),
        "value": series.value,
    })


def _table_of(experiment_or_runs: Any, include_children: bool,
              include_properties: bool) -> tuple[Store | None, RunTable]:

    if hasattr(experiment_or_runs, "workspace") and hasattr(experiment_or_runs, "_record") \
            and not hasattr(experiment_or_runs, "experiment"):
        experiment = experiment_or_runs
        store = experiment.workspace._store
        query = RunQuery(experiment_id=experiment._record.id, include_children=include_children)
        return store, store.run_table(experiment.workspace._record.id, query,
                                      include_properties=include_properties)
    runs = list(experiment_or_runs)
    if not runs:
        return None, RunTable(properties=[] if include_properties else None)
    store = runs[0]._store
    records = [run._store.get_run(run.id) for run in runs]
    if include_children:
        seen = {r.id for r in records}
        for run in runs:
            query = RunQuery(parent_run_id=run.id, recursive=True)
            for child in run._store.list_runs(run._record.workspace_id, query):
                if child.id not in seen:
                    seen.add(child.id)
                    records.append(child)
    return store, RunTable.of(records, include_properties)


def _last_values(store: Store, ids: list[str]) -> dict[str, dict[str, Any]]:
    """{run id: {metric name: last value}} of the scalar metrics, from the metric rows."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _METRICS_CHUNK):
        for run_id, infos in store.list_metrics_of_runs(ids[start:start + _METRICS_CHUNK]
                                                        ).items():
            out[run_id] = {info.name: info.last_value for info in infos
                           if info.kind in _SCALAR_KINDS and info.count}
    return out


def _times(values: list[float | None]) -> Any:
    import numpy as np  # pandas/numpy on use (cold start)
    import pandas as pd  # pandas/numpy on use (cold start)

    seconds = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return pd.to_datetime(seconds, unit="s", utc=True).as_unit("ns")


def runs_frame(experiment_or_runs: Any, include_children: bool = False,
               include_properties: bool = False) -> pd.DataFrame:
    """One row per run of an Experiment (or of an iterable of Runs), see the module doc."""
    import numpy as np  # pandas/numpy on use (cold start)
    import pandas as pd  # pandas/numpy on use (cold start)

    store, table = _table_of(experiment_or_runs, include_children, include_properties)
    count = len(table.id)
    last = _last_values(store, table.id) if store is not None and count else {}
    start = _times(table.start_time)
    end = _times(table.end_time)
    # An active run's duration runs up to now.
    until = end.fillna(pd.Timestamp(time.time(), unit="s", tz="UTC"))
    columns: dict[str, Any] = {
        "run_id": table.id,
        "experiment": table.experiment_name,
        "number": np.array(table.number, dtype=np.int64),
        "display_name": table.display_name,
        "status": table.status,
        "start_time": start,
        "end_time": end,
        "duration": pd.TimedeltaIndex(until - start),
        "parent_run_id": table.parent_run_id,
    }
    extra: dict[str, dict[int, Any]] = {}
    groups = [("tags.", table.tags), ("properties.", table.properties or [{}] * count),
              ("metrics.", [last.get(run_id, {}) for run_id in table.id])]
    for prefix, per_run in groups:
        for index, values in enumerate(per_run):
            for key, value in values.items():
                extra.setdefault(prefix + key, {})[index] = value
    for column in _ordered_columns(list(columns), [dict.fromkeys(extra)]):
        if column in extra:
            cells = extra[column]
            columns[column] = [cells.get(i) for i in range(count)]
    return pd.DataFrame(columns, index=pd.RangeIndex(count))


def _ordered_columns(base: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """Fixed columns first, then tags.*, properties.*, metrics.*, each sorted."""
    extra = sorted({key for row in rows for key in row} - set(base))
    order = {"tags.": 0, "properties.": 1, "metrics.": 2}
    extra.sort(key=lambda k: (order.get(k.split(".", 1)[0] + ".", 3), k))
    return base + extra
