"""The daemon of a service whose replicas run on a team's Dask cluster:
``python -m jupyter_mlws.execution.serving.remote_daemon --state-dir <dir>``
(:func:`.control.launch` starts it when the deployment names a ``dask_address``).

It is the local :class:`~.daemon.ServiceDaemon` -- generations, rolling updates, supervision
and restarts, autoscaling, monitoring, status -- with three parts swapped:

- the replicas are a :class:`~.remote_pool.RemotePool`: started on the Dask workers' hosts
  (:mod:`.remote_agent`), each generation prepared on each worker by the same code a local
  generation is prepared by (environment built there by the uv machinery, source and models
  fetched from the workspace store);
- the service's port is served by the :class:`~.front.Front`, which spreads requests over the
  replicas' own ports;
- the request records, collected bodies and logs the replicas write on their workers are
  pulled every second into this state folder (``requests/``, ``collect/``, ``logs/``), where
  the local machinery reads them as it reads local replicas' files.

On stop it takes every replica off the front, drains them, flushes the monitoring data and
ends the service on every worker that hosted it (nothing of it keeps running there).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from ..dask_launch import connect_timeout
from .daemon import (
    MEMORY_CHECK_SECONDS,
    MONITOR_SECONDS,
    STATUS_SECONDS,
    TICK_SECONDS,
    ServiceDaemon,
    bind_socket,
)
from .front import Front
from .layout import COLLECT_DIR, INFO_FILE, LOGS_DIR, REQUESTS_DIR, write_json
from .remote_pool import RemotePool
from .rollout import Generation, log


class RemoteServiceDaemon(ServiceDaemon):
    def __init__(self, state_dir: Path) -> None:
        super().__init__(state_dir)
        self.address = str(self.first["dask_address"])
        self.front = Front()
        self.client: Any = None
        # Unique per daemon: a restarted daemon's replicas never mix with its predecessor's,
        # which the workers end once their lease runs out.
        self.key = f"{self.name}-{os.getpid()}-{secrets.token_hex(4)}"
        self._mirror_seq = 0

    # ------------------------------------------------------------------ swapped parts
    def _prepare(self, generation: Generation) -> None:
        """Each worker prepares the generation when a replica is placed on it."""
        generation.prepared = {"deployment": generation.deployment}

    def _check_memory(self) -> None:
        """The workers check it (each poll), on the replicas' own processes."""
        if isinstance(self.pool, RemotePool):
            self.pool.memory_gb = (self.active.deployment.get("memory_gb")
                                   if self.active else None)

    def _supervise(self) -> None:
        if isinstance(self.pool, RemotePool):
            self.pool.tick()
        super()._supervise()
        if isinstance(self.pool, RemotePool):
            keep = {g.number for g in (self.active, self.pending) if g is not None}
            keep |= {r.generation for r in self.pool.replicas}
            self.pool.drop_generations(keep)

    def _monitor(self, final: bool = False) -> dict[str, float]:
        if isinstance(self.pool, RemotePool):
            for _worker, found in self.pool.pull():
                self._mirror(found)
        return super()._monitor(final)

    def _mirror(self, found: dict[str, Any]) -> None:
        """Pulled records and bodies as complete files named ``<replica>-0-<seq>`` (pid 0:
        no writer, so each is removed once read), log bytes appended to the replica's log."""
        for folder, suffix, pieces in ((REQUESTS_DIR, ".bin", found.get("requests", [])),
                                       (COLLECT_DIR, ".jsonl", found.get("collect", []))):
            for replica, data in pieces:
                self._mirror_seq += 1
                path = self.state_dir / folder / f"{replica}-0-{self._mirror_seq:09d}{suffix}"
                path.parent.mkdir(exist_ok=True)
                partial = path.with_name(path.name + ".partial")
                partial.write_bytes(data)
                os.replace(partial, path)
        for slot, data in (found.get("logs") or {}).items():
            with open(self.state_dir / LOGS_DIR / f"{slot}.log", "ab") as out:
                out.write(data)

    def status(self) -> dict[str, Any]:
        status = super().status()
        if isinstance(self.pool, RemotePool):
            for replica in status["replicas"]:
                where = self.pool.where.get(replica["id"])
                if where is not None:
                    replica.update(worker=where.worker, url=where.url)
        status["dask_address"] = self.address
        return status

    # ------------------------------------------------------------------ main loop
    def serve(self) -> int:
        pid = os.getpid()
        from ...store.liveness import process_identity  # on use: loads 10 more modules

        write_json(self.state_dir / INFO_FILE, {"pid": pid, "identity": process_identity(pid),
                                                "host": socket.gethostname()})
        host = self.first.get("host") or "127.0.0.1"
        try:
            self.sock = bind_socket(host, int(self.first.get("port") or 0))
            from distributed import Client  # optional: distributed is the [dask] extra

            self.client = Client(self.address, timeout=connect_timeout(),
                                 set_as_default=False)
        except Exception as exc:
            code = "PortInUse" if isinstance(exc, OSError) and self.sock is None else \
                "ComputeUnreachable"
            message = str(exc) if code == "PortInUse" else (
                f"Could not connect to the Dask scheduler at {self.address}: "
                f"{type(exc).__name__}: {exc}")
            self.operation = {"generation": self.first["generation"], "state": "Failed",
                              "error": {"code": code, "message": message}}
            self._set_state("Failed", {"code": code, "message": message})
            log(message)
            self.publish(force=True)
            return self._finish("failed")
        self.port = self.sock.getsockname()[1]
        self.pool = RemotePool(self.state_dir, self.client, self.key, self.front)
        self.front.start(self.sock)
        log(f"service {self.name}: front listening on {host}:{self.port}, replicas on the "
            f"Dask cluster at {self.address}")
        last_status = last_monitor = last_memory = time.monotonic()
        try:
            while not self.stopping.is_set():
                self._check_deployment()
                self._advance_pending()
                self._supervise()
                now = time.monotonic()
                if now - last_memory >= MEMORY_CHECK_SECONDS:
                    last_memory = now
                    self._check_memory()
                if now - last_monitor >= MONITOR_SECONDS:
                    busy = self._monitor()
                    self._autoscale(busy, now - last_monitor)
                    last_monitor = now
                if now - last_status >= STATUS_SECONDS or self._changed():
                    last_status = now
                    self.publish()
                self.stopping.wait(TICK_SECONDS)
        except Exception:
            log("daemon error:\n" + traceback.format_exc())
            self._set_state("Failed", {"code": "ServiceDaemonError",
                                       "message": traceback.format_exc(limit=5)})
        finally:
            self.pool.stop_all()
            self._monitor(final=True)
            self.pool.release()
            self.front.stop()
            with contextlib.suppress(Exception):
                self.client.close(timeout=5)
            if self.service_state != "Failed":
                self._set_state("Stopped")
            self.publish(force=True)
        return self._finish("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_mlws.execution.serving.remote_daemon")
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    daemon = RemoteServiceDaemon(Path(args.state_dir))

    def on_signal(*_: Any) -> None:
        daemon.stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    return daemon.serve()


if __name__ == "__main__":
    sys.exit(main())
