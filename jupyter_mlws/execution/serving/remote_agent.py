"""The Dask-worker side of a service whose replicas run on a team's Dask cluster.

The service daemon on the deploying machine (:mod:`.remote_daemon`) calls these functions on
the workers: :func:`prepare` as a Dask task pinned to one worker (it may build an environment
for minutes, so it runs in a worker thread, like a script run's task does), the others through
``client.run`` (they return at once; they run on the worker's event loop thread).

On a worker, a service has a folder ``<worker local directory>/mlws-services/<key>`` laid out
like a local service's state folder (``gen/<n>`` with the source copy and the models fetched
from the workspace store, ``logs``, ``requests``, ``collect``, ``keys.json``), so a replica
here is started by the same :class:`~.pool.Pool` code as a local one, in the environment built
here by the same uv machinery (:func:`~jupyter_mlws.execution.environments.ensure_environment`)
a script run's task uses. Each replica gets its own listening socket on the worker's host.

A replica is a child of the worker process (it dies with it: ``PR_SET_PDEATHSIG``), so a worker
that leaves takes its replicas along. A service whose daemon stops calling (deleted while the
daemon was SIGKILLed, the deploying machine gone) is ended on the worker once its lease of
``LEASE_SECONDS`` runs out: its replicas are killed and its folder removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .layout import (
    COLLECT_DIR,
    GENERATIONS_DIR,
    KEYS_FILE,
    LOGS_DIR,
    REQUESTS_DIR,
    remove_generation,
    write_json,
)
from .pool import Pool, Replica
from .recorder import RecordReader

# MLWS_SERVICE_LEASE_SECONDS in the worker's environment: how long a service whose daemon
# stopped calling keeps its replicas here.
LEASE_SECONDS = float(os.environ.get("MLWS_SERVICE_LEASE_SECONDS") or 30.0)
FOLDER = "mlws-services"
MAX_PULL_BYTES = 4 << 20  # per log file and call: a chatty replica cannot flood the daemon


@dataclass
class _Hosted:
    """One service's replicas on this worker."""

    folder: Path
    prepared: dict[int, dict[str, Any]] = field(default_factory=dict)
    replicas: dict[str, tuple[Pool, Replica]] = field(default_factory=dict)
    requests: RecordReader | None = None
    collect: RecordReader | None = None
    log_offsets: dict[str, int] = field(default_factory=dict)
    seen: float = field(default_factory=time.monotonic)


_LOCK = threading.RLock()
_HOSTED: dict[str, _Hosted] = {}
_WATCHDOG: threading.Thread | None = None


def _folder(local_directory: str, key: str) -> Path:
    if not key or "/" in key or key.startswith("."):
        raise ValueError(f"bad service key {key!r}")
    return Path(local_directory) / FOLDER / key


def _hosted(local_directory: str, key: str) -> _Hosted:
    with _LOCK:
        hosted = _HOSTED.get(key)
        if hosted is None:
            folder = _folder(local_directory, key)
            for sub in (LOGS_DIR, REQUESTS_DIR, COLLECT_DIR, "replicas"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
            hosted = _HOSTED[key] = _Hosted(folder)
            hosted.requests = RecordReader(folder / REQUESTS_DIR, ".bin")
            hosted.collect = RecordReader(folder / COLLECT_DIR, ".jsonl")
        hosted.seen = time.monotonic()
        _start_watchdog()
        return hosted


def _start_watchdog() -> None:
    global _WATCHDOG
    if _WATCHDOG is None or not _WATCHDOG.is_alive():
        _WATCHDOG = threading.Thread(target=_watch, name="mlws-service-lease", daemon=True)
        _WATCHDOG.start()


def _watch() -> None:
    while True:
        time.sleep(1.0)  # a background sweep, not a synchronization
        now = time.monotonic()
        with _LOCK:
            expired = [k for k, h in _HOSTED.items() if now - h.seen > LEASE_SECONDS]
        for key in expired:
            _end(key, drain_seconds=0.0)


def _end(key: str, drain_seconds: float) -> None:
    """Stop every replica of ``key`` here (SIGTERM, SIGKILL after ``drain_seconds``) and
    remove its folder."""
    with _LOCK:
        hosted = _HOSTED.pop(key, None)
    if hosted is None:
        return
    pairs = list(hosted.replicas.values())
    for pool, replica in pairs:
        pool.drain(replica)
    deadline = time.monotonic() + drain_seconds
    while any(r.running for _, r in pairs) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pool, replica in pairs:
        pool.kill(replica)
    shutil.rmtree(hosted.folder, ignore_errors=True)


# --------------------------------------------------------------------------- as a Dask task


def prepare(deployment: dict[str, Any], number: int, key: str) -> dict[str, Any]:
    """Build the environment and lay out generation ``number`` of the service on this worker
    (a Dask task pinned here). Raises RuntimeError with the cause when it cannot."""
    from distributed import get_worker  # optional: distributed is the [dask] extra

    from ..executor import open_run_store  # on use: loads 6 more modules
    from .rollout import Generation
    from .rollout import prepare as prepare_here

    worker = get_worker()
    hosted = _hosted(worker.local_directory, key)
    generation = Generation(number, deployment)
    # A local daemon's own preparation, aimed at this worker's folder.
    prepare_here(generation, hosted.folder, open_run_store(deployment), deployment["service"])
    if generation.error is not None:
        raise RuntimeError(generation.error)
    assert generation.prepared is not None
    # Local replicas share the daemon's keys file; here the daemon pushes its keys.
    generation.prepared["config"]["keys_file"] = str(hosted.folder / KEYS_FILE)
    with _LOCK:
        hosted.prepared[number] = generation.prepared
    return {"worker": worker.address, "generation": number,
            "interpreter": generation.prepared["interpreter"]}


# --------------------------------------------------------------------------- by client.run


def _host_of(address: str) -> str:
    return urlsplit(address).hostname or "127.0.0.1"


def spawn(key: str, slot: str, number: int, keys: dict[str, str] | None,
          dask_worker: Any = None) -> dict[str, Any]:
    """Start replica ``slot`` of prepared generation ``number``, listening on a port of its
    own on this worker's host; returns ``{"pid", "host", "port"}``. KeyError when the
    generation is not prepared here (the worker restarted since)."""
    hosted = _hosted(dask_worker.local_directory, key)
    with _LOCK:
        prepared = hosted.prepared[number]
        if keys:
            write_json(hosted.folder / KEYS_FILE, keys, private=True)
        old = hosted.replicas.pop(slot, None)
        if old is not None:
            old[0].kill(old[1])
        host = _host_of(dask_worker.address)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, 0))
            sock.listen(2048)
            sock.set_inheritable(True)
            pool = Pool(hosted.folder, sock.fileno())
            replica = Replica(slot, number)
            port = sock.getsockname()[1]
            pool.start(replica, prepared)
        finally:
            sock.close()  # the replica holds its own copy
        hosted.replicas[slot] = (pool, replica)
        hosted.log_offsets.setdefault(slot, 0)
    return {"pid": replica.pid, "host": host, "port": port}


def poll(key: str, memory_gb: float | None = None, keys: dict[str, str] | None = None,
         dask_worker: Any = None) -> dict[str, Any]:
    """The replicas of ``key`` here: ``{slot: {"pid", "returncode", "ready", "oom"}}``;
    renews the lease; kills a replica over ``memory_gb``; rewrites the keys when given."""
    hosted = _hosted(dask_worker.local_directory, key)
    if keys:
        write_json(hosted.folder / KEYS_FILE, keys, private=True)
    found: dict[str, Any] = {}
    with _LOCK:
        for slot, (pool, replica) in hosted.replicas.items():
            oom = _over_memory(replica, memory_gb) if replica.running else None
            if oom:
                pool.kill(replica)
            returncode = None if replica.proc is None else replica.proc.poll()
            found[slot] = {"pid": replica.pid, "returncode": returncode, "oom": oom,
                           "ready": returncode is None and pool.poll_ready(replica)}
    return found


def _over_memory(replica: Replica, memory_gb: float | None) -> str | None:
    if not memory_gb:
        return None
    import psutil  # psutil on use

    try:
        proc = psutil.Process(replica.pid)
        rss = proc.memory_info().rss + sum(c.memory_info().rss
                                           for c in proc.children(recursive=True))
    except psutil.Error:
        return None
    if rss <= float(memory_gb) * 1024 ** 3:
        return None
    return f"OOMKilled ({rss / 1024 ** 2:.0f} MB > {memory_gb} GB)"


def pull(key: str, dask_worker: Any = None) -> dict[str, Any]:
    """What the replicas of ``key`` here appended since the last call: request records and
    collected bodies in whole units ``[(replica, bytes)]`` (files read to the end whose
    writer left are removed), and new log bytes per slot."""
    hosted = _hosted(dask_worker.local_directory, key)
    with _LOCK:
        live = {r.pid for _, r in hosted.replicas.values() if r.running}
        out: dict[str, Any] = {"requests": [], "collect": [], "logs": {}}
        for name, reader in (("requests", hosted.requests), ("collect", hosted.collect)):
            assert reader is not None
            out[name] = list(reader.read(live))
        for slot, offset in list(hosted.log_offsets.items()):
            path = hosted.folder / LOGS_DIR / f"{slot}.log"
            with contextlib.suppress(OSError), open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(MAX_PULL_BYTES)
                if data:
                    hosted.log_offsets[slot] = offset + len(data)
                    out["logs"][slot] = data
    return out


def signal_replica(key: str, slot: str, sig: int, dask_worker: Any = None) -> bool:
    """SIGTERM (drain) or SIGKILL replica ``slot`` here; False when it is not running."""
    hosted = _hosted(dask_worker.local_directory, key)
    with _LOCK:
        pair = hosted.replicas.get(slot)
        if pair is None or not pair[1].running:
            return False
        pool, replica = pair
        if sig == signal.SIGKILL:
            pool.kill(replica)
        else:
            with contextlib.suppress(ProcessLookupError):
                replica.proc.send_signal(sig)  # type: ignore[union-attr]
    return True


def forget(key: str, slot: str, dask_worker: Any = None) -> None:
    """Drop an ended replica's bookkeeping (its log and records were pulled)."""
    hosted = _hosted(dask_worker.local_directory, key)
    with _LOCK:
        pair = hosted.replicas.pop(slot, None)
        if pair is not None:
            pair[0].kill(pair[1])
            pair[0].forget(pair[1])


def drop_generation(key: str, number: int, dask_worker: Any = None) -> None:
    """Remove generation ``number`` here (an update replaced it)."""
    hosted = _hosted(dask_worker.local_directory, key)
    with _LOCK:
        if any(r.generation == number and r.running for _, r in hosted.replicas.values()):
            return
        hosted.prepared.pop(number, None)
    remove_generation(hosted.folder / GENERATIONS_DIR / str(number))


def release(key: str, drain_seconds: float = 0.0, dask_worker: Any = None) -> None:
    """End the service on this worker: its replicas stopped, its folder removed."""
    _end(key, drain_seconds)


def hosted_keys(dask_worker: Any = None) -> dict[str, list[int]]:
    """The services hosted here and their replicas' pids (for tests and diagnostics)."""
    with _LOCK:
        return {k: [r.pid for _, r in h.replicas.values() if r.running]
                for k, h in _HOSTED.items()}


__all__ = ["LEASE_SECONDS", "drop_generation", "forget", "hosted_keys", "poll", "prepare",
           "pull", "release", "signal_replica", "spawn"]
