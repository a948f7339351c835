"""Compute figures: submit -> script running on local with a cached environment (with where the
time goes: the submit call and its snapshot, the supervisor's start and imports, the script's
interpreter), each next to a bare ``python -c pass`` and a bare ``subprocess`` start; the same
and the submit call alone on a 2-node compute cluster (its daemon dispatches runs), 50 tiny
runs on that cluster, and environment builds (uv vs venv + pip, cold and warm).

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


def _spawn_ms(argv: list[str], runs: int) -> float:
    """Median wall time of starting ``argv`` and waiting for it, in ms."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _timed(module, name: str, into: dict[str, list[float]]):  # type: ignore[no-untyped-def]
    """Wrap ``module.name`` so each call's duration (ms) lands in ``into[name]``."""
    real = getattr(module, name)

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            into.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    setattr(module, name, wrapper)
    return real


def _lookup_us() -> float:
    """What the supervisor does to find a cached environment (hash the spec, one stat)."""
    from jupyter_mlws.execution.environments import READY, env_hash, envs_root, ready_interpreter

    home = os.environ["MLWS_HOME"]
    spec = {"type": "uv", "python": None, "requirements": ["tabulate"], "pip_options": []}
    ready = envs_root(home) / env_hash(spec)
    ready.mkdir(parents=True, exist_ok=True)
    (ready / READY).write_text("{}")  # a marker only: the lookup is what is measured
    samples = []
    for _ in range(1000):
        started = time.perf_counter_ns()
        assert ready_interpreter(spec, home)
        samples.append(time.perf_counter_ns() - started)
    shutil.rmtree(ready)
    return statistics.median(samples) / 1000


def bench_local(ws, src: Path, runs: int, environment) -> None:
    import jupyter_mlws.core.git_info as git_info
    import jupyter_mlws.core.snapshot as snapshot
    import jupyter_mlws.execution.supervisor as supervisor
    import jupyter_mlws.store.snapshots as snapshots
    from jupyter_mlws.core import Experiment, ScriptRunConfig

    exp = Experiment(ws, "bench-local")
    phases: dict[str, list[float]] = {}
    patched = [(m, n, _timed(m, n, phases)) for m, n in (
        (snapshot, "collect_for_store"), (snapshots, "create_snapshot"),
        (git_info, "git_properties"), (supervisor, "launch"))]
    samples, calls = [], []
    try:
        for i in range(runs + 1):  # the first run warms caches and is not counted
            marker = src / f"started-{i}"
            start = time.time()
            run = exp.submit(ScriptRunConfig(src, "first.py", arguments=[str(marker)],
                                             environment=environment))
            returned = time.time()
            started = _wait_file(marker)
            run.wait_for_completion()
            marker.unlink()
            if i:
                samples.append((started - start) * 1000)
                calls.append((returned - start) * 1000)
    finally:
        for module, name, real in patched:
            setattr(module, name, real)
    bare = _spawn_ms([sys.executable, "-c", "pass"], runs)
    spawn = _spawn_ms(["/bin/true"], runs)
    total = statistics.median(samples)
    figure("limit: bare python -c pass", bare, "ms")
    figure("limit: bare subprocess start (/bin/true)", spawn, "ms")
    figure(f"local submit -> script running, median of {runs} (x{total / bare:.1f} python)",
           total, "ms", "<= 200 ms")
    figure("  the submit call (returns once the supervisor started)",
           statistics.median(calls), "ms")
    for name, label in (("collect_for_store", "listing the source folder"),
                        ("create_snapshot", "snapshot + working copy, one read per file"),
                        ("git_properties", "git properties (one `git status`)"),
                        ("launch", "supervisor spec + process start")):
        figure(f"    {label}", statistics.median(phases[name][1:]), "ms")
    figure("  environment lookup of a cached uv environment", _lookup_us(), "us")
    figure("  supervisor: interpreter + executor imports (python -c import)",
           _spawn_ms([sys.executable, "-c", "import jupyter_mlws.execution.executor"], runs),
           "ms")
    figure("  the script's interpreter start (= python -c pass)", bare, "ms")


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
