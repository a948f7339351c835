"""Scoring speed: a tiny scikit-learn model served by jupyter_mlws and, when installed, by
``mlflow models serve``, side by side in one run.

Prints requests/s at 8 and 64 concurrent connections and p50/p99 latency for each server, the
overhead of ours over the model's own time (``run()`` called in-process), and the cost of
request recording (the same service with recording switched off). The load generator is
``wrk`` (Debian package ``wrk``), which runs on the same 2 cores as the servers.

    python benchmarks/bench_serving.py [--seconds 5] [--runs 3]
"""

from __future__ import annotations

import argparse
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
    return {"rps": rps, "p50": pct("50"), "p99": pct("99"),
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


def measure(label: str, url: str, body: str, seconds: float, runs: int) -> dict:
    results = {}
    wrk(url, body, 8, 1)  # warm up
    for connections in (8, 64):
        found = [wrk(url, body, connections, seconds) for _ in range(runs)]
        results[connections] = {k: statistics.median(r[k] for r in found) for k in found[0]}
        r = results[connections]
        print(f"{label:<28} c={connections:<3} {r['rps']:>9,.0f} req/s   p50 {r['p50']:7.2f} ms"
              f"   p99 {r['p99']:7.2f} ms   non-2xx {r['non_2xx']:.0f}")
    return results


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


def serve_mlflow(model, port: int):  # -> Popen | None
    try:
        import mlflow.sklearn
    except ImportError:
        return None
    path = Path(tempfile.mkdtemp()) / "mlflow-model"
    mlflow.sklearn.save_model(model, str(path))
    mlflow_bin = shutil.which("mlflow", path=os.path.dirname(sys.executable))
    # mlflow starts `uvicorn` from PATH: this interpreter's scripts first.
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep
           + os.environ.get("PATH", "")}
    proc = subprocess.Popen([mlflow_bin, "models", "serve", "-m", str(path), "-p", str(port),
                             "--env-manager", "local", "--host", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/ping")
    except BaseException:
        os.killpg(proc.pid, 15)
        raise
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_serving needs wrk (apt-get install wrk)")
    isolated_home("mlws-bench-serving-")
    folder = Path(tempfile.mkdtemp())
    (folder / "score.py").write_text(SCORE)
    model = train(folder)
    own = model_time_ms(model)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)   model's own time (run() in-process): "
          f"{own:.3f} ms")
    on = serve_ours(folder, recording=True)
    try:
        ours = measure("jupyter_mlws (recording)", on.scoring_uri, BODY, args.seconds,
                       args.runs)
    finally:
        on.delete()
    off = serve_ours(folder, recording=False)
    try:
        quiet = measure("jupyter_mlws (no recording)", off.scoring_uri, BODY, args.seconds,
                        args.runs)
    finally:
        off.delete()
    port = free_port()
    proc = serve_mlflow(model, port)
    theirs = None
    if proc is not None:
        try:
            body = json.dumps({"inputs": [[5.1, 3.5, 1.4, 0.2]]})
            theirs = measure("mlflow models serve", f"http://127.0.0.1:{port}/invocations",
                             body, args.seconds, args.runs)
        finally:
            os.killpg(proc.pid, 15)  # mlflow and the uvicorn it started
            proc.wait(30)
    else:
        print("mlflow is not installed: pip install mlflow to compare")
    print()
    figure("overhead over the model's own time, p50 at c=8", ours[8]["p50"] - own, "ms",
           "<= 2 ms")
    for c in (8, 64):
        cost = 100 * (1 - ours[c]["rps"] / quiet[c]["rps"])
        figure(f"monitoring cost at c={c}", cost, "% of req/s", "<= 5 %")
        if theirs:
            figure(f"ours / mlflow requests/s at c={c}", ours[c]["rps"] / theirs[c]["rps"],
                   "x", ">= 5x")
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
