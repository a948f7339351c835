"""The saved-notebook fallback of RunDetails: an HTML summary with a PNG chart.

Front ends that render widgets show the live view; nbconvert HTML, nbviewer and GitHub do not
have the widget state and fall back to the ``text/html`` (and ``image/png``) of the same output
bundle, so a saved notebook still shows the run's status, properties, final metrics and a chart.
"""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import datetime, timezone
from typing import Any

from ..store.base import TERMINAL_STATUSES, RunQuery, RunRecord, Store

CHART_METRICS = 6  # charts in the PNG; more would be unreadable at notebook width
CHART_POINTS = 500
CHILD_ROWS = 20
_COLOURS = {"Completed": "#2e7d32", "Failed": "#c62828", "Canceled": "#616161"}


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(record: RunRecord) -> str:
    if record.start_time is None:
        return ""
    end = record.end_time if record.end_time is not None else datetime.now(
        timezone.utc).timestamp()
    seconds = max(0, int(end - record.start_time))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def final_metrics(store: Store, run_id: str) -> dict[str, Any]:
    """The last value of every metric (tables: their row count; images: their artifact)."""
    out: dict[str, Any] = {}
    for info in store.list_metrics(run_id):
        if info.kind == "table":
            out[info.name] = f"table, {info.count} rows"
        elif info.kind == "list":
            out[info.name] = f"list, {info.count} values, last {_format(info.last_value)}"
        elif info.kind == "scalar":
            out[info.name] = info.last_value
        else:  # image and JSON artifact metrics: name the artifact, not its aml:// URI
            out[info.name] = f"{info.kind}: {str(info.last_value).split('/', 5)[-1]}"
    return out


def chart_png(store: Store, run_id: str) -> bytes | None:
    """A PNG of the run's scalar metrics with more than one point; None if there are none
    or matplotlib is not installed."""
    infos = [i for i in store.list_metrics(run_id) if i.kind == "scalar" and i.count > 1]
    if not infos:
        return None
    try:
        from matplotlib.figure import Figure  # matplotlib on use
    except ImportError:
        return None
    infos = infos[:CHART_METRICS]
    columns = min(3, len(infos))
    rows = math.ceil(len(infos) / columns)
    # Figure without pyplot: no global figure state and no interactive backend involved.
    figure = Figure(figsize=(4 * columns, 2.6 * rows), dpi=80, layout="constrained")
    for index, info in enumerate(infos):
        series = store.get_metric_series(run_id, info.name, max_points=CHART_POINTS)
        axes = figure.add_subplot(rows, columns, index + 1)
        xs = [s if s is not None else i for i, s in enumerate(series.step)]
        ys = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan
              for v in series.value]
        axes.plot(xs, ys, color="#1565c0", linewidth=1.4)
        axes.set_title(info.name, fontsize=10)
        axes.tick_params(labelsize=8)
        axes.grid(alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th style=\"text-align:left;padding-right:1em\">{html.escape(k)}</th>"
                   f"<td style=\"text-align:left\">{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def summary_html(store: Store, record: RunRecord, png: bytes | None) -> str:
    """The HTML summary of a run (status, properties, error, metrics, children, chart)."""
    colour = _COLOURS.get(record.status, "#1565c0")
    title = html.escape(record.display_name or record.id)
    parts = [
        "<div class=\"mlws-run-summary\" style=\"font-family:sans-serif;font-size:13px\">",
        f"<h4 style=\"margin:4px 0\">Run {title} "
        f"<span style=\"color:{colour}\">({html.escape(record.status)})</span></h4>",
    ]
    properties = [("Run id", record.id), ("Experiment", record.experiment_name),
                  ("Run number", str(record.number)), ("Status", record.status),
                  ("Started", _when(record.start_time)), ("Ended", _when(record.end_time)),
                  ("Duration", _duration(record)), ("Target", record.target)]
    properties += [(f"tag {k}", "" if v is None else v) for k, v in sorted(record.tags.items())]
    properties += [(f"property {k}", v) for k, v in sorted(record.properties.items())]
    parts.append(_table([(k, v) for k, v in properties if v != ""]))
    if record.error:
        error = record.error.get("error", record.error)
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        parts.append(f"<pre style=\"color:#c62828;white-space:pre-wrap\">"
                     f"{html.escape(str(message))}</pre>")
    metrics = final_metrics(store, record.id)
    if metrics:
        parts.append("<h5 style=\"margin:6px 0 2px\">Metrics (last values)</h5>")
        parts.append(_table([(k, _format(v)) for k, v in sorted(metrics.items())]))
    children = store.list_runs(record.workspace_id, RunQuery(
        parent_run_id=record.id, limit=CHILD_ROWS, descending=False))
    if children:
        parts.append("<h5 style=\"margin:6px 0 2px\">Child runs</h5>")
        parts.append(_table([(f"#{c.number} {c.display_name or c.id}", c.status)
                             for c in children]))
    if png is not None:
        encoded = base64.b64encode(png).decode("ascii")
        parts.append(f"<img alt=\"metrics of run {html.escape(record.id)}\" "
                     f"src=\"data:image/png;base64,{encoded}\"/>")
    if record.status not in TERMINAL_STATUSES:
        parts.append(f"<p><em>Snapshot taken {_when(datetime.now(timezone.utc).timestamp())} "
                     "while the run was active.</em></p>")
    parts.append("</div>")
    return "".join(parts)


def summary_bundle(store: Store, run_id: str) -> dict[str, Any]:
    """``text/html`` (with the chart inlined) and, if there is a chart, ``image/png``."""
    record = store.get_run(run_id)
    png = chart_png(store, run_id)
    bundle: dict[str, Any] = {"text/html": summary_html(store, record, png)}
    if png is not None:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    return bundle


__all__ = ["chart_png", "final_metrics", "summary_bundle", "summary_html"]
