"""The studio in Chromium with a 10,000-run experiment of 20 parameters: how long the runs
table takes to open (first rows and the count shown) and the analysis panel to draw its
parallel coordinates of every run (10,000 lines over 20 parameters and 2 metrics).

Goals (issue 14): table < 1 s, parallel coordinates < 2 s, on this 2-core machine.

Usage: python benchmarks/bench_studio.py [--runs 10000] [--repeat 3]
Needs the built front end (jlpm build), Chromium (/usr/bin/chromium or MLWS_CHROMIUM) and
playwright (the test extra).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import figure, free_port, isolated_home, stop_process, wait_for

CHROMIUM = os.environ.get("MLWS_CHROMIUM", "/usr/bin/chromium")
PARAMETERS = 20


def seed(runs: int) -> str:
    """An experiment of ``runs`` finished runs; each has 20 parameters (script arguments:
    10 floats, 5 ints, 5 categories) and two metrics. Returns the workspace id."""
    from jupyter_mlws.core import Experiment, Workspace

    ws = Workspace.create("bench-studio", exist_ok=True, show_output=False)
    exp = Experiment(ws, "many")
    store = ws._store
    rng = random.Random(7)
    started = time.perf_counter()
    points = []
    for i in range(runs):
        args: list[str | float | int] = []
        for p in range(PARAMETERS):
            value: str | float | int
            if p < 10:
                value = round(10 ** rng.uniform(-5, 0), 6)
            elif p < 15:
                value = rng.choice([16, 32, 64, 128])
            else:
                value = rng.choice(["adam", "sgd", "rmsprop"])
            args += [f"--p{p:02d}", value]
        run_id = uuid.uuid4().hex
        store.create_run(ws._record.id, exp.id, run_id=run_id, status="Completed",
                         run_type="azureml.scriptrun", display_name=f"trial-{i:05d}",
                         run_definition={"script": "train.py", "arguments": args})
        points += [(run_id, "accuracy", "scalar", None, time.time(), rng.random(), ""),
                   (run_id, "loss", "scalar", None, time.time(), rng.random(), "")]
    store.append_metrics(points)
    figure(f"seeding {runs:,} runs (create_run each)", time.perf_counter() - started, "s")
    return ws._record.id


def start_lab(home: str) -> tuple[subprocess.Popen, str, Path]:
    base = Path(tempfile.mkdtemp(prefix="mlws-bench-lab-"))
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    (base / "root").mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLWS_")}
    env.update(MLWS_HOME=home, JUPYTER_PLATFORM_DIRS="1")
    log = (base / "lab.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
         "--ServerApp.allow_root=True", f"--ServerApp.root_dir={base / 'root'}",
         f"--LabApp.user_settings_dir={base / 'settings'}",
         f"--LabApp.workspaces_dir={base / 'workspaces'}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=base / "root")
    url = f"http://127.0.0.1:{port}/"
    wait_for(f"{url}mlws/api/v1/workspaces", process)
    return process, url, base


def measure(url: str, workspace_id: str, runs: int, repeat: int) -> tuple[list[float],
                                                                          list[float]]:
    from playwright.sync_api import sync_playwright

    tables: list[float] = []
    parallels: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        for attempt in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(60000)
            page.goto(f"{url}lab/workspaces/bench{attempt}", timeout=120000)
            page.wait_for_selector(".jp-SideBar [data-id='mlws-panel']")
            page.locator(".jp-SideBar [data-id='mlws-panel']").click()
            select = page.locator("#mlws-panel select.mlws-ws-select")
            select.locator(f"option[value='{workspace_id}']").wait_for(state="attached")
            select.select_option(workspace_id)
            page.locator(f".mlws-panel-body[data-workspace-id='{workspace_id}']").wait_for()
            button = page.get_by_role("button", name="Open runs table of many")
            started = time.perf_counter()
            button.click()
            table = page.locator(".mlws-runs-table")
            table.locator(".mlws-runs-row[data-run-id]").first.wait_for()
            page.wait_for_function(
                "n => document.querySelector('.mlws-runs-table .mlws-runs-count')"
                "?.textContent === n", arg=f"{runs} runs")
            tables.append(time.perf_counter() - started)
            started = time.perf_counter()
            table.get_by_label("Show analysis").check()
            page.wait_for_function(
                "n => document.querySelector('.mlws-runs-table .mlws-parallel')"
                "?.dataset.lines === n", arg=str(runs))
            parallels.append(time.perf_counter() - started)
            sweep = table.locator(".mlws-sweep")
            # The read's request as the page's resource timing saw it (request sent -> first
            # and last byte): the rest of the read is the page's own work (JSON parsing).
            total, first, size = page.evaluate(
                "() => performance.getEntriesByType('resource')"
                ".filter(e => e.name.includes('run-values') && e.name.includes('limit=100000'))"
                ".map(e => [Math.round(e.responseEnd - e.startTime),"
                " Math.round(e.responseStart - e.startTime), e.encodedBodySize]).pop()")
            print(f"  round {attempt + 1}: {table.locator('.mlws-pc-label').count()} axes; "
                  f"in the page {sweep.get_attribute('data-load-ms')} ms: "
                  f"read {sweep.get_attribute('data-read-ms')} ms, drawn in "
                  f"{sweep.get_attribute('data-draw-ms')} ms (in the page); of the read, "
                  f"run-values {total} ms (first byte {first} ms, {size / 1e6:.1f} MB)")
            # A fresh page each round: nothing cached by the previous one.
            table.get_by_label("Show analysis").uncheck()
            page.close()
        browser.close()
    return tables, parallels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--home", help="reuse the MLWS_HOME an earlier run seeded (printed)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}")
    if args.home:
        os.environ["MLWS_HOME"] = home = args.home
        from jupyter_mlws.core import Workspace

        workspace_id = Workspace.get("bench-studio")._record.id
    else:
        home = isolated_home()
        workspace_id = seed(args.runs)
        print(f"(seeded MLWS_HOME: {home}; --home reuses it)")
    process, url, base = start_lab(home)
    try:
        tables, parallels = measure(url, workspace_id, args.runs, args.repeat)
    finally:
        stop_process(process)
    figure(f"runs table of {args.runs:,} runs: click -> rows and count (median)",
           statistics.median(tables), "s", "< 1 s")
    figure(f"parallel coordinates of {args.runs:,} runs x {PARAMETERS} parameters (median)",
           statistics.median(parallels), "s", "< 2 s")
    print(f"(lab log: {base / 'lab.log'})")


if __name__ == "__main__":
    main()
