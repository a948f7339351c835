"""Compute figures: submit -> script running on local with a cached environment, the same and
the submit call alone on a 2-node compute cluster (its daemon dispatches runs), 50 tiny runs on
that cluster, and environment builds (uv vs venv + pip, cold and warm).

Usage: python benchmarks/bench_compute.py [--runs 10] [--cluster-runs 50] [--package tabulate]
The cluster part needs the dask extra; the build part needs PyPI (skipped with --no-builds).
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

from _common import figure, isolated_home

FIRST_LINE = "import sys, time\nopen(sys.argv[1], 'w').write(repr(time.time()))\n"
TINY = "print('tiny')\n"


def _wait_file(path: Path, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = path.read_text()
            if text:
                return float(text)
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} was not written")
        time.sleep(0.002)


def bench_local(ws, src: Path, runs: int, environment) -> None:
    from jupyter_mlws.core import Experiment, ScriptRunConfig

    exp = Experiment(ws, "bench-local")
    samples = []
    for i in range(runs + 1):  # the first run warms caches and is not counted
        marker = src / f"started-{i}"
        start = time.time()
        run = exp.submit(ScriptRunConfig(src, "first.py", arguments=[str(marker)],
                                         environment=environment))
        started = _wait_file(marker)
        run.wait_for_completion()
        if i:
            samples.append((started - start) * 1000)
    figure(f"local submit -> script running, median of {runs}",
           statistics.median(samples), "ms", "<= 300 ms")


def bench_cluster(ws, src: Path, count: int, latency_runs: int) -> None:
    from jupyter_mlws.core import ComputeTarget, Experiment, ScriptRunConfig
    from jupyter_mlws.core.compute import AmlCompute

    started = time.perf_counter()
    cluster = ComputeTarget.create(ws, "bench", AmlCompute.provisioning_configuration(
        vm_size="Standard_DS2_v2", min_nodes=2, max_nodes=2))
    try:
        cluster.wait_for_completion(min_node_count=2)
        figure("cluster create -> 2 nodes ready", time.perf_counter() - started, "s")
        exp = Experiment(ws, "bench-cluster")
        calls, to_script = [], []
        for i in range(latency_runs + 1):  # the first run warms caches and is not counted
            marker = src / f"cluster-started-{i}"
            start = time.time()
            run = exp.submit(ScriptRunConfig(src, "first.py", arguments=[str(marker)],
                                             compute_target=cluster))
            returned = time.time()
            started_at = _wait_file(marker)
            run.wait_for_completion()
            if i:
                calls.append((returned - start) * 1000)
                to_script.append((started_at - start) * 1000)
        figure(f"cluster submit call, median of {latency_runs}", statistics.median(calls), "ms",
               "~ local submit")
        figure(f"cluster submit -> script running, median of {latency_runs}",
               statistics.median(to_script), "ms")
        started = time.perf_counter()
        runs = [exp.submit(ScriptRunConfig(src, "tiny.py", compute_target=cluster))
                for _ in range(count)]
        submitted = time.perf_counter() - started
        statuses = [r.wait_for_completion(wait_post_processing=True,
                                                raise_on_error=False)["status"] for r in runs]
        total = time.perf_counter() - started
        assert statuses.count("Completed") == count, statuses
        figure(f"{count} tiny runs on a 2-node cluster: submit all", submitted, "s")
        figure(f"{count} tiny runs on a 2-node cluster: total wall", total, "s",
               "a few seconds")
    finally:
        cluster.delete()


def _uv_build(spec: dict, home: str, cache: str) -> float:
    from jupyter_mlws.execution.environments import ensure_environment, prune

    prune(home)  # the environment itself is rebuilt; only the download cache stays warm
    os.environ["UV_CACHE_DIR"] = cache
    started = time.perf_counter()
    ensure_environment(spec, home)
    return time.perf_counter() - started


def _pip_build(package: str, cache: str) -> float:
    target = tempfile.mkdtemp(prefix="bench-pip-")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", target], check=True)
    subprocess.run([os.path.join(target, "bin", "python"), "-m", "pip", "install", "-q",
                    "--cache-dir", cache, "--disable-pip-version-check", package],
                   check=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(target, ignore_errors=True)
    return elapsed


def bench_builds(home: str, package: str) -> None:
    from jupyter_mlws.core.conda_dependencies import CondaDependencies

    spec = CondaDependencies.create(pip_packages=[package], pin_sdk_version=False,
                                    python_version=None)._pip_build_spec()
    uv_cache = tempfile.mkdtemp(prefix="bench-uv-cache-")
    pip_cache = tempfile.mkdtemp(prefix="bench-pip-cache-")
    try:
        figure(f"uv env build ({package}), cold cache", _uv_build(spec, home, uv_cache), "s")
        figure(f"uv env build ({package}), warm cache", _uv_build(spec, home, uv_cache), "s")
        figure(f"venv + pip install ({package}), cold cache", _pip_build(package, pip_cache),
               "s")
        figure(f"venv + pip install ({package}), warm cache", _pip_build(package, pip_cache),
               "s")
    finally:
        shutil.rmtree(uv_cache, ignore_errors=True)
        shutil.rmtree(pip_cache, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cluster-runs", type=int, default=50)
    parser.add_argument("--package", default="tabulate")
    parser.add_argument("--no-builds", action="store_true")
    parser.add_argument("--no-cluster", action="store_true")
    args = parser.parse_args()
    home = isolated_home()

    from jupyter_mlws.core import Workspace

    ws = Workspace.create("bench-compute", show_output=False)
    src = Path(tempfile.mkdtemp(prefix="bench-src-"))
    (src / "first.py").write_text(FIRST_LINE)
    (src / "tiny.py").write_text(TINY)
    bench_local(ws, src, args.runs, None)
    if not args.no_cluster:
        bench_cluster(ws, src, args.cluster_runs, args.runs)
    if not args.no_builds:
        bench_builds(home, args.package)
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
