"""The server extension's figures, over loopback HTTP against a real `jupyter server`:

1. a 1,000,000-point series downsampled to 2,000 points (``GET .../metrics/{name}?max_points``),
   and a 100,000-point series read whole beside MLflow's ``get_metric_history`` when installed;
2. one sorted, tag-filtered page of 50 runs of an experiment with 10,000 runs;
3. 50 concurrent clients polling that page: requests, errors, p50/p95 latency;
4. the extension's idle memory: server RSS with it enabled minus with it disabled;
5. a big artifact uploaded and downloaded streamed, throughput and the server's peak RSS
   growth, beside a plain file copy.

The store is populated in this process (same MLWS_HOME) before the server starts.

Usage: python benchmarks/bench_server.py [--points 1000000] [--runs 10000] [--big-mb 2048]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _common import figure, isolated_home, jupyter_server, mlflow_installed, mlflow_server

MB = 1024 * 1024
METRIC_BATCH = 50_000
PAGE = {"experiment": "many-runs", "order_by": "start_time", "tag": "parity:1", "limit": "50"}


class Fixture:
    """What the benchmarks read: ids of the workspace and of the runs populated up front."""

    def __init__(self, points: int, peer_points: int, runs: int) -> None:
        from jupyter_mlws.core import Experiment, Workspace

        ws = Workspace.create("bench-server", exist_ok=True, show_output=False)
        self.workspace_id: str = ws._record.id
        store = ws._store
        series = Experiment(ws, "series").id
        self.big_series = self._series_run(store, series, "bench_series_big", points)
        self.peer_series = self._series_run(store, series, "bench_series_peer", peer_points)
        self.files_run = store.create_run(self.workspace_id, series, run_id="bench_files",
                                          status="Running").id
        self.peer_points = peer_points
        start = time.perf_counter()
        many = Experiment(ws, "many-runs").id
        for i in range(runs):
            # Running sets start_time, the sort key. Left so (no owner: never reconciled);
            # finishing each run would double the set-up time and not change the query.
            store.create_run(self.workspace_id, many, run_id=f"bench_run_{i:06d}",
                             status="Running", display_name=f"run {i}",
                             tags={"parity": str(i % 2)})
        print(f"(populated {runs:,} runs in {time.perf_counter() - start:.1f} s)")

    def _series_run(self, store: Any, experiment_id: str, run_id: str, points: int) -> str:
        store.create_run(self.workspace_id, experiment_id, run_id=run_id, status="Completed")
        start = time.perf_counter()
        for lo in range(0, points, METRIC_BATCH):
            store.append_metrics([(run_id, "loss", "scalar", i, 1.7e9 + i,
                                   math.sin(i / 1000.0) + i * 1e-6, "")
                                  for i in range(lo, min(points, lo + METRIC_BATCH))])
        print(f"(populated {points:,} points in {time.perf_counter() - start:.1f} s)")
        return run_id


def timed(fn: Callable[[], object], repeat: int, warmup: bool = True) -> list[float]:
    """Wall times in seconds of ``repeat`` calls, after one untimed warm-up call."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def print_times(label: str, times: list[float], goal: str = "") -> None:
    figure(f"{label}: median", statistics.median(times) * 1000, "ms", goal)


# ---- 1. metric series

def bench_series(client: Any, api: str, fx: Fixture, points: int) -> list[float]:
    """Prints the downsampled read; returns the times of full reads of the peer series."""
    url = f"{api}/runs/{fx.big_series}/metrics/loss"

    def downsampled() -> None:
        response = client.get(url, params={"max_points": 2000})
        response.raise_for_status()
        body = response.json()
        assert 2 <= len(body["value"]) <= 2000, len(body["value"])

    print_times(f"{points:,} -> 2,000 points over HTTP (10 requests)", timed(downsampled, 10),
                "<= 100 ms")

    peer_url = f"{api}/runs/{fx.peer_series}/metrics/loss"

    def full() -> None:
        response = client.get(peer_url)
        response.raise_for_status()
        assert len(response.json()["value"]) == fx.peer_points

    return timed(full, 5)


class MlflowPeer:
    """MLflow's server with one ``points``-point metric logged through ``log_batch`` (chunks of
    1,000). Logging is slow (MLflow's cost, not a figure here), so it runs in a thread while
    this process populates its own store; ``history_times`` is measured afterwards, alone."""

    def __init__(self, folder: Path, points: int) -> None:
        self.folder, self.points = folder, points
        self._stack = ExitStack()
        self._error: BaseException | None = None
        self._note = ""
        self._thread = threading.Thread(target=self._log, daemon=True)
        self._thread.start()

    def _log(self) -> None:
        try:
            from mlflow.entities import Metric
            from mlflow.tracking import MlflowClient

            url = self._stack.enter_context(mlflow_server(self.folder))
            self.client = MlflowClient(tracking_uri=url)
            self.run_id = self.client.create_run(
                self.client.create_experiment("bench")).info.run_id
            start = time.perf_counter()
            for lo in range(0, self.points, 1000):
                self.client.log_batch(self.run_id, metrics=[
                    Metric("loss", math.sin(i / 1000.0) + i * 1e-6, 1_700_000_000_000 + i, i)
                    for i in range(lo, min(self.points, lo + 1000))])
            self._note = (f"(logged {self.points:,} points to MLflow with log_batch in "
                          f"{time.perf_counter() - start:.1f} s)")
        except BaseException as exc:  # re-raised in the main thread by wait_logged()
            self._error = exc

    def wait_logged(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error
        print(self._note)

    def history_times(self) -> list[float]:
        def history() -> None:
            assert len(self.client.get_metric_history(self.run_id, "loss")) == self.points

        return timed(history, 3, warmup=False)  # seconds each: a warm-up adds nothing

    def close(self) -> None:
        self._thread.join()
        self._stack.close()


# ---- 2 and 3. run pages

def bench_page(client: Any, api: str, fx: Fixture, runs: int) -> None:
    url = f"{api}/workspaces/{fx.workspace_id}/runs"

    def page() -> None:
        response = client.get(url, params=PAGE)
        response.raise_for_status()
        body = response.json()
        assert len(body["runs"]) == 50 and body["total"] == runs // 2, body["total"]

    print_times(f"sorted, tag-filtered page of 50 of {runs:,} runs (10 requests)",
                timed(page, 10), "<= 100 ms")


def bench_concurrent(api: str, headers: dict[str, str], fx: Fixture, clients: int,
                     polls: int) -> None:
    import httpx

    url = f"{api}/workspaces/{fx.workspace_id}/runs"
    latencies: list[float] = []
    errors: list[str] = []

    async def one_client(start: asyncio.Event) -> None:
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            await start.wait()
            for _ in range(polls):
                began = time.perf_counter()
                try:
                    response = await client.get(url, params=PAGE)
                    if response.status_code != 200:
                        errors.append(f"HTTP {response.status_code}")
                    else:
                        response.json()
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                latencies.append(time.perf_counter() - began)

    async def all_clients() -> float:
        start = asyncio.Event()
        tasks = [asyncio.create_task(one_client(start)) for _ in range(clients)]
        await asyncio.sleep(0)  # let every client reach the start line first
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - began

    elapsed = asyncio.run(all_clients())
    print(f"{clients} concurrent clients x {polls} polls of the run page "
          f"(asyncio + httpx, one connection each)")
    figure("  requests", len(latencies), "")
    figure("  errors", len(errors), "", "0")
    figure("  throughput", len(latencies) / elapsed, "requests/s")
    figure("  latency p50", statistics.median(latencies) * 1000, "ms")
    figure("  latency p95", statistics.quantiles(latencies, n=20)[-1] * 1000, "ms")
    if errors:
        print(f"  first error: {errors[0]}")


# ---- 4. idle memory

def server_rss(pid: int) -> int:
    import psutil

    return psutil.Process(pid).memory_info().rss


def bench_idle_memory(home: str, enabled_rss: int) -> None:
    import httpx

    with jupyter_server(home, extension=False) as bare:
        httpx.get(f"{bare.url}/api/status", headers=bare.headers).raise_for_status()
        bare_rss = server_rss(bare.process.pid)
    figure("server RSS, extension enabled (startup + 1 request)", enabled_rss / MB, "MB")
    figure("server RSS, extension disabled (startup + 1 request)", bare_rss / MB, "MB")
    figure("extension's idle memory (difference)", (enabled_rss - bare_rss) / MB, "MB",
           "<= 50 MB")


# ---- 5. big files

class RssSampler:
    """Samples a process's RSS every 50 ms in a thread; ``peak`` is the largest seen."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssSampler:
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / MB


def read_chunks(path: Path, chunk: int = MB) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while data := stream.read(chunk):
            yield data


def print_ratios(rate: float, references: dict[str, float]) -> None:
    for label, reference in references.items():
        figure(f"  ratio to {label}", rate / reference * 100, "%", ">= 80%")


def bench_big_file(client: Any, api: str, pid: int, fx: Fixture, big_mb: int,
                   scratch: Path) -> None:
    size = big_mb * MB
    source = scratch / "big.bin"
    with source.open("wb") as stream:
        stream.truncate(size)  # sparse: no disk or memory spent generating it
    copy = scratch / "copy.bin"

    def chunked_copy() -> None:
        with source.open("rb") as reader, copy.open("wb") as writer:
            while data := reader.read(MB):
                writer.write(data)

    # Two references: the kernel's copy (sendfile, no user-space buffers) and the loop a user
    # would write. Median of 3 each, since the page cache's writeback state makes either vary.
    references = {}
    for label, copier in (("shutil.copyfile", lambda: shutil.copyfile(source, copy)),
                          ("1 MB read/write loop", chunked_copy)):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            copier()
            times.append(time.perf_counter() - start)
            copy.unlink()
        references[label] = big_mb / statistics.median(times)
        figure(f"plain copy of {big_mb:,} MB, {label} (reference)", references[label], "MB/s")

    url = f"{api}/runs/{fx.files_run}/artifacts/content/big.bin"
    with RssSampler(pid) as sampler:
        start = time.perf_counter()
        # A generator body streams; the explicit length avoids chunked transfer encoding.
        response = client.put(url, content=read_chunks(source), timeout=None,
                              headers={"Content-Length": str(size),
                                       "Content-Type": "application/octet-stream"})
        response.raise_for_status()
        up_rate = big_mb / (time.perf_counter() - start)
    assert response.json()["size"] == size
    figure(f"upload {big_mb:,} MB, streamed PUT", up_rate, "MB/s")
    print_ratios(up_rate, references)
    figure("  server peak RSS growth during upload", sampler.growth_mb, "MB", "a few MB")
    source.unlink()

    received = 0
    with RssSampler(pid) as sampler, open(os.devnull, "wb") as sink:
        start = time.perf_counter()
        with client.stream("GET", url, timeout=None) as response:
            response.raise_for_status()
            for chunk in response.iter_raw(MB):
                sink.write(chunk)
                received += len(chunk)
        down_rate = big_mb / (time.perf_counter() - start)
    assert received == size, received
    figure(f"download {big_mb:,} MB, streamed GET to /dev/null", down_rate, "MB/s")
    print_ratios(down_rate, references)
    figure("  server peak RSS growth during download", sampler.growth_mb, "MB", "a few MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--peer-points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--big-mb", type=int, default=2048)
    args = parser.parse_args()
    began = time.perf_counter()
    home = isolated_home()
    scratch = Path(tempfile.mkdtemp(prefix="mlws-bench-server-"))
    peer = MlflowPeer(scratch / "mlflow", args.peer_points) if mlflow_installed() else None
    try:
        import httpx

        fx = Fixture(args.points, args.peer_points, args.runs)
        if peer is not None:
            peer.wait_logged()  # nothing else may compete for the CPU while we measure
        config = {"max_upload_bytes": args.big_mb * MB + MB}
        with jupyter_server(home, mlws_config=config) as server, httpx.Client(
                headers=server.headers, timeout=60) as client:
            # Idle memory first: right after startup and one request that opens the store.
            client.get(f"{server.api}/workspaces").raise_for_status()
            enabled_rss = server_rss(server.process.pid)
            ours_full = bench_series(client, server.api, fx, args.points)
            bench_page(client, server.api, fx, args.runs)
            bench_concurrent(server.api, server.headers, fx, args.clients, args.polls)
            bench_big_file(client, server.api, server.process.pid, fx, args.big_mb, scratch)
        bench_idle_memory(home, enabled_rss)
        print_times(f"full read of {args.peer_points:,} points over HTTP (5 requests)",
                    ours_full)
        if peer is None:
            print("mlflow is not installed: no peer figure")
        else:
            theirs = peer.history_times()
            print_times(f"MLflow get_metric_history, {args.peer_points:,} points (3 calls)",
                        theirs)
            figure(f"full read of {args.peer_points:,} points: MLflow time / ours",
                   statistics.median(theirs) / statistics.median(ours_full), "x")
    finally:
        if peer is not None:
            peer.close()
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    print(f"(whole script: {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
