"""The detached per-run supervisor: ``python -m jupyter_mlws.execution.supervisor <spec file>``.

It owns one submitted run (store owner = this process) so the run outlives the notebook kernel
that submitted it, and it runs :func:`execute_run`. Started by :func:`launch` in a new session
with stdin/stdout on /dev/null; stderr goes to ``supervisor.log`` next to the spec so a crash
of the supervisor itself leaves a trace. Imports stay light: the script is started before the
store is loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def write_spec(spec: dict[str, Any], directory: str) -> str:
    """Write the spec readable by its owner only: it may hold the server token."""
    from ..store import private  # here, not at the top: the supervisor starts before the store

    # The run's own folder (spec, supervisor log, working copy), made by this submit: 0700.
    private.make_dirs(directory)
    private.tighten(directory, private.DIR_MODE)
    path = os.path.join(directory, "spec.json")
    partial = path + ".partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover partial file keeps its old mode through O_CREAT
    with open(fd, "w", encoding="utf-8") as handle:
        json.dump(spec, handle)
    os.replace(partial, path)
    return path


def remove_spec(path: str) -> None:
    """Remove a spec file once its run has ended (it may hold the server token)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def launch(spec: dict[str, Any], directory: str,
           module: str = "jupyter_mlws.execution.supervisor") -> subprocess.Popen:
    """Write ``spec`` into ``directory`` and start a detached ``python -m module`` for it
    (this supervisor by default; the Dask one passes its own module)."""
    spec_path = write_spec(spec, directory)
    try:
        from ..store import private  # on use: the supervisor starts before the store loads

        with open(os.path.join(directory, "supervisor.log"), "ab",
                  opener=private.opener) as errors:
            # cwd = the folder holding the package, so ``-m`` finds this very jupyter_mlws.
            return subprocess.Popen(
                [sys.executable, "-m", module, spec_path],
                cwd=PACKAGE_PARENT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=errors, start_new_session=True, close_fds=True)
    except BaseException:
        remove_spec(spec_path)
        raise


def run_spec_file(argv: list[str] | None, module: str,
                  run: Callable[[dict[str, Any]], str | None]) -> int:
    """The ``main`` of a supervisor ``module``: run the spec file named on the command line
    with ``run`` (which returns the final status), then remove the file (it may hold the
    server token). Exit 0 when the run ended, 1 when not, 2 on a bad command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python -m {module} <spec.json>", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as handle:
            spec = json.load(handle)
        status = run(spec)
    finally:
        remove_spec(args[0])
    return 0 if status in ("Completed", "Canceled", "Failed") else 1


def _execute(spec: dict[str, Any]) -> str | None:
    from .executor import execute_run  # on use: the supervisor starts before the store loads

    return execute_run(spec).get("status")


def main(argv: list[str] | None = None) -> int:
    return run_spec_file(argv, "jupyter_mlws.execution.supervisor", _execute)


if __name__ == "__main__":
    sys.exit(main())
