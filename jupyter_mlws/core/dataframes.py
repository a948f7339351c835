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
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..store.base import RunRecord, Store

_SCALAR_KINDS = ("scalar",)
_METRICS_CHUNK = 500  # run ids per store call, keeps SQL IN lists small


def metrics_frame(run: Any, name: str) -> pd.DataFrame:
    """The points of metric ``name`` of ``run``: columns step, time, value; a table metric
    (``log_row``/``log_table``) gives one row per logged row with the table's columns."""
    import pandas as pd

    from ..store.base import NotFoundError

    try:
        series = run._store.get_metric_series(run.id, name)
    except NotFoundError:
        return pd.DataFrame({"step": [], "time": pd.to_datetime([], utc=True), "value": []})
    if series.kind == "table":
        return pd.DataFrame.from_records([dict(row) for row in series.value])
    steps = list(series.step)
    if all(step is None for step in steps):
        steps = list(range(len(series.value)))
    return pd.DataFrame({
        "step": steps,
        "time": pd.to_datetime(series.time, unit="s", utc=True),
        "value": list(series.value),
    })


def _records_of(experiment_or_runs: Any, include_children: bool) -> tuple[Store, list[RunRecord]]:
    from ..store.base import RunQuery

    if hasattr(experiment_or_runs, "workspace") and hasattr(experiment_or_runs, "_record") \
            and not hasattr(experiment_or_runs, "experiment"):
        experiment = experiment_or_runs
        store = experiment.workspace._store
        query = RunQuery(experiment_id=experiment._record.id, include_children=include_children)
        return store, store.list_runs(experiment.workspace._record.id, query)
    runs = list(experiment_or_runs)
    if not runs:
        return None, []  # type: ignore[return-value]
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
    return store, records


def _timestamp(value: float | None) -> Any:
    import pandas as pd

    return pd.NaT if value is None else pd.Timestamp(value, unit="s", tz="UTC")


def runs_frame(experiment_or_runs: Any, include_children: bool = False,
               include_properties: bool = False) -> pd.DataFrame:
    """One row per run of an Experiment (or of an iterable of Runs), see the module doc."""
    import pandas as pd

    store, records = _records_of(experiment_or_runs, include_children)
    last_metrics: dict[str, dict[str, Any]] = {}
    ids = [r.id for r in records]
    for start in range(0, len(ids), _METRICS_CHUNK):
        values = store.get_all_metric_values(ids[start:start + _METRICS_CHUNK])
        for run_id, metrics in values.items():
            last_metrics[run_id] = {name: vals[-1] for name, (kind, vals) in metrics.items()
                                    if kind in _SCALAR_KINDS and vals}
    now = time.time()
    rows = []
    for record in records:
        end = record.end_time
        duration = None
        if record.start_time is not None:
            duration = pd.Timedelta(seconds=(end if end is not None else now) - record.start_time)
        row: dict[str, Any] = {
            "run_id": record.id,
            "experiment": record.experiment_name,
            "number": record.number,
            "display_name": record.display_name,
            "status": record.status,
            "start_time": _timestamp(record.start_time),
            "end_time": _timestamp(end),
            "duration": duration,
            "parent_run_id": record.parent_run_id,
        }
        row.update({f"tags.{k}": v for k, v in record.tags.items()})
        if include_properties:
            row.update({f"properties.{k}": v for k, v in record.properties.items()})
        row.update({f"metrics.{k}": v for k, v in last_metrics.get(record.id, {}).items()})
        rows.append(row)
    base_columns = ["run_id", "experiment", "number", "display_name", "status", "start_time",
                    "end_time", "duration", "parent_run_id"]
    frame = pd.DataFrame.from_records(rows, columns=_ordered_columns(base_columns, rows))
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["duration"] = pd.to_timedelta(frame["duration"])
    return frame


def _ordered_columns(base: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """Fixed columns first, then tags.*, properties.*, metrics.*, each sorted."""
    extra = sorted({key for row in rows for key in row} - set(base))
    order = {"tags.": 0, "properties.": 1, "metrics.": 2}
    extra.sort(key=lambda k: (order.get(k.split(".", 1)[0] + ".", 3), k))
    return base + extra
