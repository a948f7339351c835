"""``RunDetails.get_widget_data()``: the dict v1's widget computed each tick (v1 section 13.1).

Kept for code that reads it (tests, dashboards built on it); the live widget itself uses the
request protocol in :mod:`data`. Keys: status, workbench_run_details_uri, run_id,
run_properties, child_runs, children_metrics, run_metrics, run_logs, graph, widget_settings.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..core.run_details import LOG_PREFIXES, iso_utc
from ..store.base import TERMINAL_STATUSES, RunQuery, RunRecord, Store
from ..store.codec import json_safe

_INLINE_KINDS = ("scalar", "list", "table")


def _hms(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _duration(record: RunRecord) -> str:
    start = record.start_time or record.created_time
    end = record.end_time if record.end_time is not None else time.time()
    return _hms(end - start)


def _log_groups(names: list[str]) -> list[list[str]]:
    """v1: logs sorted by the numbers in their names, grouped by the first number."""
    def numbers(name: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", name))

    groups: dict[int, list[str]] = {}
    for name in sorted(names, key=lambda n: (numbers(n), n)):
        found = numbers(name)
        groups.setdefault(found[0] if found else -1, []).append(name)
    return [groups[key] for key in sorted(groups)]


def _metric_entries(store: Store, run_id: str) -> list[dict[str, Any]]:
    values = store.get_all_metric_values([run_id]).get(run_id, {})
    entries = []
    for name, (kind, points) in sorted(values.items()):
        data = points if kind in _INLINE_KINDS else [str(p) for p in points]
        entries.append({"name": name, "run_id": run_id, "categories": list(range(len(data))),
                        "series": [{"data": data}]})
    return entries


def _log_text(store: Store, record: RunRecord, log_name: str | None) -> str:
    text = ""
    if log_name:
        with store.open_artifact(record.id, log_name) as stream:
            text = stream.read(1024 * 1024).decode("utf-8", "replace")
        if text and not text.endswith("\n"):
            text += "\n"
    elif record.status not in TERMINAL_STATUSES:
        text = "Your run is active; waiting for logs...\n"
    else:
        text = "Log is empty or no log files found.\n"
    if record.status == "Completed":
        text += "\nRun is completed."
    elif record.status == "Canceled":
        text += "\nRun is canceled."
    elif record.status == "Failed" and record.error:
        error = record.error.get("error", {})
        text += f"\nError occurred: {error.get('message', '')}"
    return text


def widget_data(store: Store, record: RunRecord, portal_url: str,
                settings: dict[str, Any]) -> dict[str, Any]:
    """The v1-shaped widget data of ``record``."""
    logs = [a.path for a in store.list_artifacts(record.id) if a.path.startswith(LOG_PREFIXES)]
    groups = _log_groups(logs)
    selected = groups[-1][0] if groups else None
    definition = record.run_definition or {}
    arguments = definition.get("arguments") or []
    children = store.list_runs(record.workspace_id, RunQuery(parent_run_id=record.id,
                                                             descending=False))
    child_values = store.get_all_metric_values([c.id for c in children]) if children else {}
    child_runs = []
    for child in children:
        scalars = {name: points[-1] for name, (kind, points) in
                   child_values.get(child.id, {}).items() if kind == "scalar" and points}
        child_runs.append({
            "run_id": child.id, "run_number": child.number, "metric": scalars or None,
            "status": child.status, "run_type": child.run_type, "training_percent": None,
            "start_time": iso_utc(child.start_time), "end_time": iso_utc(child.end_time),
            "created_time": iso_utc(child.created_time), "created_time_dt": child.created_time,
            "duration": _duration(child)})
    series: dict[str, list[dict[str, Any]]] = {}
    for child in children:
        for name, (kind, points) in child_values.get(child.id, {}).items():
            if kind == "scalar" and points:
                series.setdefault(name, []).append({
                    "run_id": child.id, "name": name, "data": points, "mode": "lines",
                    "stepped": False})
    properties = {
        "run_id": record.id, "created_utc": iso_utc(record.created_time),
        "properties": dict(record.properties), "tags": dict(record.tags),
        "script_name": definition.get("script"),
        "arguments": " ".join(str(a) for a in arguments) or None,
        "end_time_utc": iso_utc(record.end_time), "status": record.status,
        "log_files": {name: name for name in logs}, "log_groups": groups,
        "run_duration": _duration(record), "run_number": record.number,
        "run_queued_details": {"status": record.status, "details": None},
    }
    return json_safe({
        "status": record.status,
        "workbench_run_details_uri": portal_url,
        "run_id": record.id,
        "run_properties": properties,
        "child_runs": child_runs,
        "children_metrics": {"categories": [c.number for c in children], "series": series,
                             "metricName": None, "showLegend": bool(series)},
        "run_metrics": _metric_entries(store, record.id),
        "run_logs": _log_text(store, record, selected),
        "graph": {},
        "widget_settings": settings,
    })


__all__ = ["widget_data"]
