"""A service's generations: each deployment the SDK writes to ``deployment.json`` is prepared
(environment built or reused by the uv cache, source and models laid out) in a worker thread,
its replicas started, and once they are all ready the previous generation's drained -- a
rolling update: the listening socket never stops accepting, so no request fails. A generation
that cannot start leaves the previous one serving and the operation Failed with the cause.

:class:`Rollout` is the part of :class:`.daemon.ServiceDaemon` that does this.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .autoscale import Autoscaler, AutoscaleSettings
from .layout import (
    BUILD_LOG,
    COLLECT_DIR,
    DEPLOYMENT_FILE,
    GENERATIONS_DIR,
    KEYS_FILE,
    LOGS_DIR,
    REQUESTS_DIR,
    prepare_generation,
    read_json,
    remove_generation,
)
from .pool import Pool, Replica, exit_reason


def log(text: str) -> None:
    """One line of ``daemon.log`` (the daemon's stderr)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Generation:
    """One deployment generation being prepared or served."""

    def __init__(self, number: int, deployment: dict[str, Any]) -> None:
        self.number = number
        self.deployment = deployment
        self.prepared: dict[str, Any] | None = None
        self.error: str | None = None
        self.thread: threading.Thread | None = None


def prepare(generation: Generation, state_dir: Path, store: Any, service: str) -> None:
    """Build the environment and lay out the files of ``generation``; sets its ``prepared``
    (interpreter, replica config, environment, working folder) or its ``error``."""
    from ..environments import ensure_environment  # on use: loads 4 more modules

    deployment = generation.deployment
    folder = state_dir / GENERATIONS_DIR / str(generation.number)
    build_log = state_dir / LOGS_DIR / BUILD_LOG
    try:
        with open(build_log, "a", encoding="utf-8") as out:
            interpreter = ensure_environment(
                deployment["environment"], deployment["store"]["home"],
                log=lambda text: (out.write(text), out.flush()))
        env_vars = prepare_generation(store, deployment, folder)
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
    environ["MLWS_SERVICE_NAME"] = service
    environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(app), environ.get("PYTHONPATH", "")) if p)
    config = {"service": service, "generation": generation.number,
              "entry_script": str(app / deployment["entry_script"]),
              "requests_dir": str(state_dir / REQUESTS_DIR),
              "collect_dir": (str(state_dir / COLLECT_DIR)
                              if deployment.get("collect_model_data") else None),
              "keys_file": str(state_dir / KEYS_FILE),
              "auth_enabled": bool(deployment.get("auth_enabled")),
              "aks_paths": deployment.get("compute_type") == "AKS"}
    generation.prepared = {"interpreter": interpreter, "config": config, "env": environ,
                           "cwd": str(app)}


class Rollout:
    """Generations of the daemon: read the desired one, prepare, start, swap, fail."""

    # Set by ServiceDaemon, whose ``_set_state`` this calls, as it calls ``_ready_count`` and
    # ``_log_tail`` of :class:`.supervise.Supervision` (one object, the daemon's state shared).
    state_dir: Path
    store: Any
    name: str
    pool: Pool | None
    active: Generation | None
    pending: Generation | None
    operation: dict[str, Any]
    target: int
    retiring: int | None
    deployment_mtime: int
    autoscaler: Autoscaler | None
    _old_generations: list[int]

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
        generation.thread = threading.Thread(
            target=prepare, args=(generation, self.state_dir, self.store, self.name),
            name=f"prepare-{generation.number}", daemon=True)
        generation.thread.start()

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
            self.autoscaler = Autoscaler(AutoscaleSettings(
                min_replicas=int(settings.get("min", 1)),
                max_replicas=int(settings.get("max", 1)),
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
