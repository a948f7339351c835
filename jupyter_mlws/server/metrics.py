"""Metrics of runs: the list of a run's metrics, one series (downsampled by the store, with a
``since`` cursor for live charts) and several runs' series at once for comparison."""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.serialize import metric_series, metric_series_json
from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id, check_metric_name

MAX_POINTS_LIMIT = 100_000
MAX_QUERY_RUNS = 100
MAX_QUERY_NAMES = 100


def _check_max_points(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not (
            2 <= value <= MAX_POINTS_LIMIT):
        raise bad_request(f"'max_points' must be an integer in [2, {MAX_POINTS_LIMIT}].")
    return value


def check_run_ids(value: Any, limit: int, *, allow_empty: bool) -> list[str]:
    """A body's ``run_ids``: a list of at most ``limit`` well-formed run ids."""
    if (not isinstance(value, list) or (not value and not allow_empty) or len(value) > limit
            or not all(isinstance(r, str) for r in value)):
        count = f"at most {limit}" if allow_empty else f"1-{limit}"
        raise bad_request(f"'run_ids' must be a list of {count} run ids.")
    for run_id in value:
        check_id(run_id, "run id")
    return value


class MetricsHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str) -> None:
        self.authorize("read", MlwsResource("metric", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        infos = await self.call(self.store.list_metrics, run_id)
        self.send_json({"metrics": infos})


class MetricSeriesHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str, name: str) -> None:
        check_metric_name(name)
        since = self.query_int("since", 0, minimum=0) or 0
        max_points = self.query_int("max_points", None, minimum=2, maximum=MAX_POINTS_LIMIT)
        until = self.query_int("until", None, minimum=since)
        self.authorize("read", MlwsResource("metric", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        # The array path: numpy columns straight to JSON text (a 1M-point series would
        # otherwise pass through json_safe one Python object at a time).
        columns = await self.call(self.store.get_metric_columns, run_id, name,
                                  since=since, max_points=max_points, until=until)
        self.set_header("Content-Type", "application/json")
        self.finish(await asyncio.to_thread(metric_series_json, columns))


class MetricQueryHandler(MlwsHandler):
    """POST rather than GET: a comparison names many runs, more than a URL comfortably holds."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        body = self.json_body()
        check_fields(body, {"run_ids", "names", "max_points"})
        run_ids = check_run_ids(body.get("run_ids"), MAX_QUERY_RUNS, allow_empty=False)
        names = body.get("names")
        if names is not None and (not isinstance(names, list) or len(names) > MAX_QUERY_NAMES
                                  or not all(isinstance(n, str) for n in names)):
            raise bad_request(f"'names' must be a list of at most {MAX_QUERY_NAMES} names.")
        for name in names or ():
            check_metric_name(name)
        max_points = _check_max_points(body.get("max_points", 2000))
        self.authorize("read", MlwsResource("metric", workspace_id))
        result: list[dict[str, Any]] = []
        for run_id in dict.fromkeys(run_ids):
            await self.load_run(workspace_id, run_id)
            infos = await self.call(self.store.list_metrics, run_id)
            # A run without one of the names is normal in a comparison: skip, do not fail.
            wanted = [i.name for i in infos if names is None or i.name in names]
            for name in wanted:
                series = await self.call(self.store.get_metric_series, run_id, name,
                                         max_points=max_points)
                result.append(metric_series(series))
        self.send_json({"series": result})
