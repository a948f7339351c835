"""The replicas of a service on a team's Dask cluster, seen from the service daemon: the
:class:`~.pool.Pool` interface the daemon drives (start, ready, drain, kill), carried out on
the Dask workers through :mod:`.remote_agent`.

A replica is placed on the live worker hosting the fewest replicas of the service; the
generation is prepared there once per worker by a Dask task pinned to it (environment, source
and models), then the replica is started by ``client.run``. :meth:`RemotePool.tick` (every
daemon tick) advances placements, polls the hosting workers every ``POLL_SECONDS`` (process
state, ready file, memory; the poll renews the service's lease there) and keeps the front's
routes to the ready replicas. A replica whose worker left the cluster is lost with it (its
exit is recorded as such) and the daemon's supervision starts it again, on another worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import remote_agent as agent
from .layout import COLLECT_DIR, KEYS_FILE, LOGS_DIR, REQUESTS_DIR, read_json
from .pool import DRAIN_TIMEOUT_SECONDS, Pool, Replica

POLL_SECONDS = 0.25
LOST = -9  # the exit code recorded for a replica lost with its worker (as SIGKILL)


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class RemoteProcess:
    """What the daemon reads of a replica process on a worker (``pid``, ``returncode``, and
    ``poll()`` as ``subprocess.Popen`` has them)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class Placement:
    """Where a replica runs: ``phase`` is placing -> preparing -> running."""

    phase: str = "placing"
    worker: str | None = None
    url: str | None = None
    prepared: dict[str, Any] | None = None
    term_sent: bool = False


class RemotePool(Pool):
    def __init__(self, state_dir: Path, client: Any, key: str, front: Any) -> None:
        super().__init__(state_dir, -1)
        self.client = client
        self.key = key
        self.front = front
        self.workers: set[str] = set()
        self.memory_gb: float | None = None
        self._prepares: dict[tuple[str, int], Any] = {}  # (worker, generation) -> future
        self._last_poll = 0.0
        self._keys_mtime: int | None = None
        self.where: dict[str, Placement] = {}  # slot -> placement
        self.hosts: set[str] = set()  # every worker the service was placed on
        self._mirror_seq = 0
        self._prepare_seq = 0

    def at(self, replica: Replica) -> Placement:
        return self.where.setdefault(replica.slot, Placement())

    # ------------------------------------------------------------------ the Pool interface
    def start(self, replica: Replica, generation: dict[str, Any]) -> None:
        replica.proc = RemoteProcess()  # type: ignore[assignment]
        self.where[replica.slot] = Placement(prepared=generation)
        replica.started = time.monotonic()
        replica.ready = False
        replica.restart_at = None
        if replica not in self.replicas:
            self.replicas.append(replica)
        self._log(replica.slot, f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} placing replica "
                                f"{replica.slot} (generation {replica.generation}) on the "
                                "Dask cluster\n")

    def poll_ready(self, replica: Replica) -> bool:
        return replica.ready and replica.running

    def drain(self, replica: Replica) -> None:
        if replica.draining_since is None:
            replica.draining_since = time.monotonic()
            replica.ready = False
            self._route()  # off the routes first; SIGTERM once nothing is in flight (tick)

    def kill(self, replica: Replica) -> None:
        where = self.at(replica)
        if replica.running and where.phase == "running" and where.worker in self.workers:
            with contextlib.suppress(Exception):
                self.client.run(agent.signal_replica, self.key, replica.slot,
                                int(signal.SIGKILL), workers=[where.worker])
        if replica.running:
            replica.proc.returncode = LOST  # type: ignore[union-attr]
        replica.ready = False
        self._route()

    def forget(self, replica: Replica) -> None:
        super().forget(replica)
        where = self.where.pop(replica.slot, Placement())
        if where.worker in self.workers:
            with contextlib.suppress(Exception):
                self.client.run(agent.forget, self.key, replica.slot, workers=[where.worker])
        self._route()

    def stop_all(self) -> None:
        """Drain every replica (off the routes, then SIGTERM), kill what is left after the
        drain timeout. The workers keep the service's folder until :meth:`release`."""
        for replica in self.replicas:
            self.drain(replica)
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while any(r.running for r in self.replicas) and time.monotonic() < deadline:
            self.tick(force_poll=True)
            time.sleep(POLL_SECONDS)  # the stop loop's pace: each turn polls the workers
        for replica in self.replicas:
            self.kill(replica)

    def release(self) -> None:
        """End the service on every worker that hosted it (replicas stopped, folders
        removed)."""
        with contextlib.suppress(Exception):
            self.workers = set(self.client.ncores())
        hosts = sorted(self.hosts & self.workers)
        if hosts:
            with contextlib.suppress(Exception):
                self.client.run(agent.release, self.key, workers=hosts, on_error="return")

    # ------------------------------------------------------------------ driving
    def tick(self, force_poll: bool = False) -> None:
        now = time.monotonic()
        if force_poll or now - self._last_poll >= POLL_SECONDS:
            self._last_poll = now
            self._poll()
        for replica in list(self.replicas):
            where = self.at(replica)
            if not replica.running:
                continue
            if where.phase == "placing":
                self._place(replica, where)
            elif where.phase == "preparing":
                self._spawn_when_prepared(replica, where)
            elif (replica.draining_since is not None and not where.term_sent
                  and (self.front.in_flight(replica.slot) == 0
                       or now - replica.draining_since > DRAIN_TIMEOUT_SECONDS / 2)):
                where.term_sent = True
                with contextlib.suppress(Exception):
                    self.client.run(agent.signal_replica, self.key, replica.slot,
                                    int(signal.SIGTERM), workers=[where.worker])

    def _keys(self) -> dict[str, str] | None:
        return read_json(self.state_dir / KEYS_FILE)

    def _place(self, replica: Replica, where: Placement) -> None:
        if not self.workers:
            return  # no worker yet: the replica waits (as a pod waits for a node)
        load = {w: 0 for w in self.workers}
        for other in self.replicas:
            there = self.at(other).worker
            if there in load and other.running:
                load[there] += 1
        worker = min(sorted(load), key=lambda w: load[w])
        self.hosts.add(worker)
        key = (worker, replica.generation)
        if key not in self._prepares:
            assert where.prepared is not None
            self._prepares[key] = self.client.submit(
                agent.prepare, where.prepared["deployment"], replica.generation, self.key,
                workers=[worker], allow_other_workers=False, pure=False,
                key=f"mlws-prepare-{self.key}-{replica.generation}-{self._next_prepare()}")
            log(f"generation {replica.generation}: preparing on {worker}")
        where.worker, where.phase = worker, "preparing"
        self._log(replica.slot, f"placed on Dask worker {worker}\n")

    def _next_prepare(self) -> int:
        self._prepare_seq += 1
        return self._prepare_seq

    def _spawn_when_prepared(self, replica: Replica, where: Placement) -> None:
        key = (where.worker or "", replica.generation)
        future = self._prepares.get(key)
        if future is None or where.worker not in self.workers:
            self._prepares.pop(key, None)
            where.phase, where.worker = "placing", None  # its worker left meanwhile
            return
        if not future.done():
            return
        if future.status == "error":
            exc = future.exception()
            from distributed import KilledWorker  # optional: the [dask] extra

            self._prepares.pop(key, None)
            if isinstance(exc, KilledWorker) or where.worker not in self.workers:
                where.phase, where.worker = "placing", None
                return
            self._log(replica.slot, f"preparing on {where.worker} failed: {exc}\n")
            replica.proc.returncode = 1  # type: ignore[union-attr]
            return
        try:
            result = self.client.run(agent.spawn, self.key, replica.slot, replica.generation,
                                     self._keys(), workers=[where.worker])[where.worker]
        except KeyError:  # the worker restarted and lost the prepared generation
            self._prepares.pop(key, None)
            where.phase, where.worker = "placing", None
            return
        except Exception as exc:
            self._log(replica.slot, f"starting on {where.worker} failed: "
                                    f"{type(exc).__name__}: {exc}\n")
            replica.proc.returncode = 1  # type: ignore[union-attr]
            return
        replica.proc.pid = result["pid"]  # type: ignore[union-attr]
        where.url = f"http://{result['host']}:{result['port']}"
        where.phase = "running"
        log(f"replica {replica.slot} (pid {result['pid']}) on {where.worker}, "
            f"{where.url}")

    def _poll(self) -> None:
        try:
            # ncores: every worker in every distributed version (scheduler_info() lists only
            # 5 in some).
            self.workers = set(self.client.ncores())
        except Exception as exc:
            log(f"the Dask scheduler is unreachable: {type(exc).__name__}: {exc}")
            return
        running = [r for r in self.replicas if self.at(r).phase == "running" and r.running]
        for replica in running:
            worker = self.at(replica).worker
            if worker not in self.workers:
                replica.last_exit = f"lost with its Dask worker {worker}"
                replica.proc.returncode = LOST  # type: ignore[union-attr]
                replica.ready = False
                self._log(replica.slot, f"--- its Dask worker {worker} left\n")
        hosts = sorted(self.hosts & self.workers)
        keys = self._changed_keys()
        if hosts:
            try:
                found = self.client.run(agent.poll, self.key, self.memory_gb, keys,
                                        workers=hosts, on_error="return")
            except Exception as exc:
                log(f"polling the workers failed: {type(exc).__name__}: {exc}")
                found = {}
            states = []
            for replica in running:
                state = found.get(self.at(replica).worker)
                mine = state.get(replica.slot) if isinstance(state, dict) else None
                if mine is not None and mine.get("pid") == replica.pid:
                    states.append((replica, mine))
            if any(m.get("returncode") is not None for _, m in states):
                self.pull()  # the exits' last log lines, before the daemon quotes them
            for replica, mine in states:
                if mine.get("oom"):
                    replica.last_exit = mine["oom"]
                if mine.get("returncode") is not None:
                    replica.proc.returncode = mine["returncode"]  # type: ignore[union-attr]
                    replica.ready = False
                elif mine.get("ready") and replica.draining_since is None:
                    replica.ready = replica.ever_ready = True
        self._route()

    def _changed_keys(self) -> dict[str, str] | None:
        """The keys when ``keys.json`` changed since the last poll (``regen_key``)."""
        try:
            mtime = (self.state_dir / KEYS_FILE).stat().st_mtime_ns
        except OSError:
            return None
        if mtime == self._keys_mtime:
            return None
        self._keys_mtime = mtime
        return self._keys()

    def _route(self) -> None:
        self.front.set_routes({r.slot: self.at(r).url for r in self.replicas
                               if r.ready and self.at(r).url and r.draining_since is None
                               and r.running})

    def drop_generations(self, keep: set[int]) -> None:
        """Forget the generations not in ``keep`` (replaced by an update, abandoned): their
        prepare tasks are released and their folders removed on the workers."""
        for number in {n for _, n in self._prepares} - keep:
            for key in [k for k in self._prepares if k[1] == number]:
                with contextlib.suppress(Exception):
                    self._prepares.pop(key).release()
            hosts = sorted(self.hosts & self.workers)
            if hosts:
                with contextlib.suppress(Exception):
                    self.client.run(agent.drop_generation, self.key, number, workers=hosts,
                                    on_error="return")

    # ------------------------------------------------------------------ monitoring
    def pull(self) -> None:
        """Bring what the hosting workers' replicas appended into the state folder: records
        and bodies as complete files named ``<replica>-0-<seq>`` (pid 0: no live writer, so
        the daemon's readers read each once and remove it), log bytes appended to
        ``logs/<slot>.log``."""
        hosts = sorted(self.hosts & self.workers)
        if not hosts:
            return
        try:
            found = self.client.run(agent.pull, self.key, workers=hosts, on_error="return")
        except Exception as exc:
            log(f"pulling records failed: {type(exc).__name__}: {exc}")
            return
        for pulled in found.values():
            if isinstance(pulled, dict):
                self._mirror(pulled)

    def _mirror(self, pulled: dict[str, Any]) -> None:
        for folder, suffix in ((REQUESTS_DIR, ".bin"), (COLLECT_DIR, ".jsonl")):
            for replica, data in pulled.get(folder, []):
                self._mirror_seq += 1
                path = self.state_dir / folder / f"{replica}-0-{self._mirror_seq:09d}{suffix}"
                path.parent.mkdir(exist_ok=True)
                partial = path.with_name(path.name + ".partial")
                partial.write_bytes(data)
                os.replace(partial, path)
        for slot, data in (pulled.get("logs") or {}).items():
            with open(self.state_dir / LOGS_DIR / f"{slot}.log", "ab") as out:
                out.write(data)

    def _log(self, slot: str, text: str) -> None:
        with open(self.state_dir / LOGS_DIR / f"{slot}.log", "ab") as out:
            out.write(text.encode("utf-8", "replace"))


__all__ = ["Placement", "RemotePool", "RemoteProcess"]
