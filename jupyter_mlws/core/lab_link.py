"""Which running Jupyter server serves this workspace's store, for the links runs display.

The server extension advertises its store in the Jupyter runtime folder
(``mlws-server-<pid>.json``: pid, process identity, a hash of the database URL and the home;
written at start, removed at stop, see :func:`advertise`). A run's link points at a server
only when that file matches the run's own store and its process is alive; the server's address
is read from jupyter-server's own ``jpserver-<pid>.json`` next to it. Plain file reads: importing
jupyter_server to list servers costs seconds, and listing every server links unrelated ones.

An SDK talking to a server (``MLWS_TRACKING_URI``) links that server. Otherwise, with no
server, a notebook gets ``mlws://`` links (the studio opens them) and a terminal gets the run's
folder, never a link nothing opens.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..store.liveness import is_process_alive, process_identity

RUNTIME_PREFIX = "mlws-server-"


def store_identity(settings: Any) -> dict[str, str]:
    """What tells one store from another: its database (hashed: a URL may hold a password)
    and its home."""
    return {"database": hashlib.sha256(str(settings.database_url).encode()).hexdigest()[:32],
            "home": os.path.abspath(os.fspath(settings.home))}


def runtime_dir() -> str:
    """Jupyter's runtime folder (where servers write ``jpserver-<pid>.json``)."""
    from jupyter_core.paths import jupyter_runtime_dir  # on use: jupyter_core only when advertising

    return jupyter_runtime_dir()


def advertise(folder: str, settings: Any) -> str:
    """Write this server process's ``mlws-server-<pid>.json`` (owner-only) into ``folder``;
    returns its path for :func:`withdraw`."""

    pid = os.getpid()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, f"{RUNTIME_PREFIX}{pid}.json")
    partial = path + ".partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover partial file keeps its old mode through O_CREAT
    with open(fd, "w", encoding="utf-8") as handle:
        json.dump({"pid": pid, "identity": process_identity(pid), **store_identity(settings)},
                  handle)
    os.replace(partial, path)
    return path


def withdraw(path: str | None) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _read(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _server_url(folder: str, pid: int) -> str | None:
    info = _read(os.path.join(folder, f"jpserver-{pid}.json"))
    url = info.get("url") if info else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return url if url.endswith("/") else url + "/"


def _tracking_server(tracking_uri: str) -> str | None:
    """The Jupyter server behind a tracking URI (``<server>/mlws``)."""
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    base = tracking_uri.rstrip("/")
    if base.endswith("/mlws"):
        base = base[:-len("/mlws")]
    return base + "/"


def lab_server_url(store: Any) -> str | None:
    """Base URL (ending in "/") of a running Jupyter server serving ``store``, or None."""
    settings = getattr(store, "settings", None)
    if settings is None:
        return None
    if settings.tracking_uri:
        return _tracking_server(settings.tracking_uri)

    wanted = store_identity(settings)
    try:
        folder = runtime_dir()
    except Exception:  # no Jupyter installation to ask
        return None
    for path in sorted(glob.glob(os.path.join(folder, f"{RUNTIME_PREFIX}*.json"))):
        data = _read(path)
        if not data or data.get("database") != wanted["database"] or (
                data.get("home") != wanted["home"]):
            continue
        pid = data.get("pid")
        if not isinstance(pid, int) or not is_process_alive(pid, identity=data.get("identity")):
            continue  # left by a server that was killed
        url = _server_url(folder, pid)
        if url:
            return url
    return None


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (where ``mlws://`` links are opened)."""
    return "ipykernel" in sys.modules


def run_folder(storage_url: str, run_id: str) -> str:
    """The run's folder in the workspace storage: a local path, or the storage URL's."""
    base = storage_url.rstrip("/")
    if base.startswith("file://"):
        base = base[len("file://"):]
    if "://" in base:
        return f"{base}/runs/{run_id}"
    return str(Path(base) / "runs" / run_id)


__all__ = ["advertise", "in_notebook", "lab_server_url", "run_folder", "runtime_dir",
           "store_identity", "withdraw"]
