"""Supervision of a service's serving replicas (every tick of the daemon): a replica that
dies is restarted (counted; backoff while it keeps failing), one over ``memory_gb`` is killed
and restarted as a pod would be, the count follows the target (``autoscale`` on load,
:mod:`.autoscale`), and the service state follows the ready replicas.

:class:`Supervision` is the part of :class:`.daemon.ServiceDaemon` that does this.
"""

from __future__ import annotations

import time
from pathlib import Path

from .autoscale import Autoscaler
from .layout import GENERATIONS_DIR, LOGS_DIR, remove_generation
from .pool import Pool, Replica, exit_reason
from .rollout import Generation, log


class Supervision:
    """Restart, scale and health of the active generation's replicas."""

    # Set by ServiceDaemon, whose ``_set_state`` this calls, as it calls ``_succeed`` of
    # :class:`.rollout.Rollout` (one object, the daemon's state shared).
    state_dir: Path
    pool: Pool | None
    active: Generation | None
    pending: Generation | None
    service_state: str
    target: int
    restarts: int
    retiring: int | None
    autoscaler: Autoscaler | None
    _old_generations: list[int]

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
        alive = list(serving)
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
            self._succeed()  # type: ignore[attr-defined]
        if self.pending is None and self.retiring is None:
            ready = self._ready_count()
            state = "Healthy" if ready else "Unhealthy"
            if state != self.service_state:
                error = None if ready else {"code": "NoReadyReplica", "message": (
                    "No replica is ready: "
                    + "; ".join(f"{r.slot}: {r.last_exit or 'starting'}" for r in serving)
                    + f". Last log lines:\n{self._log_tail(serving[0].slot) if serving else ''}")}
                self._set_state(state, error, clear_error=True)  # type: ignore[attr-defined]

    def _check_memory(self) -> None:
        limit = (self.active.deployment.get("memory_gb") if self.active else None)
        if not limit or self.pool is None:
            return
        import psutil  # psutil on use

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
