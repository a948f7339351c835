"""Which Python versions an environment can be built on here, and why a build failed, in one
line.

An environment pinning a Python other than the host's (``python=3.6.2`` in v1 conda files) is
checked when the run is submitted, before anything is built: uv cannot download interpreters on
this machine, so only installed ones can be used, and the error lists them. A package that
cannot be installed is named in the first line of the error, with the Python it was built for.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable

from .conda import EnvironmentBuildError

_available: list[str] | None = None

# uv's own words for what failed, most specific first.
_FAILED = (
    re.compile(r"Failed to (?:download and )?build `([^`]+)`"),
    re.compile(r"Failed to (?:download|prepare distributions?)[^`]*`([^`]+)`"),
    re.compile(r"Because there is no version of ([^\s,]+)"),
    re.compile(r"Because ([^\s,]+) was not found in the package registry"),
    re.compile(r"and ([^\s,]+) depends on Python"),
    re.compile(r"Because ([^\s,]+) depends on Python"),
)
_EXCEPTION = re.compile(r"^\s*[\w.]+(?:Error|Exception): .+")
_RESOLUTION = re.compile(r"^\s*(?:cause: |.{0,4}\u25b6 )?(Because .+)")


def host_version() -> str:
    return sys.version.split()[0]


def available_versions(uv: str | None, env: dict[str, str]) -> list[str]:
    """Installed CPython versions uv finds (distinct, newest first), the host's included."""
    global _available
    if _available is None:
        found = {host_version()}
        if uv is not None:
            try:
                out = subprocess.run(
                    [uv, "python", "list", "--only-installed", "--output-format", "json"],
                    capture_output=True, text=True, env=env, timeout=60, check=False).stdout
                found |= {entry["version"] for entry in json.loads(out or "[]")
                          if entry.get("implementation", "cpython") == "cpython"}
            except (OSError, ValueError, KeyError, TypeError, subprocess.TimeoutExpired):
                pass
        _available = sorted(found, key=_version_key, reverse=True)
    return list(_available)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def missing_python(requested: str, available: list[str]) -> EnvironmentBuildError:
    return EnvironmentBuildError(
        f"EnvironmentBuildError: the environment needs Python {requested}, which is not "
        f"installed here (available: {', '.join(available)}; interpreters cannot be "
        "downloaded on this machine). Pin one of those in the conda dependencies "
        f"(python={'.'.join(available[0].split('.')[:2])}), or drop the python pin to use "
        f"Python {host_version()}.")


def install_failure(tail: list[str], python: str, available: list[str],
                    format_tail: Callable[[list[str]], str]) -> EnvironmentBuildError:
    """The error of a failed ``pip install``: which package, on which Python, why, in the
    first line; uv's own last lines below it."""
    text = "\n".join(tail)
    package = next((m.group(1) for pattern in _FAILED if (m := pattern.search(text))), None)
    causes = [line.strip() for line in tail if _EXCEPTION.match(line)]
    causes = causes or [m.group(1) for line in tail if (m := _RESOLUTION.match(line))]
    what = f"package {package}" if package else "the environment's packages"
    first = (f"EnvironmentBuildError: {what} could not be installed on Python {python}"
             + (f" ({causes[-1][:300]})" if causes else "")
             + f"; Python versions available here: {', '.join(available)}.")
    return EnvironmentBuildError(first + "\n" + format_tail(tail))


__all__ = ["available_versions", "host_version", "install_failure", "missing_python"]
