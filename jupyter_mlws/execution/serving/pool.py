"""The replica processes of a service: start, follow, restart, drain.

Each replica is a child of the daemon in its own process group, dying with the daemon
(``PR_SET_PDEATHSIG``), its stdout and stderr appended to ``logs/<slot>.log``. It inherits the
service's listening socket. A replica is *ready* once its ready file names its pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..process import _die_with_parent
from .layout import LOGS_DIR, read_json, write_json
from .replica import INIT_FAILED

DRAIN_TIMEOUT_SECONDS = 40.0
RESTART_WINDOW_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 10.0


@dataclass
class Replica:
    slot: str
    generation: int
    proc: subprocess.Popen | None = None
    started: float = 0.0  # monotonic
    ready: bool = False
    ever_ready: bool = False
    draining_since: float | None = None
    restarts: int = 0
    recent_failures: list[float] = field(default_factory=list)
    restart_at: float | None = None  # monotonic time of a pending restart
    last_exit: str | None = None

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ready_file(self, state_dir: Path) -> Path:
        return state_dir / "replicas" / f"{self.slot}.ready"

    def describe(self) -> dict[str, Any]:
        state = ("draining" if self.draining_since is not None else "ready" if self.ready
                 else "restarting" if self.restart_at is not None else "starting")
        return {"id": self.slot, "pid": self.pid if self.running else None,
                "generation": self.generation, "state": state, "restarts": self.restarts,
                "last_exit": self.last_exit}


def exit_reason(code: int | None) -> str:
    if code is None:
        return "running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    if code == INIT_FAILED:
        return "init() failed"
    return f"exited with code {code}"


class Pool:
    """Starts replicas of prepared generations; the daemon decides which and when."""

    def __init__(self, state_dir: Path, listen_fd: int) -> None:
        self.state_dir = state_dir
        self.listen_fd = listen_fd
        self.replicas: list[Replica] = []
        self._next = 0
        (state_dir / "replicas").mkdir(exist_ok=True)
        (state_dir / LOGS_DIR).mkdir(exist_ok=True)

    def new_slot(self) -> str:
        self._next += 1
        return f"r{self._next}"

    def start(self, replica: Replica, generation: dict[str, Any]) -> None:
        """Start (or restart) ``replica`` with the prepared ``generation``
        (``{"interpreter", "config", "env", "cwd"}``)."""
        ready = replica.ready_file(self.state_dir)
        with contextlib.suppress(FileNotFoundError):
            ready.unlink()
        config = dict(generation["config"], replica=replica.slot, ready_file=str(ready))
        config_path = self.state_dir / "replicas" / f"{replica.slot}.json"
        write_json(config_path, config, private=True)
        env = {**generation["env"], "MLWS_LISTEN_FD": str(self.listen_fd),
               "MLWS_SERVICE_REPLICA": replica.slot, "PYTHONUNBUFFERED": "1"}
        log = self.state_dir / LOGS_DIR / f"{replica.slot}.log"
        with open(log, "ab") as out:
            out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting replica "
                      f"{replica.slot} (generation {replica.generation})\n".encode())
            out.flush()
            replica.proc = subprocess.Popen(
                [generation["interpreter"], "-m", "jupyter_mlws.execution.serving.replica",
                 str(config_path)],
                cwd=generation["cwd"], env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, pass_fds=(self.listen_fd,), start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()))
        replica.started = time.monotonic()
        replica.ready = False
        replica.restart_at = None
        if replica not in self.replicas:
            self.replicas.append(replica)

    def poll_ready(self, replica: Replica) -> bool:
        if not replica.ready and replica.running:
            info = read_json(replica.ready_file(self.state_dir))
            if info and info.get("pid") == replica.pid:
                replica.ready = replica.ever_ready = True
        return replica.ready

    def drain(self, replica: Replica) -> None:
        if replica.draining_since is None:
            replica.draining_since = time.monotonic()
            replica.ready = False
            if replica.running:
                with contextlib.suppress(ProcessLookupError):
                    replica.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]

    def kill(self, replica: Replica) -> None:
        if replica.proc is not None and replica.running:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(replica.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                replica.proc.wait(5)

    def reap_drained(self) -> None:
        """Forget drained replicas that exited; kill those past the drain timeout."""
        now = time.monotonic()
        for replica in list(self.replicas):
            if replica.draining_since is None:
                continue
            if replica.running and now - replica.draining_since > DRAIN_TIMEOUT_SECONDS:
                self.kill(replica)
            if not replica.running:
                self.forget(replica)

    def forget(self, replica: Replica) -> None:
        with contextlib.suppress(ValueError):
            self.replicas.remove(replica)
        with contextlib.suppress(FileNotFoundError):
            replica.ready_file(self.state_dir).unlink()

    @staticmethod
    def backoff(replica: Replica) -> float:
        """Seconds before restarting a replica that just failed: 0 for the first failure
        in a minute, then doubling from 0.5 s up to MAX_BACKOFF_SECONDS."""
        now = time.monotonic()
        replica.recent_failures = [t for t in replica.recent_failures
                                   if now - t < RESTART_WINDOW_SECONDS]
        replica.recent_failures.append(now)
        failures = len(replica.recent_failures)
        return 0.0 if failures <= 1 else min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (failures - 2))

    def stop_all(self) -> None:
        for replica in self.replicas:
            self.drain(replica)
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while any(r.running for r in self.replicas) and time.monotonic() < deadline:
            time.sleep(0.05)
        for replica in self.replicas:
            self.kill(replica)


__all__ = ["Pool", "Replica", "exit_reason"]
