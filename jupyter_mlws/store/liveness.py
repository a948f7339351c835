"""Who owns a run, and whether that owner is still alive.

An owner string is ``"<host>:<pid>:<process create time>"``. The create time tells a live
process from a new one that reused the pid after the owner died.
"""

from __future__ import annotations

import os
import socket
import time

# A run owned by another host is considered dead when its heartbeat is older than this.
STALE_HEARTBEAT_SECONDS = 600.0

_owner: tuple[int, str] | None = None


def _create_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
        return None


def current_owner() -> str:
    """The owner string of this process (cached; recomputed after a fork)."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:
        created = _create_time(pid) or 0.0
        _owner = (pid, f"{socket.gethostname()}:{pid}:{created:.2f}")
    return _owner[1]


def parse_owner(owner: str) -> tuple[str, int, float] | None:
    try:
        host, pid, created = owner.rsplit(":", 2)
        return host, int(pid), float(created)
    except (ValueError, AttributeError):
        return None


def is_owner_alive(owner: str) -> bool | None:
    """True/False for an owner on this host; None when it cannot be told from here (another
    host or a malformed owner), in which case the caller falls back to the heartbeat."""
    parsed = parse_owner(owner)
    if parsed is None:
        return None
    host, pid, created = parsed
    if host != socket.gethostname():
        return None
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        actual = proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # it exists; we just may not inspect it
    # Owner strings keep two decimals, so allow for rounding.
    return abs(actual - created) < 0.02


def is_run_stale(owner: str | None, heartbeat_time: float | None, now: float | None = None) -> bool:
    """Whether an active run with this owner/heartbeat should be reconciled to Failed."""
    if not owner:
        return False
    alive = is_owner_alive(owner)
    if alive is not None:
        return not alive
    if heartbeat_time is None:
        return False
    return (now if now is not None else time.time()) - heartbeat_time > STALE_HEARTBEAT_SECONDS
