"""The detached daemon of one deployed service:
``python -m jupyter_mlws.execution.serving.daemon --state-dir <dir>``.

It outlives the kernel that deployed the service (new session, stdin/stdout on /dev/null,
stderr to ``daemon.log``) and:

- binds the service's port once and hands the listening socket to its replicas (a port in use
  fails the deployment with that cause);
- prepares each *generation* the SDK asks for in ``deployment.json`` (environment built or
  reused by the uv cache, source and models laid out) in a worker thread, starts its
  replicas, and once they are all ready drains the previous generation's (a rolling update:
  the socket never stops accepting, so no request fails); a generation that cannot start
  leaves the previous one serving and the operation Failed with the cause (:mod:`.rollout`);
- restarts a replica that dies (counted; backoff when it keeps failing; over ``memory_gb``
  it is killed and restarted as a pod would be), scales between min and max replicas on load
  (:mod:`.supervise`, :mod:`.autoscale`);
- reads the replicas' request records every second into the monitoring run's metrics
  (:mod:`.aggregate`) and their collected bodies into Parquet files of that run
  (:mod:`.collect`);
- writes ``status.json`` (state, operation, replicas) and the service asset's state on every
  change; on SIGTERM it drains every replica, flushes the monitoring data and writes
  ``stopped.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .aggregate import Aggregator
from .autoscale import Autoscaler
from .collect import Collector
from .layout import (
    COLLECT_DIR,
    DEPLOYMENT_FILE,
    INFO_FILE,
    REQUESTS_DIR,
    STATUS_FILE,
    STOPPED_FILE,
    read_json,
    write_json,
)
from .pool import Pool
from .recorder import RecordReader, parse_records
from .rollout import Generation, Rollout, log
from .supervise import Supervision

TICK_SECONDS = 0.05
STATUS_SECONDS = 0.5
MONITOR_SECONDS = 1.0
MEMORY_CHECK_SECONDS = 1.0


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"Port {port} on {host} is already in use ({exc.strerror}); choose "
                      "another port (deploy_configuration(port=...)) or stop what uses it") \
            from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class ServiceDaemon(Rollout, Supervision):
    """One service's daemon: its state, what it publishes, its monitoring and its loop;
    generations are :class:`.rollout.Rollout`'s, replicas :class:`.supervise.Supervision`'s."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.stopping = threading.Event()
        deployment = read_json(state_dir / DEPLOYMENT_FILE)
        if deployment is None:
            raise RuntimeError(f"no {DEPLOYMENT_FILE} in {state_dir}")
        self.first = deployment
        from ..executor import open_run_store  # on use: loads 6 more modules

        self.store = open_run_store(deployment)
        self.workspace_id = deployment["workspace_id"]
        self.name = deployment["service"]
        self.run_id = deployment["run_id"]
        self.active: Generation | None = None
        self.pending: Generation | None = None
        self.operation: dict[str, Any] = {}
        self.service_state = "Transitioning"
        self.error: dict[str, Any] | None = None
        self.target = 0
        self.restarts = 0
        self.pool: Pool | None = None
        self.sock: socket.socket | None = None
        self.port = 0
        self.last_status: dict[str, Any] = {}
        self.deployment_mtime = 0
        self._old_generations: list[int] = []
        self.retiring: int | None = None  # the generation an update is draining

        self.aggregator = Aggregator(self.run_id)
        self.reader = RecordReader(state_dir / REQUESTS_DIR, ".bin")
        self.collector = Collector(self.store, self.run_id, state_dir / COLLECT_DIR)
        self.autoscaler: Autoscaler | None = None

    # ------------------------------------------------------------------ state
    def _set_state(self, state: str, error: dict[str, Any] | None = None,
                   clear_error: bool = False) -> None:
        if error is not None or clear_error:
            self.error = error
        self.service_state = state

    def status(self) -> dict[str, Any]:
        replicas = [] if self.pool is None else [r.describe() for r in self.pool.replicas]
        return {"pid": os.getpid(), "port": self.port, "state": self.service_state,
                "error": self.error, "operation": self.operation,
                "generation": None if self.active is None else self.active.number,
                "target_replicas": self.target, "restarts": self.restarts,
                "ready_replicas": sum(1 for r in replicas if r["state"] == "ready"),
                "replicas": replicas}

    def publish(self, force: bool = False) -> None:
        status = self.status()
        changed = {k: v for k, v in status.items() if k != "replicas"} != {
            k: v for k, v in self.last_status.items() if k != "replicas"}
        if status != self.last_status or force:
            write_json(self.state_dir / STATUS_FILE, {**status, "time": time.time()})
        if changed or force:
            with contextlib.suppress(Exception):  # the store being down must not stop serving
                self.store.update_asset_state(
                    self.workspace_id, "service", self.name, 1,
                    {"state": status["state"], "error": status["error"],
                     "operation": status["operation"], "port": self.port,
                     "readyReplicas": status["ready_replicas"],
                     "targetReplicas": self.target, "restarts": self.restarts,
                     "activeGeneration": status["generation"], "updatedOn": time.time()})
            if status.get("ready_replicas") != self.last_status.get("ready_replicas") or \
                    status.get("restarts") != self.last_status.get("restarts"):
                self._gauges(status)
        self.last_status = status

    def _gauges(self, status: dict[str, Any]) -> None:
        now = time.time()
        points = [(self.run_id, "replicas", "scalar", int(now), now, status["ready_replicas"],
                   ""),
                  (self.run_id, "restarts", "scalar", int(now), now, status["restarts"], "")]
        with contextlib.suppress(Exception):
            self.store.append_metrics(points)

    # ------------------------------------------------------------------ monitoring
    def _monitor(self, final: bool = False) -> dict[str, float]:
        live = {r.pid for r in (self.pool.replicas if self.pool else []) if r.running}
        if final:
            live = set()
        for replica, data in self.reader.read(live):
            self.aggregator.add(replica, parse_records(data))
        points = self.aggregator.settled(time.time(), force=final)
        if points:
            with contextlib.suppress(Exception):
                self.store.append_metrics(points)
        with contextlib.suppress(Exception):
            self.collector.step(live, final=final)
        return self.aggregator.take_busy()

    # ------------------------------------------------------------------ main loop
    def serve(self) -> int:
        pid = os.getpid()
        from ...store.liveness import process_identity  # on use: loads 10 more modules

        write_json(self.state_dir / INFO_FILE, {"pid": pid, "identity": process_identity(pid),
                                                "host": socket.gethostname()})
        host = self.first.get("host") or "127.0.0.1"
        try:
            self.sock = bind_socket(host, int(self.first.get("port") or 0))
        except OSError as exc:
            self.operation = {"generation": self.first["generation"], "state": "Failed",
                              "error": {"code": "PortInUse", "message": str(exc)}}
            self._set_state("Failed", {"code": "PortInUse", "message": str(exc)})
            log(str(exc))
            self.publish(force=True)
            return self._finish("failed")
        self.port = self.sock.getsockname()[1]
        self.pool = Pool(self.state_dir, self.sock.fileno())
        log(f"service {self.name}: listening on {host}:{self.port}")
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
            if self.service_state != "Failed":
                self._set_state("Stopped")
            self.publish(force=True)
        return self._finish("stopped")

    def _changed(self) -> bool:
        status = self.status()
        return any(status.get(k) != self.last_status.get(k)
                   for k in ("state", "operation", "ready_replicas", "restarts"))

    def _finish(self, reason: str) -> int:
        if reason == "failed":
            # Stay until asked to stop, so the failure and its logs can be read (the service
            # reads Failed, not a daemon that vanished).
            self.stopping.wait()
        write_json(self.state_dir / STOPPED_FILE, {"pid": os.getpid(), "reason": reason,
                                                   "time": time.time()})
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_mlws.execution.serving.daemon")
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    daemon = ServiceDaemon(Path(args.state_dir))

    def on_signal(*_: Any) -> None:
        daemon.stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    return daemon.serve()


if __name__ == "__main__":
    sys.exit(main())
