"""Shared helpers for the benchmark scripts: an isolated MLWS_HOME, figure printing and a
throwaway `jupyter server` with the extension."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def isolated_home(prefix: str = "mlws-bench-") -> str:
    """Point MLWS_HOME at a fresh temp dir so a benchmark never touches real data."""
    home = tempfile.mkdtemp(prefix=prefix)
    os.environ["MLWS_HOME"] = home
    for key in ("MLWS_DATABASE_URL", "MLWS_STORAGE_URL", "MLWS_TRACKING_URI"):
        os.environ.pop(key, None)
    return home


def figure(label: str, value: float, unit: str, goal: str = "") -> None:
    goal_text = f"   (goal {goal})" if goal else ""
    print(f"{label:<58} {value:>14,.3f} {unit}{goal_text}")


def median_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls, in seconds (the figure the README records)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio_line(label: str, ours: float, other: float, unit: str, better: str) -> None:
    """``label``: ours vs ``other`` as a ratio; ``better`` is "higher" or "lower"."""
    factor = ours / other if better == "higher" else other / ours
    print(f"  {label:<56} {other:>14,.3f} {unit}   ours = {factor:,.2f}x of it")


def median_us(samples_ns: list[int]) -> float:
    return statistics.median(samples_ns) / 1000.0


# ---- a throwaway `jupyter server` (shared by the HTTP benchmarks)

def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, headers: dict[str, str] | None = None,
             timeout: float = 90) -> None:
    """Return once ``url`` answers 200; fail early if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                        timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)  # polling a condition: the port accepting requests
    raise SystemExit(f"{url} did not come up in {timeout} s")


def stop_process(process: subprocess.Popen) -> None:
    """Terminate, then kill if it does not exit within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class JupyterServer:
    """A running throwaway server: its process, address and token."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mlws_url(self) -> str:
        """What MLWS_TRACKING_URI points at."""
        return f"{self.url}/mlws"

    @property
    def api(self) -> str:
        return f"{self.mlws_url}/api/v1"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


@contextmanager
def jupyter_server(home: str | Path, *, extension: bool = True,
                   mlws_config: dict[str, Any] | None = None, log_path: Path | None = None,
                   timeout: float = 90) -> Iterator[JupyterServer]:
    """Start `jupyter server` on a free loopback port with a random token, its own config, data
    and runtime dirs and ``MLWS_HOME=home``; yield once it answers; stop and clean up after.

    ``extension=False`` disables jupyter_mlws (a baseline for memory figures);
    ``mlws_config`` sets traits of the extension (``MlwsApp``), e.g. ``max_upload_bytes``.
    """
    root = Path(tempfile.mkdtemp(prefix="mlws-bench-jupyter-"))
    work = root / "work"
    work.mkdir()
    config: dict[str, Any] = {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": extension}}}
    if mlws_config:
        config["MlwsApp"] = mlws_config
    (root / "jupyter_server_config.json").write_text(json.dumps(config))
    token, port = secrets.token_hex(16), free_port()
    # Only MLWS_HOME reaches the server: a tracking URI or database URL of the benchmark
    # process must not redirect the server's own store.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLWS_")}
    env.update(MLWS_HOME=str(home), JUPYTER_CONFIG_DIR=str(root),
               JUPYTER_DATA_DIR=str(root / "data"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTER_PLATFORM_DIRS="1")
    # The extension is also enabled by the environment's config.d: only the command line
    # outranks that, so a disabled extension is said there too.
    switch = [] if extension else ['--ServerApp.jpserver_extensions={"jupyter_mlws": False}']
    output = log_path.open("wb") if log_path is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", *switch],
        env=env, cwd=root, stdout=output, stderr=subprocess.STDOUT)
    server = JupyterServer(process, port, token, root)
    try:
        probe = f"{server.api}/openapi.json" if extension else f"{server.url}/api/status"
        wait_for(probe, process, server.headers, timeout=timeout)
        yield server
    finally:
        stop_process(process)
        if output is not subprocess.DEVNULL:
            output.close()
        shutil.rmtree(root, ignore_errors=True)


def mlflow_installed() -> bool:
    return shutil.which("mlflow", path=str(Path(sys.executable).parent)) is not None


@contextmanager
def mlflow_server(folder: Path, timeout: float = 180) -> Iterator[str]:
    """`mlflow server` (SQLite backend, one worker) on a free loopback port; yields its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1",
         "--port", str(port), "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--default-artifact-root", str(folder / "artifacts"), "--workers", "1"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/health", process, timeout=timeout)
        yield url
    finally:
        stop_process(process)
