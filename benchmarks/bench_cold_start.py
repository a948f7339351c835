"""Cold start and first display, each in a fresh process, next to what the machine itself costs.

Figures (medians of ``--runs`` interleaved rounds, wall time seen by the parent process):

- the limit: a bare ``python -c pass``, and a bare ``subprocess`` start (``/bin/true``);
- ``import jupyter_mlws.core``;
- import + start a run + one point + complete, on a store already at its schema head (the
  issue's "cold start": no migration work) and on a brand-new store (migrations run);
- the first display of a ``Run`` (``_repr_html_``, its link) and of a ``RunDetails``, timed
  inside a fresh process after the run exists (goal <= 0.5 s), with whether jupyter_server got
  imported (it must not be).

Each is printed with its ratio to ``python -c pass``. Whether the installed packages have
compiled bytecode matters a lot (``uv pip install`` without ``--compile-bytecode`` and
``PYTHONDONTWRITEBYTECODE=1`` mean SQLAlchemy is compiled from source on every start); the
script says which it measured.

Usage: python benchmarks/bench_cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import figure

COLD = """
import time
t = time.perf_counter()
from jupyter_mlws.core import Experiment, Workspace
ws = Workspace.create("cold", exist_ok=True, show_output=False)
run = Experiment(ws, "cold").start_logging(snapshot_directory=None, outputs=False)
run.log("loss", 0.5)
run.complete()
"""

DISPLAY = """
import sys, time
from jupyter_mlws.core import Experiment, Workspace
run = Experiment(Workspace.create("shown", exist_ok=True, show_output=False),
                 "e").start_logging(snapshot_directory=None, outputs=False)
run.log("loss", 0.5)
t = time.perf_counter()
run._repr_html_()
run_display = time.perf_counter() - t
t = time.perf_counter()
from jupyter_mlws.widgets import RunDetails
widget = RunDetails(run)
widget._bundle()
widget_display = time.perf_counter() - t
run.complete()
widget.close()
print(run_display, widget_display, "jupyter_server" in sys.modules)
"""


def _wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _bytecode() -> str:
    import sqlalchemy

    cache = Path(sqlalchemy.__file__).parent / "__pycache__"
    compiled = cache.is_dir() and any(cache.iterdir())
    return "compiled (.pyc present)" if compiled else "NOT compiled (sources compiled per start)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mlws-bench-cold-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLWS_")}
    env["MLWS_HOME"] = str(base / "home")
    env["JUPYTER_RUNTIME_DIR"] = str(base / "runtime")  # no server advertises this store
    py = sys.executable
    cases = {
        "bare python -c pass": [py, "-c", "pass"],
        "bare subprocess start (/bin/true)": ["/bin/true"],
        "import jupyter_mlws.core": [py, "-c", "import jupyter_mlws.core"],
        "cold: import + start_logging + 1 point + complete": [py, "-c", COLD],
    }
    _wall(cases["cold: import + start_logging + 1 point + complete"], env)  # store at head
    samples: dict[str, list[float]] = {name: [] for name in cases}
    samples["cold, brand-new store (migrations run)"] = []
    displays: list[tuple[float, float, bool]] = []
    for i in range(args.runs):  # interleaved, so load changes hit every case alike
        for name, argv in cases.items():
            samples[name].append(_wall(argv, env))
        fresh = {**env, "MLWS_HOME": str(base / f"fresh-{i}")}
        samples["cold, brand-new store (migrations run)"].append(_wall([py, "-c", COLD], fresh))
        out = subprocess.run([py, "-c", DISPLAY], env=env, check=True, capture_output=True,
                             text=True).stdout.split()
        displays.append((float(out[0]), float(out[1]), out[2] == "True"))
    print(f"bytecode of the installed packages: {_bytecode()}")
    with open("/proc/loadavg", encoding="ascii") as handle:
        print(f"load average at the end: {' '.join(handle.read().split()[:3])}")
    floor = statistics.median(samples["bare python -c pass"])
    for name, values in samples.items():
        value = statistics.median(values)
        goal = "<= 300 ms" if name.startswith("cold: ") else ""
        figure(f"{name} (x{value / floor:.1f} python -c pass)", value * 1000, "ms", goal)
    figure("first display of a Run (_repr_html_, in a fresh process)",
           statistics.median(d[0] for d in displays) * 1000, "ms", "<= 500 ms")
    figure("first display of a RunDetails (import + create + bundle)",
           statistics.median(d[1] for d in displays) * 1000, "ms", "<= 500 ms")
    print(f"jupyter_server imported by a first display: {any(d[2] for d in displays)}")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
