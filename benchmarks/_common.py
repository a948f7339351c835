"""Shared helpers for the benchmark scripts: an isolated MLWS_HOME and figure printing."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable


def isolated_home(prefix: str = "mlws-bench-") -> str:
    """Point MLWS_HOME at a fresh temp dir so a benchmark never touches real data."""
    home = tempfile.mkdtemp(prefix=prefix)
    os.environ["MLWS_HOME"] = home
    for key in ("MLWS_DATABASE_URL", "MLWS_STORAGE_URL", "MLWS_TRACKING_URI"):
        os.environ.pop(key, None)
    return home


def figure(label: str, value: float, unit: str, goal: str = "") -> None:
    goal_text = f"   (goal {goal})" if goal else ""
    print(f"{label:<58} {value:>14,.3f} {unit}{goal_text}")


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Fastest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_us(samples_ns: list[int]) -> float:
    return statistics.median(samples_ns) / 1000.0
