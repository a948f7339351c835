"""A service's monitoring figures, read from its monitoring run's metrics (see
:mod:`jupyter_mlws.execution.serving.aggregate`), and drift of its collected inputs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...exceptions import WebserviceException
from ...execution.serving.aggregate import merge_histograms, percentile_from_histogram
from ...store.base import NotFoundError
from ..drift import collected_inputs_drift

if TYPE_CHECKING:
    from .webservice import Webservice

SERIES = ("requests", "errors", "client_errors", "bytes_in", "bytes_out", "latency_p50_ms",
          "latency_p95_ms", "latency_p99_ms")


def _epoch(value: float | datetime | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WebserviceException(f"A time is epoch seconds or a datetime, got {value!r}")
    return float(value)


def with_idle_seconds(steps: list[Any], columns: dict[str, list[Any]]
                      ) -> tuple[list[Any], dict[str, list[Any]]]:
    """The per-second series with the edges of each idle span filled in: the daemon writes a
    bucket only for a second that had requests, so a chart drawn from those alone would join
    two bursts with a line, as if requests had come between them. The first and last idle
    second of each gap become buckets of zero requests (no latency), two points per gap
    whatever its length."""
    if any(len(values) != len(steps) for values in columns.values()):
        return steps, columns  # not aligned (written by another version): leave as stored
    idle = {name: (None if name.startswith("latency_") else 0) for name in columns}
    times: list[Any] = []
    filled: dict[str, list[Any]] = {name: [] for name in columns}

    def add(second: Any, index: int | None) -> None:
        times.append(second)
        for name, values in columns.items():
            filled[name].append(idle[name] if index is None else values[index])

    for i, second in enumerate(steps):
        add(second, i)
        if i + 1 < len(steps) and steps[i + 1] - second > 1:
            add(second + 1, None)
            if steps[i + 1] - 1 > second + 1:
                add(steps[i + 1] - 1, None)
    return times, filled


def service_metrics(service: Webservice, since: float | datetime | None = None,
                    until: float | datetime | None = None) -> dict[str, Any]:
    """Totals and per-second series over ``[since, until)``."""

    start, end = _epoch(since), _epoch(until)
    store = service.workspace._store
    names = {m.name for m in store.list_metrics(service.run_id)}

    def series(name: str) -> tuple[list[Any], list[Any]]:
        if name not in names:
            return [], []
        try:
            found = store.get_metric_series(service.run_id, name)
        except NotFoundError:
            return [], []
        keep = [(s, v) for s, v in zip(found.step, found.value, strict=True)
                if s is not None and (start is None or s >= start) and (end is None or s < end)]
        return [s for s, _ in keep], [v for _, v in keep]

    columns: dict[str, Any] = {}
    steps: list[Any] = []
    for name in SERIES:
        found_steps, values = series(name)
        if name == "requests":
            steps = found_steps
        columns[name] = values
    _hist_steps, histograms = series("latency_histogram")
    _rep_steps, per_replica = series("replica_requests")
    requests = int(sum(columns["requests"]))
    errors = int(sum(columns["errors"]))
    merged = merge_histograms(histograms)
    if steps:
        first = start if start is not None else steps[0]
        last = end if end is not None else steps[-1] + 1
        seconds = max(1.0, float(last) - float(first))
    else:
        seconds = 0.0
    times, filled = with_idle_seconds(steps, {k: columns[k] for k in SERIES})
    replicas: dict[str, int] = {}
    for row in per_replica:
        for key, value in (row or {}).items():
            replicas[key] = replicas.get(key, 0) + int(value)
    return {
        "requests": requests, "errors": errors,
        "client_errors": int(sum(columns["client_errors"])),
        "error_rate": errors / requests if requests else 0.0,
        "requests_per_second": requests / seconds if seconds else 0.0,
        "latency_p50_ms": percentile_from_histogram(merged, 0.50),
        "latency_p95_ms": percentile_from_histogram(merged, 0.95),
        "latency_p99_ms": percentile_from_histogram(merged, 0.99),
        "bytes_in": int(sum(columns["bytes_in"])), "bytes_out": int(sum(columns["bytes_out"])),
        "requests_by_replica": replicas,
        "series": {"time": times, **filled},
    }


def sample_baseline(service: Webservice) -> Any:
    """The registered dataset of the first deployed model with a ``sample_input_dataset``."""
    from ..dataset import Dataset  # on use: loads 18 more modules

    for model in service.models:
        ref = model.sample_input_dataset or {}
        if ref.get("id"):
            return Dataset.get_by_id(service.workspace, ref["id"])
    raise WebserviceException(
        f"Service {service.name!r} has no drift baseline: pass one to get_drift(baseline), or "
        "register its model with sample_input_dataset=<a TabularDataset>")


def service_drift(service: Webservice, baseline: Any = None, **kwargs: Any) -> Any:
    if baseline is None:
        baseline = sample_baseline(service)
    return collected_inputs_drift(service.workspace._store, service.run_id, baseline, **kwargs)


__all__ = ["sample_baseline", "service_drift", "service_metrics"]
