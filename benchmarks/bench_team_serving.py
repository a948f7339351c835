"""Scoring through the front of a team's inference cluster on Dask: a tiny scikit-learn model,
2 replicas on 2 ``dask worker`` processes of this machine, requests/s and p50/p99 at 8 and 64
concurrent connections through the front, against one replica's own port (no front) -- what
the hop costs. The load generator is ``wrk``, on the same 2 cores.

    python benchmarks/bench_team_serving.py [--seconds 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, free_port, isolated_home
from bench_serving import BODY, SCORE, measure, train

BIN = Path(sys.executable).parent


def start_cluster(root: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                               address.rsplit(":", 1)[1], "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    for n in range(workers):
        folder = root / f"w{n}"
        folder.mkdir()
        procs.append(subprocess.Popen(
            [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    with Client(address, timeout="60s", set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_team_serving needs wrk (apt-get install wrk)")
    isolated_home("mlws-bench-team-")
    folder = Path(tempfile.mkdtemp())
    (folder / "score.py").write_text(SCORE)
    train(folder)
    address, procs = start_cluster(Path(tempfile.mkdtemp()), 2)
    try:
        from jupyter_mlws.core import Workspace
        from jupyter_mlws.core.compute import ComputeTarget, DaskCompute
        from jupyter_mlws.core.model import InferenceConfig, Model
        from jupyter_mlws.core.webservice import AksWebservice

        ws = Workspace.create("bench-team", exist_ok=True, show_output=False)
        target = ComputeTarget.attach(ws, "team", DaskCompute.attach_configuration(address))
        model = Model.register(ws, folder / "model.pkl", "tiny")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            service = Model.deploy(ws, "bench-team", [model], InferenceConfig(
                entry_script="score.py", source_directory=str(folder)),
                AksWebservice.deploy_configuration(num_replicas=2, auth_enabled=False),
                deployment_target=target, overwrite=True)
        service.wait_for_deployment()
        try:
            print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
            front = measure("through the front (2 replicas)", service.scoring_uri, BODY,
                            args.seconds, args.runs)
            one = service.replicas[0]["url"] + "/score"
            direct = measure("one replica's own port", one, BODY, args.seconds, args.runs)
        finally:
            service.delete()
        print()
        figure("the front's p50 added at c=8", front[8]["p50"] - direct[8]["p50"], "ms")
        for c in (8, 64):
            figure(f"front (2 replicas) / one replica requests/s at c={c}",
                   front[c]["rps"] / direct[c]["rps"], "x")
        print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")
    finally:
        for proc in reversed(procs):
            proc.terminate()
        deadline = time.monotonic() + 20
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
