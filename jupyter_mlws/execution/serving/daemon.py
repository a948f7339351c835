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
  leaves the previous one serving and the operation Failed with the cause;
- restarts a replica that dies (counted; backoff when it keeps failing; over ``memory_gb``
  it is killed and restarted as a pod would be), scales between min and max replicas on load
  (:mod:`.autoscale`);
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

from .layout import (
    BUILD_LOG,
    COLLECT_DIR,
    DEPLOYMENT_FILE,
    GENERATIONS_DIR,
    INFO_FILE,
    KEYS_FILE,
    LOGS_DIR,
    REQUESTS_DIR,
    STATUS_FILE,
    STOPPED_FILE,
    read_json,
    remove_generation,
    write_json,
)
from .pool import Pool, Replica, exit_reason

TICK_SECONDS = 0.05
STATUS_SECONDS = 0.5
MONITOR_SECONDS = 1.0
MEMORY_CHECK_SECONDS = 1.0


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


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


class Generation:
    """One deployment generation being prepared or served."""

    def __init__(self, number: int, deployment: dict[str, Any]) -> None:
        self.number = number
        self.deployment = deployment
        self.prepared: dict[str, Any] | None = None
        self.error: str | None = None
        self.thread: threading.Thread | None = None


class ServiceDaemon:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.stopping = threading.Event()
        deployment = read_json(state_dir / DEPLOYMENT_FILE)
        if deployment is None:
            raise RuntimeError(f"no {DEPLOYMENT_FILE} in {state_dir}")
        self.first = deployment
        from ..executor import open_run_store

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
        from .aggregate import Aggregator
        from .autoscale import Autoscaler, AutoscaleSettings
        from .collect import Collector
        from .recorder import RecordReader

        self.aggregator = Aggregator(self.run_id)
        self.reader = RecordReader(state_dir / REQUESTS_DIR, ".bin")
        self.collector = Collector(self.store, self.run_id, state_dir / COLLECT_DIR)
        self.autoscale_settings = AutoscaleSettings
        self.autoscaler: Any = None
        self.Autoscaler = Autoscaler

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

    # ------------------------------------------------------------------ generations
    def _read_deployment(self) -> dict[str, Any] | None:
        path = self.state_dir / DEPLOYMENT_FILE
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        if mtime == self.deployment_mtime:
            return None
        self.deployment_mtime = mtime
        return read_json(path)

    def _check_deployment(self) -> None:
        deployment = self._read_deployment()
        if deployment is None:
            return
        number = int(deployment["generation"])
        current = max(self.active.number if self.active else 0,
                      self.pending.number if self.pending else 0)
        if number > current:
            if self.pending is not None:
                self._abandon(self.pending, "superseded by a newer deployment")
            self._begin(Generation(number, deployment))
        elif self.active is not None and number == self.active.number:
            self._rescale_settings(deployment)  # replicas settings changed in place

    def _begin(self, generation: Generation) -> None:
        log(f"generation {generation.number}: preparing")
        self.pending = generation
        self.operation = {"generation": generation.number, "state": "Running", "error": None,
                          "started": time.time()}
        self._set_state("Transitioning")
        generation.thread = threading.Thread(target=self._prepare, args=(generation,),
                                             name=f"prepare-{generation.number}", daemon=True)
        generation.thread.start()

    def _prepare(self, generation: Generation) -> None:
        from ..environments import ensure_environment
        from .layout import prepare_generation

        deployment = generation.deployment
        folder = self.state_dir / GENERATIONS_DIR / str(generation.number)
        build_log = self.state_dir / LOGS_DIR / BUILD_LOG
        try:
            with open(build_log, "a", encoding="utf-8") as out:
                interpreter = ensure_environment(
                    deployment["environment"], deployment["store"]["home"],
                    log=lambda text: (out.write(text), out.flush()))
            env_vars = prepare_generation(self.store, deployment, folder)
        except BaseException as exc:
            text = str(exc) or type(exc).__name__
            if not isinstance(exc, RuntimeError):
                text = f"{type(exc).__name__}: {text}"
            log(f"generation {generation.number}: preparation failed: {text}")
            generation.error = text
            return
        app = folder / "app"
        environ = dict(os.environ)
        for drop in ("MLWS_RUN_ID", "AZUREML_RUN_ID"):
            environ.pop(drop, None)
        environ.update({k: str(v) for k, v in (deployment.get("environment_variables")
                                               or {}).items()})
        environ.update(env_vars)
        environ["MLWS_SERVICE_NAME"] = self.name
        environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(app), environ.get("PYTHONPATH", "")) if p)
        config = {"service": self.name, "generation": generation.number,
                  "entry_script": str(app / deployment["entry_script"]),
                  "requests_dir": str(self.state_dir / REQUESTS_DIR),
                  "collect_dir": (str(self.state_dir / COLLECT_DIR)
                                  if deployment.get("collect_model_data") else None),
                  "keys_file": str(self.state_dir / KEYS_FILE),
                  "auth_enabled": bool(deployment.get("auth_enabled")),
                  "aks_paths": deployment.get("compute_type") == "AKS"}
        generation.prepared = {"interpreter": interpreter, "config": config, "env": environ,
                               "cwd": str(app)}

    def _abandon(self, generation: Generation, why: str) -> None:
        assert self.pool is not None
        for replica in [r for r in self.pool.replicas if r.generation == generation.number]:
            self.pool.kill(replica)
            self.pool.forget(replica)
        if self.pending is generation:
            self.pending = None
        remove_generation(self.state_dir / GENERATIONS_DIR / str(generation.number))
        log(f"generation {generation.number}: abandoned ({why})")

    def _fail_operation(self, generation: Generation, message: str, code: str) -> None:
        error = {"code": code, "message": message}
        self.operation = {**self.operation, "state": "Failed", "error": error,
                          "ended": time.time()}
        self._abandon(generation, message.splitlines()[0])
        if self.active is None:
            self._set_state("Failed", error)
        else:
            self._set_state("Healthy" if self._ready_count() else "Unhealthy", error)

    def _replica_settings(self, deployment: dict[str, Any]) -> dict[str, Any]:
        return deployment.get("replicas") or {}

    def _rescale_settings(self, deployment: dict[str, Any]) -> None:
        """The same generation with other replica settings: scale in place."""
        assert self.active is not None
        self.active.deployment = deployment
        settings = self._replica_settings(deployment)
        self._configure_autoscale(settings)
        if not settings.get("autoscale"):
            self.target = int(settings.get("initial", 1))

    def _configure_autoscale(self, settings: dict[str, Any]) -> None:
        if settings.get("autoscale"):
            self.autoscaler = self.Autoscaler(self.autoscale_settings(
                min_replicas=int(settings.get("min", 1)), max_replicas=int(settings.get("max",
                                                                                        1)),
                target_utilization=float(settings.get("target_utilization", 70)),
                refresh_seconds=float(settings.get("refresh_seconds", 1)),
                scale_down_delay=float(settings.get("scale_down_delay", 5))))
            self.target = max(int(settings.get("min", 1)),
                              min(int(settings.get("max", 1)),
                                  self.target or int(settings.get("initial", 1))))
        else:
            self.autoscaler = None

    def _advance_pending(self) -> None:
        generation = self.pending
        if generation is None or self.pool is None:
            return
        if generation.error is not None:
            self._fail_operation(generation, generation.error, "DeploymentFailed")
            return
        if generation.prepared is None:
            return
        mine = [r for r in self.pool.replicas if r.generation == generation.number]
        if not mine:
            settings = self._replica_settings(generation.deployment)
            count = self.target if (self.active is not None and settings.get("autoscale")) \
                else int(settings.get("initial", 1))
            if settings.get("autoscale"):
                count = max(int(settings.get("min", 1)), min(int(settings.get("max", 1)),
                                                             count))
            for _ in range(max(1, count)):
                self.pool.start(Replica(self.pool.new_slot(), generation.number),
                                generation.prepared)
            log(f"generation {generation.number}: starting {max(1, count)} replica(s)")
            return
        for replica in mine:
            if not replica.running and not replica.ready:
                reason = exit_reason(replica.proc.returncode if replica.proc else None)
                tail = self._log_tail(replica.slot)
                self._fail_operation(generation, f"Replica {replica.slot} {reason} while "
                                     f"starting.\n{tail}", "ReplicaStartFailed")
                return
            self.pool.poll_ready(replica)
        if all(r.ready for r in mine):
            previous = self.active
            self.active, self.pending = generation, None
            self._configure_autoscale(self._replica_settings(generation.deployment))
            self.target = len(mine)
            old = [r for r in self.pool.replicas
                   if previous is not None and r.generation == previous.number]
            for replica in old:
                self.pool.drain(replica)
            log(f"generation {generation.number}: serving with {len(mine)} replica(s)")
            if previous is not None:
                self._old_generations.append(previous.number)
            if old:
                # Succeeded once the old replicas are gone: until then one may still take a
                # connection, and a caller told "updated" must only meet the new code.
                self.retiring = previous.number  # type: ignore[union-attr]
            else:
                self._succeed()

    def _succeed(self) -> None:
        self.retiring = None
        self.operation = {**self.operation, "state": "Succeeded", "ended": time.time()}
        self._set_state("Healthy" if self._ready_count() else "Unhealthy", clear_error=True)

    # ------------------------------------------------------------------ supervision
    def _ready_count(self) -> int:
        if self.pool is None or self.active is None:
            return 0
        return sum(1 for r in self.pool.replicas if r.generation == self.active.number
                   and r.draining_since is None and self.pool.poll_ready(r))

    def _supervise(self) -> None:
        """Restart the active generation's replicas that died; start or drain to target."""
        if self.pool is None or self.active is None or self.active.prepared is None:
            return
        now = time.monotonic()
        serving = [r for r in self.pool.replicas if r.generation == self.active.number
                   and r.draining_since is None]
        for replica in serving:
            if replica.running:
                self.pool.poll_ready(replica)
                continue
            if replica.restart_at is None:
                code = replica.proc.returncode if replica.proc else None
                replica.last_exit = replica.last_exit or exit_reason(code)
                replica.ready = False
                delay = self.pool.backoff(replica)
                replica.restart_at = now + delay
                log(f"replica {replica.slot} (pid {replica.pid}) {replica.last_exit}; "
                    f"restarting in {delay:.1f} s")
            elif now >= replica.restart_at:
                replica.restarts += 1
                self.restarts += 1
                self.pool.start(replica, self.active.prepared)
                replica.last_exit = None
        alive = [r for r in serving]
        if len(alive) < self.target:
            for _ in range(self.target - len(alive)):
                self.pool.start(Replica(self.pool.new_slot(), self.active.number),
                                self.active.prepared)
        elif len(alive) > self.target:
            extra = sorted(alive, key=lambda r: (r.ready, int(r.slot[1:])))
            for replica in extra[:len(alive) - self.target]:
                self.pool.drain(replica)
        self.pool.reap_drained()
        for number in list(self._old_generations):
            if not any(r.generation == number for r in self.pool.replicas):
                remove_generation(self.state_dir / GENERATIONS_DIR / str(number))
                self._old_generations.remove(number)
        if self.retiring is not None and not any(r.generation == self.retiring
                                                 for r in self.pool.replicas):
            self._succeed()
        if self.pending is None and self.retiring is None:
            ready = self._ready_count()
            state = "Healthy" if ready else "Unhealthy"
            if state != self.service_state:
                error = None if ready else {"code": "NoReadyReplica", "message": (
                    "No replica is ready: "
                    + "; ".join(f"{r.slot}: {r.last_exit or 'starting'}" for r in serving)
                    + f". Last log lines:\n{self._log_tail(serving[0].slot) if serving else ''}")}
                self._set_state(state, error, clear_error=True)

    def _check_memory(self) -> None:
        limit = (self.active.deployment.get("memory_gb") if self.active else None)
        if not limit or self.pool is None:
            return
        import psutil

        for replica in self.pool.replicas:
            if not replica.running or replica.draining_since is not None:
                continue
            try:
                proc = psutil.Process(replica.pid)
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in
                                                   proc.children(recursive=True))
            except psutil.Error:
                continue
            if rss > float(limit) * 1024 ** 3:
                log(f"replica {replica.slot} uses {rss / 1024 ** 2:.0f} MB, over memory_gb="
                    f"{limit}: killing it")
                replica.last_exit = f"OOMKilled ({rss / 1024 ** 2:.0f} MB > {limit} GB)"
                self.pool.kill(replica)

    def _autoscale(self, busy: dict[str, float], interval: float) -> None:
        if self.autoscaler is None or self.active is None or self.pending is not None:
            return
        ready = [r for r in self.pool.replicas if r.generation == self.active.number
                 and r.ready and r.draining_since is None] if self.pool else []
        wanted = self.autoscaler.decide(len(ready), sum(busy.values()), interval,
                                        time.monotonic())
        if wanted != self.target and len(ready) == self.target:
            log(f"autoscale: {self.target} -> {wanted} replicas")
            self.target = wanted

    def _log_tail(self, slot: str, lines: int = 20) -> str:
        try:
            text = (self.state_dir / LOGS_DIR / f"{slot}.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    # ------------------------------------------------------------------ monitoring
    def _monitor(self, final: bool = False) -> dict[str, float]:
        from .recorder import parse_records

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
        from ...store.liveness import process_identity

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
