"""CPU, memory and (where present) GPU use of a submitted run, sampled by its executor into the
run's metrics under ``system/`` (the studio charts them in a "System" section).

Per sample, over the script's process and every descendant (psutil):

- ``system/cpu_percent``: CPU time used, in percent of one core (400 = four busy cores);
- ``system/memory_mb``: resident memory in MiB, ``system/memory_percent`` of the machine's;
- ``system/host_cpu_percent``: the whole machine's CPU use (other work shows here);
- ``system/gpu<i>_utilization_percent``, ``system/gpu<i>_memory_mb``: per NVIDIA GPU when
  ``nvidia-smi`` is on PATH (machine-wide: nvidia-smi does not attribute use to processes).

Samples are taken when the script starts, every ``MLWS_SYSTEM_METRICS_INTERVAL`` seconds
(default 5; 0 turns sampling off) and when it ends, with step = the sample's number.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from typing import Any

PREFIX = "system/"
INTERVAL_VARIABLE = "MLWS_SYSTEM_METRICS_INTERVAL"
DEFAULT_INTERVAL = 5.0
_NVIDIA_SMI_TIMEOUT = 5.0


def sampling_interval() -> float | None:
    """Seconds between samples, None when sampling is off (or the setting is unreadable)."""
    raw = os.environ.get(INTERVAL_VARIABLE, "")
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value > 0 and value == value else None


def gpu_samples() -> list[tuple[str, float]]:
    """Utilization and memory of each NVIDIA GPU, or nothing without nvidia-smi."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run(
            [smi, "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=_NVIDIA_SMI_TIMEOUT, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    samples: list[tuple[str, float]] = []
    for index, line in enumerate(out.strip().splitlines()):
        parts = [p.strip() for p in line.split(",")]
        try:
            utilization, memory = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            continue  # "[N/A]" on some devices
        samples += [(f"{PREFIX}gpu{index}_utilization_percent", utilization),
                    (f"{PREFIX}gpu{index}_memory_mb", memory)]
    return samples


class SystemSampler:
    """Samples one process tree; ``due(now)`` says when, ``sample()`` returns the values."""

    def __init__(self, pid: int, interval: float | None = None) -> None:
        import psutil  # psutil on use

        self._psutil = psutil
        self.interval = interval if interval is not None else sampling_interval()
        self.pid = pid
        self.step = 0
        self._last: float | None = None
        # Process objects are kept: cpu_percent() measures since the previous call on the same
        # object, so a fresh object per sample would always say 0.
        self._tracked: dict[int, Any] = {}
        self._total_memory = psutil.virtual_memory().total
        psutil.cpu_percent(None)

    @property
    def enabled(self) -> bool:
        return self.interval is not None

    def due(self, now: float) -> bool:
        return self.enabled and (self._last is None or now - self._last >= self.interval)

    def _tree(self) -> list[Any]:
        psutil = self._psutil
        try:
            root = self._tracked.get(self.pid) or psutil.Process(self.pid)
            family = [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
        alive = {}
        for proc in family:
            alive[proc.pid] = self._tracked.get(proc.pid, proc)
        self._tracked = alive
        return list(alive.values())

    def sample(self, now: float | None = None) -> list[tuple[str, float]]:
        """One sample of the tree (empty once the processes are gone)."""
        psutil = self._psutil
        self._last = time.monotonic() if now is None else now
        cpu = 0.0
        rss = 0
        found = False
        for proc in self._tree():
            try:
                with proc.oneshot():
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss
                found = True
            except psutil.Error:
                continue  # exited between listing and reading
        if not found:
            return []
        values = [(f"{PREFIX}cpu_percent", round(cpu, 2)),
                  (f"{PREFIX}memory_mb", round(rss / 2**20, 2)),
                  (f"{PREFIX}memory_percent", round(100.0 * rss / self._total_memory, 3)),
                  (f"{PREFIX}host_cpu_percent", round(psutil.cpu_percent(None), 2)),
                  *gpu_samples()]
        return values

    def points(self, run_id: str, now: float | None = None) -> list[tuple]:
        """A sample as MetricPoints for ``Store.append_metrics`` (step = sample number)."""
        values = self.sample(now)
        if not values:
            return []
        stamp = time.time()
        step = self.step
        self.step += 1
        return [(run_id, name, "scalar", step, stamp, value, "") for name, value in values]


__all__ = ["INTERVAL_VARIABLE", "PREFIX", "SystemSampler", "gpu_samples", "sampling_interval"]
