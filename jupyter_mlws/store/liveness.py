"""Who owns a run, and whether that owner is still alive.

An owner string is ``"<host>:<pid>:<identity>"``. The identity tells a live process from a new
one that reused the pid after the owner died, and no clock change may move it:

- Linux: ``"<start ticks>@<boot id>"``, the process start time in clock ticks since boot
  (``/proc/<pid>/stat`` field 22) and the kernel's boot id
  (``/proc/sys/kernel/random/boot_id``), so a reboot is told apart too. Neither depends on the
  wall clock (psutil's create time is boot time + ticks, and the boot time is derived from the
  wall clock: a clock step moves it).
- Elsewhere: psutil's create time with two decimals (the format of earlier releases, which
  is still understood: such an owner string is compared by create time).

Heartbeats judge owners on other hosts: a run whose heartbeat is older than
``STALE_HEARTBEAT_SECONDS`` is taken as dead, unless this process saw that heartbeat advance
within that time on its own monotonic clock (so a wall-clock step of the judging process does
not kill a run whose owner keeps beating).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import NamedTuple

# A run owned by another host is considered dead when its heartbeat is older than this.
STALE_HEARTBEAT_SECONDS = 600.0
# Owner strings of earlier releases keep two decimals of the create time.
_LEGACY_TOLERANCE = 0.02
_PROC = "/proc"
_BOOT_ID = "/proc/sys/kernel/random/boot_id"

_owner: tuple[int, str] | None = None
_boot_id: str | None = None


class Owner(NamedTuple):
    host: str
    pid: int
    start_ticks: int | None  # Linux identity ...
    boot_id: str | None  # ... with the boot it belongs to
    create_time: float | None  # legacy / non-Linux identity


def boot_id() -> str | None:
    """This boot's id (Linux), cached; None where the kernel does not provide one."""
    global _boot_id
    if _boot_id is None:
        try:
            with open(_BOOT_ID, encoding="ascii") as handle:
                _boot_id = handle.read().strip()
        except OSError:
            _boot_id = ""
    return _boot_id or None


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) of ``pid``; None if it is gone or
    there is no /proc."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ")": fields after
    # the last ")" start at field 3 (state); field 22 (starttime) is the 20th of them.
    rest = text[text.rfind(")") + 2:].split()
    try:
        return rest[0], int(rest[19])
    except (IndexError, ValueError):
        return None


def _psutil_create_time(pid: int) -> float | None:
    import psutil  # psutil on use (cold start)

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
        return None


def process_identity(pid: int) -> str | None:
    """The identity part of an owner string for ``pid``; None when it is not running."""
    boot = boot_id()
    if boot is not None and os.path.isdir(_PROC):
        stat = _proc_stat(pid)
        if stat is None:
            return None
        return f"{stat[1]}@{boot}"
    created = _psutil_create_time(pid)
    return None if created is None else f"{created:.2f}"


def owner_of(pid: int) -> str:
    """The owner string the process ``pid`` of this host reports (see :func:`current_owner`)."""
    identity = process_identity(pid)
    if identity is None:
        raise ProcessLookupError(f"process {pid} is not running")
    return f"{socket.gethostname()}:{pid}:{identity}"


def current_owner() -> str:
    """The owner string of this process (cached; recomputed after a fork)."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:
        _owner = (pid, owner_of(pid))
    return _owner[1]


def parse_owner(owner: str | None) -> Owner | None:
    """Both formats: ``host:pid:ticks@boot`` and the earlier ``host:pid:create_time``."""
    try:
        host, pid_text, identity = owner.rsplit(":", 2)  # type: ignore[union-attr]
        pid = int(pid_text)
        if "@" in identity:
            ticks, boot = identity.split("@", 1)
            return Owner(host, pid, int(ticks), boot, None)
        return Owner(host, pid, None, None, float(identity))
    except (ValueError, AttributeError):
        return None


def is_process_alive(pid: int | None, *, identity: str | None = None,
                     create_time: float | None = None) -> bool:
    """The process ``pid`` of this host runs and is the one recorded by ``identity`` (see
    :func:`process_identity`) or, for records of earlier releases, by ``create_time``."""
    if not pid:
        return False
    if identity:
        parsed = parse_owner(f"_:{pid}:{identity}")
        if parsed is None:
            return False
        return _alive(parsed)
    return _alive(Owner("", pid, None, None, create_time))


def _alive(owner: Owner) -> bool:
    if owner.start_ticks is not None:
        if owner.boot_id != boot_id():
            return False  # recorded before a reboot: that process is gone
        stat = _proc_stat(owner.pid)
        return stat is not None and stat[0] not in ("Z", "X") and stat[1] == owner.start_ticks
    import psutil  # psutil on use (cold start)

    try:
        proc = psutil.Process(owner.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        actual = proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # it exists; we just may not inspect it
    if owner.create_time is None:
        return True
    return abs(actual - owner.create_time) < _LEGACY_TOLERANCE


def is_owner_alive(owner: str) -> bool | None:
    """True/False for an owner on this host; None when it cannot be told from here (another
    host or a malformed owner), in which case the caller falls back to the heartbeat."""
    parsed = parse_owner(owner)
    if parsed is None or parsed.host != socket.gethostname():
        return None
    return _alive(parsed)


class _HeartbeatWatch:
    """When this process last saw each run's heartbeat change, on the monotonic clock."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def advanced_recently(self, run_id: str, heartbeat: float) -> bool:
        now = time.monotonic()
        with self._lock:
            previous = self._seen.get(run_id)
            if previous is None or previous[0] != heartbeat:
                if len(self._seen) >= self.LIMIT:
                    self._seen.clear()  # a bound, not a cache policy: seen again next read
                # A first sighting proves nothing; a change does.
                changed_at = now if previous is not None else float("-inf")
                self._seen[run_id] = (heartbeat, changed_at)
                return previous is not None
            return now - previous[1] < STALE_HEARTBEAT_SECONDS


_watch = _HeartbeatWatch()


def is_run_stale(owner: str | None, heartbeat_time: float | None, now: float | None = None,
                 run_id: str | None = None) -> bool:
    """Whether an active run with this owner/heartbeat should be reconciled to Failed."""
    if not owner:
        return False
    alive = is_owner_alive(owner)
    if alive is not None:
        return not alive
    if heartbeat_time is None:
        return False
    if run_id is not None and _watch.advanced_recently(run_id, heartbeat_time):
        return False
    return (now if now is not None else time.time()) - heartbeat_time > STALE_HEARTBEAT_SECONDS


__all__ = ["STALE_HEARTBEAT_SECONDS", "Owner", "boot_id", "current_owner", "is_owner_alive",
           "is_process_alive", "is_run_stale", "owner_of", "parse_owner", "process_identity"]
