"""The SDK's side of a service daemon: state folder, launching, probing, stopping, logs.

Nothing here imports the store engines, uvicorn or the daemon's modules, so the SDK calls them
cheaply. A daemon is identified by its process identity (:mod:`jupyter_mlws.store.liveness`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from ...store import private
from ...store.liveness import is_process_alive, process_identity
from ..process import terminate_daemon
from ..supervisor import PACKAGE_PARENT
from .layout import (
    BUILD_LOG,
    DAEMON_LOG,
    DEPLOYMENT_FILE,
    INFO_FILE,
    KEYS_FILE,
    LOGS_DIR,
    STATUS_FILE,
    STOPPED_FILE,
    read_json,
    write_json,
)


def state_dir(home: str | os.PathLike, workspace_id: str, service: str) -> Path:
    return Path(home) / "services" / workspace_id / service


def port_free(host: str, port: int) -> bool:
    """Whether ``port`` can be bound on ``host`` now (0 always can)."""
    if not port:
        return True
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def write_deployment(folder: Path, deployment: dict[str, Any]) -> None:
    """The desired state (it may hold the server token: 0600). The daemon picks up a higher
    ``generation`` as a rolling update."""

    private.make_dirs(folder)
    private.tighten(folder, private.DIR_MODE)
    write_json(folder / DEPLOYMENT_FILE, deployment, private=True)


def read_deployment(folder: Path) -> dict[str, Any] | None:
    return read_json(folder / DEPLOYMENT_FILE)


def new_key() -> str:
    return secrets.token_urlsafe(32)


def read_keys(folder: Path) -> dict[str, str] | None:
    return read_json(folder / KEYS_FILE)


def write_keys(folder: Path, keys: dict[str, str]) -> None:
    write_json(folder / KEYS_FILE, keys, private=True)


def launch(folder: Path) -> subprocess.Popen:
    """Start the daemon detached for the deployment in ``folder`` (old state files go): the
    remote one (:mod:`.remote_daemon`) when it names a Dask scheduler."""
    for name in (INFO_FILE, STATUS_FILE, STOPPED_FILE):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    (folder / LOGS_DIR).mkdir(exist_ok=True)
    # Replicas on a team's Dask cluster: the same daemon with a front and remote replicas.
    remote = bool((read_deployment(folder) or {}).get("dask_address"))
    module = "remote_daemon" if remote else "daemon"
    with open(folder / DAEMON_LOG, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", f"jupyter_mlws.execution.serving.{module}", "--state-dir",
             str(folder)], cwd=PACKAGE_PARENT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True, close_fds=True)


def identity_of(pid: int) -> str | None:
    return process_identity(pid)


def read_status(folder: Path) -> dict[str, Any] | None:
    return read_json(folder / STATUS_FILE)


def read_stopped(folder: Path) -> dict[str, Any] | None:
    return read_json(folder / STOPPED_FILE)


def is_alive(pid: int | None, identity: str | None) -> bool:
    return is_process_alive(pid, identity=identity)


def stop(pid: int | None, identity: str | None, timeout: float = 60.0) -> bool:
    """SIGTERM the daemon (it drains its replicas and flushes the monitoring data), SIGKILL
    its tree after ``timeout``. True once it is gone."""
    if not is_alive(pid, identity):
        return True
    assert pid is not None
    terminate_daemon(pid, timeout)
    return not is_alive(pid, identity)


def logs(folder: Path, num_lines: int = 5000, init: bool = False) -> str:
    """The daemon's log, the environment build log and every replica's log, newest last,
    each cut to its last ``num_lines`` lines."""
    parts = []
    sources = [("service", folder / DAEMON_LOG), ("environment build", folder / LOGS_DIR /
                                                  BUILD_LOG)]
    replica_logs = sorted((folder / LOGS_DIR).glob("r*.log"),
                          key=lambda p: int(p.stem[1:]) if p.stem[1:].isdigit() else 0)
    sources += [(f"replica {p.stem}", p) for p in replica_logs]
    for title, path in sources:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if not text.strip():
            continue
        lines = text.rstrip("\n").splitlines()
        parts.append(f"===== {title} =====\n" + "\n".join(lines[-num_lines:]))
    return "\n".join(parts) + ("\n" if parts else "")


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


__all__ = ["is_alive", "launch", "logs", "new_key", "port_free", "read_deployment",
           "read_keys", "read_status", "read_stopped", "remove", "state_dir", "stop",
           "write_deployment", "write_keys"]
