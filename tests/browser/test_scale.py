"""The studio at scale: a run with 50 metrics of 100,000 points each, and an experiment with
10,000 runs. Timings are printed, not asserted (benchmarks print figures, tests check
behaviour)."""

from __future__ import annotations

import time
import uuid

import pytest

from jupyter_mlws.core import Experiment, Workspace

from .conftest import UI, wait_for

pytestmark = pytest.mark.slow

METRICS = 50
POINTS = 100_000
RUNS = 10_000


def test_run_with_50_metrics_of_100k_points_opens_quickly(
        ui: UI, ws_name: str, capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.create(ws_name, show_output=False)
    run = Experiment(ws, "big").start_logging(display_name="big", outputs=False,
                                              snapshot_directory=None)
    store = ws._store
    for m in range(METRICS):
        store.append_metrics([(run.id, f"metric_{m:02d}", "scalar", i, 1000.0 + i,
                               float((i * 7919) % 1000), "") for i in range(POINTS)])
    run.complete()
    started = time.monotonic()
    view = ui.open_run(ws._record.id, run.id)
    clicked = time.monotonic()
    metrics = ui.tab(view, "metrics")
    charts = metrics.locator(".mlws-chart canvas")
    wait_for(lambda: charts.count() == METRICS, timeout=60, what="all 50 charts")
    drawn = time.monotonic()
    in_page_ms = int(metrics.locator(".mlws-tab-metrics").get_attribute("data-load-ms") or 0)
    counts = metrics.locator(".mlws-point-count").all_inner_texts()
    assert counts == [f"{POINTS} points"] * METRICS
    with capsys.disabled():
        print(f"\n[studio] run with {METRICS} metrics x {POINTS:,} points: Metrics tab drawn "
              f"{drawn - clicked:.2f} s after the click ({in_page_ms} ms in page: list, "
              f"{METRICS} downsampled reads, {METRICS} uPlot charts); "
              f"page load to run view {clicked - started:.2f} s")


def test_runs_table_pages_through_10000_runs(
        ui: UI, ws_name: str, capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.create(ws_name, show_output=False)
    exp = Experiment(ws, "many")
    store = ws._store
    for i in range(RUNS):
        store.create_run(ws._record.id, exp.id, run_id=uuid.uuid4().hex, status="Completed",
                         display_name=f"run-{i:05d}", tags={"parity": "even" if i % 2 else "odd"})
    page = ui.page
    ui.open_lab()
    panel = ui.select_workspace(ws._record.id)
    started = time.monotonic()
    panel.get_by_role("button", name="Open runs table of many").click()
    table = page.locator(".mlws-runs-table")
    wait_for(lambda: table.locator(".mlws-runs-count").inner_text() == f"{RUNS} runs",
             what="the run count")
    first_page = time.monotonic()
    rows = table.locator(".mlws-runs-row[data-run-id]")
    # Virtualized: only the visible rows (plus a margin) exist in the page.
    assert 0 < rows.count() < 100
    assert "run-09999" in rows.first.inner_text()  # newest first
    viewport = table.locator(".mlws-runs-viewport")
    scroll_started = time.monotonic()
    viewport.evaluate("v => { v.scrollTop = v.scrollHeight; }")
    wait_for(lambda: table.get_by_text("run-00000", exact=True).count() == 1,
             what="the last run after scrolling to the end")
    scrolled = time.monotonic()
    assert rows.count() < 100
    # Sorting is server-side: ascending by number puts the first run on top.
    viewport.evaluate("v => { v.scrollTop = 0; }")
    table.get_by_role("columnheader", name="Name").click()
    table.get_by_role("columnheader", name="Name").click()
    wait_for(lambda: "run-00000" in rows.first.inner_text(), what="ascending order")
    # Server-side filtering by a value query on a tag.
    table.get_by_label("Query runs").fill("tags.parity = 'odd'")
    table.get_by_label("Query runs").press("Enter")
    wait_for(lambda: table.locator(".mlws-runs-count").inner_text() == f"{RUNS // 2} runs",
             what="the tag filter")
    with capsys.disabled():
        print(f"\n[studio] runs table with {RUNS:,} runs: first page "
              f"{first_page - started:.2f} s, scroll to the end {scrolled - scroll_started:.2f} s")
