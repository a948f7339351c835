"""Helpers shared by the test modules: waiting on a condition, loopback ports, server
subprocesses, and the widget's ES module while the front end is unbuilt.

Import as ``from tests.helpers import wait_until`` (pytest's importlib mode resolves ``tests``).
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

TEST_ESM = "export default { render({ model, el }) { el.textContent = model.get('run_id'); } };\n"


def wait_until(condition: Callable[[], T], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy and return that; fail the test
    (AssertionError) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(interval)  # polling a condition, not synchronizing


def step_wall_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Simulate a wall-clock step of ``seconds`` in this process: ``time.time`` moves, and so
    does psutil's boot time (derived from the wall clock on Linux), hence every create time
    psutil reports. Monotonic clocks and /proc start ticks do not move, as on a real step."""
    import psutil

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + seconds)
    if sys.platform.startswith("linux"):
        import psutil._pslinux as pslinux  # psutil.boot_time and create_time read this one

        real_linux_boot = pslinux.boot_time
        monkeypatch.setattr(pslinux, "boot_time", lambda: real_linux_boot() + seconds)
    else:
        real_boot = psutil.boot_time
        monkeypatch.setattr(psutil, "boot_time", lambda: real_boot() + seconds)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log: Path, *, token: str = "",
                  timeout: float = 60.0) -> None:
    """Wait until ``url`` answers 200; fail at once, with the log's tail, if ``process``
    (the server) exits first."""
    headers = {"Authorization": f"token {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}: "
                                 f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200
        except OSError:  # not listening yet, or an error status while it starts
            return False

    wait_until(answers, timeout, 0.1, f"{url} answering")


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class JupyterServer:
    base_url: str  # http://127.0.0.1:<port>
    token: str
    process: subprocess.Popen
    log: Path


@contextmanager
def jupyter_server(folder: Path, env: Mapping[str, str], *, timeout: float = 60.0,
                   ready_path: str = "/mlws/api/v1/openapi.json",
                   runtime_dir: Path | None = None, bin_dir: Path | None = None,
                   enable_extension: bool = True,
                   args: Sequence[str] = ()) -> Iterator[JupyterServer]:
    """A real ``jupyter server`` with the jupyter_mlws extension on a free loopback port and a
    random token, its config, data, runtime (unless ``runtime_dir``) and root folders under
    ``folder``; up (``ready_path`` answers) on entry, stopped on exit. ``env`` is the whole
    environment (MLWS_HOME included). ``bin_dir`` is another installation's scripts folder
    (default: this interpreter's); with ``enable_extension=False`` only that installation's own
    configuration enables extensions; ``args`` are extra command-line arguments
    (``--MlwsApp.x=...``)."""
    config, root = folder / "config", folder / "root"
    for path in (config, root):
        path.mkdir(parents=True, exist_ok=True)
    extensions = {"jupyter_mlws": True} if enable_extension else {}
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}}))
    token, port = secrets.token_hex(16), free_port()
    server_env = {**env, "JUPYTER_CONFIG_DIR": str(config),
                  "JUPYTER_DATA_DIR": str(folder / "data"),
                  "JUPYTER_RUNTIME_DIR": str(runtime_dir or folder / "runtime"),
                  "JUPYTER_PLATFORM_DIRS": "1"}
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str((bin_dir or Path(sys.executable).parent) / "jupyter"), "server", "--no-browser",
             "--allow-root", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", *args],
            env=server_env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
    server = JupyterServer(base_url=f"http://127.0.0.1:{port}", token=token, process=process,
                           log=log)
    try:
        wait_for_http(server.base_url + ready_path, process, log, token=token, timeout=timeout)
        yield server
    finally:
        stop_process(process)


def widget_esm_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The widget's ES module: the real build when it exists, else a minimal test module (set
    through the module's environment variable) so the widget can still display."""
    from jupyter_mlws.widgets.run_details import ESM_ENV, ESM_PATH

    if ESM_PATH.is_file():
        return ESM_PATH
    path = tmp_path / "run_details_test.js"
    path.write_text(TEST_ESM)
    monkeypatch.setenv(ESM_ENV, str(path))
    return path


# ---- a team server (TeamIdentityProvider, roles enforced) for the REST access tests

def team_tokens(*users: str) -> dict[str, str]:
    """A token per user name, long enough for the identity provider's rule."""
    return {name: f"tok-{name}-0123456789" for name in users}


def team_server_config(tokens: Mapping[str, str]) -> dict:
    """``jp_server_config`` of a server where these users log in by token and roles apply."""
    users = {name: {"token": token, "groups": []} for name, token in tokens.items()}
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlws": True},
                          "identity_provider_class":
                              "jupyter_mlws.server.team.TeamIdentityProvider"},
            "TeamIdentityProvider": {"users": users},
            "MlwsApp": {"access_control": True}}


def token_header(tokens: Mapping[str, str], user: str) -> dict[str, str]:
    return {"Authorization": f"token {tokens[user]}"}
