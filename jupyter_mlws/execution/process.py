"""Starting a run's process so it can be stopped as a whole and cannot outlive its owner.

The script gets its own session/process group (``start_new_session``) so cancel can signal the
whole group, and ``PR_SET_PDEATHSIG(SIGKILL)`` so the kernel kills it when the thread that
started it dies (a SIGKILLed supervisor or Dask worker leaves no orphan).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1

_libc = None


def _load_libc():  # -> ctypes.CDLL | None
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        import ctypes  # on use: libc only on Linux

        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _die_with_parent(parent_pid: int):  # -> Callable[[], None]
    libc = _load_libc()  # loaded before fork: preexec_fn must not import

    def preexec() -> None:
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(137)

    return preexec


def spawn(argv: list[str], cwd: str, env: dict[str, str]) -> subprocess.Popen:
    """Start ``argv`` in its own process group, stdout+stderr into one pipe, dying with us."""
    return subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()))


def kill_tree(proc: subprocess.Popen, grace_seconds: float = 0.5) -> int:
    """Stop ``proc``, its process group and every descendant (even ones that left the group):
    SIGTERM, then SIGKILL after ``grace_seconds``. Returns the exit code."""
    import psutil  # psutil on use (cold start)

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        family = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        for child in family:
            with contextlib.suppress(psutil.Error):
                child.send_signal(sig)
        deadline = time.monotonic() + (grace_seconds if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline:
            alive = proc.poll() is None or any(_running(c) for c in family)
            if not alive:
                break
            time.sleep(0.01)
        else:
            continue
        break
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5.0)
    return proc.returncode if proc.returncode is not None else -signal.SIGKILL


def terminate_daemon(pid: int, timeout: float) -> None:
    """SIGTERM the daemon ``pid`` (it shuts its own children down), SIGKILL it and its
    descendants when it has not exited after ``timeout``, then kill any descendant that outlived
    it. Returns when they are gone (or 5 s more have passed)."""
    import psutil  # psutil on use (cold start)

    family: list[psutil.Process] = []
    try:
        proc = psutil.Process(pid)
        family = proc.children(recursive=True)
        proc.terminate()
        proc.wait(timeout)
    except psutil.TimeoutExpired:
        for member in [proc, *family]:
            with contextlib.suppress(psutil.Error):
                member.kill()
    except psutil.Error:
        pass  # already gone; its children (if listed) are still reaped below
    _gone, alive = psutil.wait_procs(family, timeout=5)
    for member in alive:
        with contextlib.suppress(psutil.Error):
            member.kill()


def _running(process) -> bool:  # psutil.Process
    import psutil  # psutil on use (cold start)

    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


__all__ = ["kill_tree", "spawn"]
