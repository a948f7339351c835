"""Scoring speed: a tiny scikit-learn model served by jupyter_mlws and, when available, by
``mlflow models serve``, side by side in one run.

Prints, at 1, 8 and 64 concurrent connections, requests/s and p50/p99 latency of each server
and the server processes' CPU time per request (less sensitive to the machine's load than
requests/s, though contention still inflates it), the overhead of ours over the model's own
time (``run()`` called in-process) at c=1, the cost of request recording (the same service
with recording switched off), and ours / MLflow. All servers run at once and the runs are
interleaved (every server at every concurrency, then the next run, which starts with the next
server), so a change in the machine's load hits all of them alike; figures are medians over
the runs. The load generator is ``wrk`` (Debian package ``wrk``), on the same cores.

MLflow is not a dependency of the project: give the interpreter of a separate virtualenv that
has it (``uv venv /tmp/mlflow-venv && uv pip install --python /tmp/mlflow-venv/bin/python
mlflow scikit-learn``) with ``--mlflow-python`` or ``MLWS_BENCH_MLFLOW_PYTHON``; without it
(and no ``mlflow`` beside this interpreter) only ours is measured.

    python benchmarks/bench_serving.py [--seconds 4] [--runs 5] [--mlflow-python PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, free_port, isolated_home

BODY = json.dumps({"data": [[5.1, 3.5, 1.4, 0.2]]})
SCORE = """
import json, os, pickle
import numpy as np
def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"), "rb") as f:
        model = pickle.load(f)
def run(raw_data):
    return model.predict(np.asarray(json.loads(raw_data)["data"])).tolist()
"""


def train(folder: Path):  # -> the fitted model
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    return model


def model_time_ms(model) -> float:
    """Median of run()'s own work, in-process: parse, predict, to list."""
    import numpy as np

    samples = []
    for _ in range(2000):
        start = time.perf_counter()
        model.predict(np.asarray(json.loads(BODY)["data"])).tolist()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def wrk(url: str, body: str, connections: int, seconds: float) -> dict[str, float]:
    script = Path(tempfile.mkdtemp()) / "post.lua"
    script.write_text(f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}\n"
                      "wrk.headers['Content-Type'] = 'application/json'\n")
    duration = f"{max(1, round(seconds))}s"
    out = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", duration,
                          "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = float(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "requests": requests, "p50": pct("50"), "p99": pct("99"),
            "non_2xx": float(errors.group(1)) if errors else 0.0}


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


CONNECTIONS = (1, 8, 64)


class Server:
    """One server under test: its URL, body, and the processes whose CPU time it spends."""

    def __init__(self, label: str, url: str, body: str, pids: list[int]) -> None:
        self.label, self.url, self.body, self.pids = label, url, body, pids
        self.found: dict[int, list[dict[str, float]]] = {c: [] for c in CONNECTIONS}

    def cpu_seconds(self) -> float:
        import psutil

        found: dict[int, psutil.Process] = {}
        for pid in self.pids:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                found.update((p.pid, p) for p in [proc, *proc.children(recursive=True)])
        total = 0.0
        for proc in found.values():  # each once (a replica is also its daemon's child)
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def run(self, connections: int, seconds: float) -> None:
        before = self.cpu_seconds()
        result = wrk(self.url, self.body, connections, seconds)
        result["cpu_us"] = (self.cpu_seconds() - before) / max(result["requests"], 1) * 1e6
        self.found[connections].append(result)

    def median(self, connections: int) -> dict[str, float]:
        found = self.found[connections]
        return {k: statistics.median(r[k] for r in found) for k in found[0]}


def measure(servers: list[Server], seconds: float, runs: int) -> None:
    """Every server at every concurrency, ``runs`` times, interleaved and rotated."""
    for server in servers:
        wrk(server.url, server.body, 8, 1)  # warm up
    for run in range(runs):
        for connections in CONNECTIONS:
            # Each run starts with the next server: none is always measured first.
            for server in servers[run % len(servers):] + servers[:run % len(servers)]:
                server.run(connections, seconds)
        print(f"run {run + 1}/{runs} done, load {os.getloadavg()[0]:.2f}", flush=True)


def report(servers: list[Server]) -> None:
    print(f"\n{'server':<28} {'c':>3} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'CPU us/req':>10} {'non-2xx':>7}")
    for server in servers:
        for c in CONNECTIONS:
            r = server.median(c)
            print(f"{server.label:<28} {c:>3} {r['rps']:>9,.0f} {r['p50']:>8.2f} "
                  f"{r['p99']:>8.2f} {r['cpu_us']:>10.0f} {r['non_2xx']:>7.0f}")


def serve_ours(folder: Path, recording: bool):  # -> service
    from jupyter_mlws.core import Workspace
    from jupyter_mlws.core.environment import default_environment
    from jupyter_mlws.core.model import InferenceConfig, Model
    from jupyter_mlws.core.webservice import LocalWebservice

    ws = Workspace.create("bench-serving", exist_ok=True, show_output=False)
    model = Model.register(ws, folder / "model.pkl", "tiny")
    env = default_environment()
    if not recording:
        env.environment_variables = {"MLWS_SERVICE_RECORDING": "off"}
    name = "bench-on" if recording else "bench-off"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        service = Model.deploy(ws, name, [model], InferenceConfig(
            entry_script="score.py", source_directory=str(folder), environment=env),
            LocalWebservice.deploy_configuration(), overwrite=True)
    service.wait_for_deployment()
    return service


def mlflow_python(given: str | None) -> str | None:
    """The interpreter to run MLflow with: given, or this one when it has mlflow."""
    if given:
        return given
    if shutil.which("mlflow", path=os.path.dirname(sys.executable)):
        return sys.executable
    return None


def serve_mlflow(python: str, folder: Path, port: int) -> subprocess.Popen:
    """``mlflow models serve`` of the pickled model, run by ``python``'s virtualenv."""
    path = Path(tempfile.mkdtemp()) / "mlflow-model"
    subprocess.run([python, "-c", "import pickle, sys, mlflow.sklearn; mlflow.sklearn."
                    "save_model(pickle.load(open(sys.argv[1], 'rb')), sys.argv[2])",
                    str(folder / "model.pkl"), str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    bin_dir = os.path.dirname(python)
    # mlflow starts `uvicorn` from PATH: its virtualenv's scripts first.
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.Popen([os.path.join(bin_dir, "mlflow"), "models", "serve", "-m",
                             str(path), "-p", str(port), "--env-manager", "local", "--host",
                             "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/ping")
    except BaseException:
        os.killpg(proc.pid, 15)
        raise
    return proc


def service_pids(service) -> list[int]:  # its replicas and their daemon
    import psutil

    pids = [r["pid"] for r in service.replicas if r.get("pid")]
    with contextlib.suppress(psutil.Error, IndexError):
        pids.append(psutil.Process(pids[0]).ppid())
    return pids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mlflow-python", default=os.environ.get("MLWS_BENCH_MLFLOW_PYTHON"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_serving needs wrk (apt-get install wrk)")
    isolated_home("mlws-bench-serving-")
    folder = Path(tempfile.mkdtemp())
    (folder / "score.py").write_text(SCORE)
    model = train(folder)
    own = model_time_ms(model)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)   model's own time (run() in-process): "
          f"{own:.3f} ms", flush=True)
    services, servers, proc = [], [], None
    try:
        for recording in (True, False):
            service = serve_ours(folder, recording)
            services.append(service)
            servers.append(Server(f"jupyter_mlws ({'' if recording else 'no '}recording)",
                                  service.scoring_uri, BODY, service_pids(service)))
        python = mlflow_python(args.mlflow_python)
        if python is not None:
            port = free_port()
            proc = serve_mlflow(python, folder, port)
            servers.append(Server("mlflow models serve", f"http://127.0.0.1:{port}/invocations",
                                  json.dumps({"inputs": [[5.1, 3.5, 1.4, 0.2]]}), [proc.pid]))
        else:
            print("mlflow not found: give --mlflow-python (a virtualenv with mlflow and "
                  "scikit-learn) to compare")
        measure(servers, args.seconds, args.runs)
    finally:
        for service in services:
            service.delete()
        if proc is not None:
            os.killpg(proc.pid, 15)  # mlflow and the uvicorn it started
            proc.wait(30)
    report(servers)
    ours, quiet = servers[0], servers[1]
    theirs = servers[2] if len(servers) > 2 else None
    print()
    figure("overhead over the model's own time, p50 at c=1", ours.median(1)["p50"] - own,
           "ms", "<= 2 ms")
    for c in CONNECTIONS:
        cost = 100 * (1 - ours.median(c)["rps"] / quiet.median(c)["rps"])
        figure(f"monitoring cost at c={c}", cost, "% of req/s", "<= 5 %")
        cpu = 100 * (ours.median(c)["cpu_us"] / quiet.median(c)["cpu_us"] - 1)
        figure(f"  the same, as server CPU per request, c={c}", cpu, "%")
    if theirs is not None:
        for c in CONNECTIONS:
            figure(f"ours / mlflow requests/s at c={c}",
                   ours.median(c)["rps"] / theirs.median(c)["rps"], "x", ">= 5x")
            figure(f"  mlflow / ours server CPU per request, c={c}",
                   theirs.median(c)["cpu_us"] / ours.median(c)["cpu_us"], "x")
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
