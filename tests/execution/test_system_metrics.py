"""System metrics of submitted runs: the executor samples the script's CPU and memory (and
GPUs where nvidia-smi exists) into the run's metrics under system/."""

from __future__ import annotations

import os

import pytest

from jupyter_mlws.core import ScriptRunConfig
from jupyter_mlws.execution.system_metrics import SystemSampler, gpu_samples, sampling_interval

BUSY = """
import time
from jupyter_mlws.core import Run


def samples():
    found = run.get_metrics().get("system/memory_mb")
    return found if isinstance(found, list) else [] if found is None else [found]


run = Run.get_context()
# 64 MiB the memory samples must see: written, so they are resident (a bytearray(n) of zeros
# is mapped but untouched and would not count in the process's memory).
data = b"\\x01" * (64 * 1024 * 1024)
deadline = time.time() + 120
# Busy until the executor has sampled this process twice and seen the buffer (samples reach the
# store a moment after they are taken, so a count alone could be of samples from before it).
while time.time() < deadline:
    seen = samples()
    if len(seen) >= 2 and max(seen) >= 64:
        break
    sum(range(100000))
print(len(data))
"""


def test_submitted_run_records_cpu_and_memory(exp, make_source, monkeypatch):
    monkeypatch.setenv("MLWS_SYSTEM_METRICS_INTERVAL", "0.2")
    run = exp.submit(ScriptRunConfig(make_source(files={"busy.py": BUSY}), "busy.py"))
    run.wait_for_completion(wait_post_processing=True)
    metrics = run.get_metrics()
    for name in ("system/cpu_percent", "system/memory_mb", "system/memory_percent",
                 "system/host_cpu_percent"):
        assert name in metrics, sorted(metrics)
    memory = metrics["system/memory_mb"]
    memory = memory if isinstance(memory, list) else [memory]
    assert len(memory) >= 2 and max(memory) >= 64  # the script's buffer, in MiB
    cpu = metrics["system/cpu_percent"]
    assert all(v >= 0 for v in cpu) and max(cpu) > 0  # the busy loop, after the first sample
    series = run._store.get_metric_series(run.id, "system/memory_mb")
    assert series.step[:2] == [0, 1]  # step = sample number


def test_sampling_is_off_or_on_by_setting(monkeypatch):
    monkeypatch.setenv("MLWS_SYSTEM_METRICS_INTERVAL", "0")
    assert sampling_interval() is None
    monkeypatch.setenv("MLWS_SYSTEM_METRICS_INTERVAL", "bogus")
    assert sampling_interval() == 5.0
    monkeypatch.delenv("MLWS_SYSTEM_METRICS_INTERVAL")
    assert sampling_interval() == 5.0
    sampler = SystemSampler(os.getpid(), interval=1.0)
    assert sampler.due(100.0)
    points = sampler.points("run-1", now=100.0)
    names = {p[1] for p in points}
    assert {"system/cpu_percent", "system/memory_mb"} <= names
    assert all(p[3] == 0 and p[2] == "scalar" for p in points)
    assert not sampler.due(100.5) and sampler.due(101.0)
    assert sampler.points("run-1", now=101.0)[0][3] == 1
    gone = SystemSampler(os.getpid(), interval=1.0)
    gone.pid = 2**22 + 12345  # no such process: nothing to record
    assert gone.sample() == []


def test_gpus_only_where_nvidia_smi_is(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert gpu_samples() == []
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho '37, 1024'\necho '[N/A], 12'\n")
    fake.chmod(0o755)
    assert gpu_samples() == [("system/gpu0_utilization_percent", 37.0),
                             ("system/gpu0_memory_mb", 1024.0)]


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_bad_intervals_turn_sampling_off(monkeypatch, value):
    monkeypatch.setenv("MLWS_SYSTEM_METRICS_INTERVAL", value)
    assert sampling_interval() is None
