"""Environments built with uv, cached by the hash of their canonical spec.

The cache is the workspace's "container registry": ``<MLWS_HOME>/envs/<sha256>`` holds one
virtual environment per distinct spec. A build goes into ``<hash>.tmp`` under a file lock (so
concurrent runs needing the same environment build it once), byte-compiles (this machine sets
PYTHONDONTWRITEBYTECODE, so .pyc files the installer does not write are never written), writes
``.ready`` and is renamed into place. Reuse is one ``os.path.exists``.

A spec is a JSON dict: ``{"type": "interpreter", "interpreter": path}`` (user-managed, nothing
built) or ``{"type": "uv", "python": "3.11" | None, "requirements": [...], "pip_options": [...]}``.
Built environments see the host's site-packages *after* their own (a ``.pth`` file), so the
script can ``import jupyter_mlws`` while its own pins win for everything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import site
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .conda import EnvironmentBuildError
from .pythons import available_versions, host_version, install_failure, missing_python

FORMAT = 1  # bump to invalidate every cached environment after a layout change
READY = ".ready"
BUILD_LOG_SUFFIX = ".build.log"  # <envs root>/<hash>.build.log: every build of that hash
BUILD_LOG_MAX = 1024 * 1024
BUILD_LOCK_TIMEOUT = 3600.0
LogFn = Callable[[str], None]


def envs_root(home: str | os.PathLike | None = None) -> Path:
    """``<MLWS_HOME>/envs``."""
    if home is None:
        from ..store.settings import mlws_home  # on use: loads 8 more modules

        home = mlws_home()
    return Path(home) / "envs"


def host_python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def check_buildable(spec: dict[str, Any], home: str | os.PathLike | None = None) -> None:
    """Fail now, at submit, for what no build could fix: a Python version that is not
    installed here (the error lists those that are). Costs nothing for a built environment
    or the host's Python."""
    if spec.get("type") != "uv" or _same_minor(spec.get("python")):
        return
    if ready_interpreter(spec, home) is None:
        _base_interpreter(spec.get("python"))


def canonical_spec(requirements: list[str], pip_options: list[str] | None = None,
                   python_version: str | None = None) -> dict[str, Any]:
    """The canonical (hashable) form of a uv environment; order of requirements is irrelevant."""
    return {"type": "uv", "python": python_version or None,
            "requirements": sorted({r.strip() for r in requirements if r.strip()}),
            "pip_options": [o.strip() for o in pip_options or [] if o.strip()]}


def _same_minor(version: str | None) -> bool:
    if not version:
        return True
    return version.split(".")[:2] == host_python_version().split(".")


def _base_interpreter(python_version: str | None) -> str:
    if _same_minor(python_version):
        return sys.executable
    uv = find_uv()
    if uv is None:
        raise missing_python(str(python_version), [host_version()])
    proc = subprocess.run([uv, "python", "find", str(python_version), "--no-python-downloads"],
                          capture_output=True, text=True, env=_uv_env(), check=False)
    path = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not path:
        raise missing_python(str(python_version), available_versions(uv, _uv_env()))
    return path


def _version_of(interpreter: str) -> str:
    if interpreter == sys.executable:
        return host_version()
    proc = subprocess.run([interpreter, "-c", "import sys; print(sys.version.split()[0])"],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() or interpreter


def env_hash(spec: dict[str, Any]) -> str:
    """sha256 of the canonical spec plus the host interpreter it links to."""

    key = {"format": FORMAT, "spec": spec, "host": sys.executable}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _python_of(env_dir: Path) -> str:
    return str(env_dir / "bin" / "python")


def ready_interpreter(spec: dict[str, Any], home: str | os.PathLike | None = None) -> str | None:
    """The interpreter for ``spec`` if nothing needs building (the hot path), else None."""
    if spec.get("type") == "interpreter":
        return spec.get("interpreter") or sys.executable
    env_dir = envs_root(home) / env_hash(spec)
    marker = env_dir / READY
    if not marker.exists():
        return None
    with contextlib.suppress(OSError):
        os.utime(marker)  # "last used", for prune()
    return _python_of(env_dir)


def find_uv() -> str | None:
    try:
        import uv  # the PyPI package ships the binary

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _uv_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)  # uv must target the env we name, not the caller's
    env["UV_PYTHON_DOWNLOADS"] = "never"  # the download host is not reachable here
    env.setdefault("UV_NO_PROGRESS", "1")
    return env


def _stream(cmd: list[str], log: LogFn, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run ``cmd``, forwarding its output lines to ``log``; returns (rc, last lines)."""
    log("$ " + " ".join(cmd) + "\n")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, text=True, errors="replace")
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        log(line)
        tail.append(line.rstrip("\n"))
        del tail[:-40]
    return proc.wait(), tail


def _site_packages(env_dir: Path) -> Path:
    found = sorted(env_dir.glob("lib/python*/site-packages"))
    if not found:
        raise EnvironmentBuildError(f"EnvironmentBuildError: no site-packages in {env_dir}")
    return found[0]


def _host_link(base: str) -> tuple[str, list[str]]:
    """(.pth content, extra requirements) making jupyter_mlws importable inside the env."""

    package_parent = str(Path(__file__).resolve().parents[2])
    if base == sys.executable:
        dirs = [*site.getsitepackages(), package_parent]
        lines = [f"import site; site.addsitedir({d!r})" for d in dict.fromkeys(dirs)]
        return "\n".join(lines) + "\n", []
    # Another Python version cannot load the host's compiled packages: install our
    # dependencies into the env and point at the (pure Python) package itself.
    from importlib.metadata import PackageNotFoundError, requires

    try:
        deps = [r for r in requires("jupyter_mlws") or [] if "extra ==" not in r]
    except PackageNotFoundError:
        deps = []
    return package_parent + "\n", deps


def _build(spec: dict[str, Any], target: Path, base: str, log: LogFn) -> None:
    uv = find_uv()
    env = _uv_env()
    pth, extra = _host_link(base)
    requirements = [*spec.get("pip_options", []), *spec.get("requirements", []), *extra]
    if uv is not None:
        rc, tail = _stream([uv, "venv", str(target), "--python", base, "--relocatable",
                            "--no-project"], log, env)
    else:  # the documented fallback when uv is missing: venv + pip
        rc, tail = _stream([base, "-m", "venv", str(target)], log, env)
    if rc != 0:
        raise EnvironmentBuildError("EnvironmentBuildError: creating the virtual environment "
                                    "failed:\n" + "\n".join(tail[-15:]))
    if requirements:
        req_file = target / "mlws-requirements.txt"
        req_file.write_text("\n".join(requirements) + "\n")
        if uv is not None:
            cmd = [uv, "pip", "install", "--python", _python_of(target), "--compile-bytecode",
                   "-r", str(req_file)]
        else:
            cmd = [_python_of(target), "-m", "pip", "install", "--compile", "-r", str(req_file)]
        rc, tail = _stream(cmd, log, env)
        if rc != 0:
            raise install_failure(
                tail, _version_of(base), available_versions(uv, env),
                lambda lines: "\n".join(line for line in lines[-20:] if line.strip()))
    (_site_packages(target) / "_mlws_host.pth").write_text(pth)


def ensure_environment(spec: dict[str, Any], home: str | os.PathLike | None = None,
                       log: LogFn | None = None) -> str:
    """The interpreter of ``spec``, building the environment first if needed (once, even when
    several processes ask at the same moment). Raises :class:`EnvironmentBuildError`."""
    ready = ready_interpreter(spec, home)
    if ready is not None:
        return ready


    root = envs_root(home)
    root.mkdir(parents=True, exist_ok=True)
    digest = env_hash(spec)
    log = _keeping_log(root / f"{digest}{BUILD_LOG_SUFFIX}", log or (lambda _text: None))
    final, tmp = root / digest, root / f"{digest}.tmp"
    lock = FileLock(str(root / f"{digest}.lock"))
    log(f"Environment {digest[:12]}: waiting for the build lock\n")
    with lock.acquire(timeout=BUILD_LOCK_TIMEOUT):
        if (final / READY).exists():
            log(f"Environment {digest[:12]}: built by another run, reusing it\n")
            return _python_of(final)
        for stale in (tmp, final):  # left by a build that died half-way
            if stale.exists():
                shutil.rmtree(stale, ignore_errors=True)
        started = time.time()
        log(f"Building environment {digest[:12]} into {final}\n")
        try:
            base = _base_interpreter(spec.get("python"))
            _build(spec, tmp, base, log)
            info = {"hash": digest, "spec": spec, "base_interpreter": base,
                    "created_time": started, "build_seconds": round(time.time() - started, 3)}
            (tmp / READY).write_text(json.dumps(info, indent=2))
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log(f"Environment {digest[:12]} built in {time.time() - started:.1f} s\n")
    return _python_of(final)


def _keeping_log(path: Path, log: LogFn) -> LogFn:
    """``log`` that also appends to the environment's own build log, which outlives the run
    that built it (the studio shows it beside the environment's specification)."""

    def write(text: str) -> None:
        log(text)
        try:
            with open(path, "a", encoding="utf-8", errors="replace") as handle:
                handle.write(text)
        except OSError:
            pass  # the run's own log still has it

    return write


def build_log(env_hash_or_prefix: str, home: str | os.PathLike | None = None,
              max_bytes: int = BUILD_LOG_MAX) -> str | None:
    """The build log of an environment (a unique hash prefix is enough; the last
    ``max_bytes``), None when there is none."""

    root = envs_root(home)
    if not re.fullmatch(r"[0-9a-f]{1,64}", env_hash_or_prefix) or not root.is_dir():
        return None
    logs = [p for p in root.glob(f"{env_hash_or_prefix}*{BUILD_LOG_SUFFIX}") if p.is_file()]
    if len(logs) != 1:
        return None
    with open(logs[0], "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - max_bytes))
        return handle.read().decode("utf-8", "replace")


# ------------------------------------------------------------------ the registry side
# (hashlib and shutil are imported where used: this module is on a submitted run's way to its
# script, where every import before the script starts is paid on each run)


def _info(env_dir: Path, with_size: bool = False) -> dict[str, Any] | None:
    marker = env_dir / READY
    try:
        info = json.loads(marker.read_text())
        info["last_used_time"] = marker.stat().st_mtime
    except (OSError, ValueError):
        return None
    info["path"] = str(env_dir)
    info["interpreter"] = _python_of(env_dir)
    info["has_build_log"] = env_dir.with_name(env_dir.name + BUILD_LOG_SUFFIX).is_file()
    if with_size:
        info["size_bytes"] = sum(f.stat().st_size for f in env_dir.rglob("*")
                                 if f.is_file() and not f.is_symlink())
    return info


def list_built(home: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Every built environment: hash, spec, path, interpreter, created/last used times."""
    root = envs_root(home)
    if not root.is_dir():
        return []
    found = [_info(d) for d in sorted(root.iterdir()) if d.is_dir() and not
             d.name.endswith(".tmp")]
    return sorted((i for i in found if i), key=lambda i: i["created_time"])


def inspect(env_hash_or_prefix: str, home: str | os.PathLike | None = None) -> dict[str, Any]:
    """Details of one built environment (a unique hash prefix is enough), with its size and
    installed distributions."""
    matches = [i for i in list_built(home) if i["hash"].startswith(env_hash_or_prefix)]
    if len(matches) != 1:
        raise EnvironmentBuildError(
            f"{'No' if not matches else 'More than one'} built environment matches "
            f"{env_hash_or_prefix!r}")
    info = _info(Path(matches[0]["path"]), with_size=True) or {}
    site_dir = _site_packages(Path(info["path"]))
    info["packages"] = sorted(p.name[:-len(".dist-info")] for p in site_dir.glob("*.dist-info"))
    return info


def prune(home: str | os.PathLike | None = None, unused_for_seconds: float | None = None,
          keep: list[str] | None = None, dry_run: bool = False) -> list[str]:
    """Delete built environments not used for ``unused_for_seconds`` (all when None), except
    the hashes in ``keep``, plus leftovers of failed builds. Environments being built (lock
    held) are skipped. Returns the removed hashes."""


    root = envs_root(home)
    if not root.is_dir():
        return []
    now = time.time()
    removed: list[str] = []
    for env_dir in sorted(root.iterdir()):
        if not env_dir.is_dir():
            continue
        digest = env_dir.name.removesuffix(".tmp")
        if digest in (keep or []):
            continue
        info = _info(env_dir)
        if info and unused_for_seconds is not None and (
                now - info["last_used_time"] < unused_for_seconds):
            continue
        lock = FileLock(str(root / f"{digest}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        try:
            removed.append(digest)
            if not dry_run:
                shutil.rmtree(env_dir, ignore_errors=True)
                with contextlib.suppress(OSError):
                    (root / f"{digest}{BUILD_LOG_SUFFIX}").unlink()
        finally:
            lock.release()
    return removed


__all__ = ["EnvironmentBuildError", "build_log", "canonical_spec", "check_buildable",
           "ensure_environment", "env_hash",
           "envs_root", "find_uv", "inspect", "list_built", "prune", "ready_interpreter"]
