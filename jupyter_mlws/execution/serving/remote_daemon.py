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

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from ..dask_launch import connect_timeout
from .daemon import OpenError, ServiceDaemon, bind_service_socket, main
from .front import Front
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
            self.pool.pull()  # the workers' records, bodies and logs into this folder
        return super()._monitor(final)

    def status(self) -> dict[str, Any]:
        status = super().status()
        if isinstance(self.pool, RemotePool):
            for replica in status["replicas"]:
                where = self.pool.where.get(replica["id"])
                if where is not None:
                    replica.update(worker=where.worker, url=where.url)
        status["dask_address"] = self.address
        return status

    # ------------------------------------------------------------------ open and close
    def _open(self, host: str) -> None:
        self.sock = bind_service_socket(host, int(self.first.get("port") or 0))
        self.port = self.sock.getsockname()[1]
        from distributed import Client  # optional: distributed is the [dask] extra

        try:
            self.client = Client(self.address, timeout=connect_timeout(),
                                 set_as_default=False)
        except Exception as exc:
            raise OpenError("ComputeUnreachable", f"Could not connect to the Dask scheduler "
                                                  f"at {self.address}: {type(exc).__name__}: "
                                                  f"{exc}") from exc
        self.pool = RemotePool(self.state_dir, self.client, self.key, self.front)
        self.front.start(self.sock)
        log(f"service {self.name}: front listening on {host}:{self.port}, replicas on the "
            f"Dask cluster at {self.address}")

    def _close(self) -> None:
        """Replicas drained and stopped, the last records pulled, the service ended on every
        worker that hosted it, then the front and the client closed."""
        if isinstance(self.pool, RemotePool):
            super()._close()
            self.pool.release()
        self.front.stop()
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)


if __name__ == "__main__":
    sys.exit(main(daemon_class=RemoteServiceDaemon))
