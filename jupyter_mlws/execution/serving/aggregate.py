"""Request records -> per-second buckets -> metric points of the service's monitoring run.

The monitoring store of a workspace (its "Application Insights") is the metric store: each
service has a monitoring run whose metrics are one point per second that saw requests, with
``step`` = the second (epoch seconds): ``requests``, ``errors`` (5xx), ``client_errors``
(4xx), ``latency_p50_ms`` / ``_p95_ms`` / ``_p99_ms`` / ``_mean_ms`` (exact for the second),
``bytes_in``, ``bytes_out``, a ``latency_histogram`` table row (counts per log-spaced bin, so
percentiles over any window are merged exactly to the bin's width) and ``replica_requests``
(requests per replica). They are written in batches, read downsampled for charts, and pushed
by the live channel like any run's metrics.

A second is written once it is ``SETTLE_SECONDS`` old (replicas flush every 0.25 s, the
daemon reads every second), or when the daemon stops.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

SETTLE_SECONDS = 2.0
# Histogram bins: bin k holds latencies in [BASE_MS * RATIO**k, BASE_MS * RATIO**(k+1)).
BASE_MS = 0.01
BINS_PER_DOUBLING = 4
RATIO = 2.0 ** (1.0 / BINS_PER_DOUBLING)
MAX_BIN = 120  # ~10 minutes
LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_mean_ms")


def latency_bin(latency_ms: float) -> int:
    if latency_ms <= BASE_MS:
        return 0
    return min(MAX_BIN, int(math.log2(latency_ms / BASE_MS) * BINS_PER_DOUBLING))


def bin_middle(index: int) -> float:
    """The geometric middle of bin ``index`` (ms)."""
    return BASE_MS * RATIO ** (index + 0.5)


def percentile_from_histogram(counts: dict[int, int], q: float) -> float | None:
    total = sum(counts.values())
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index in sorted(counts):
        seen += counts[index]
        if seen >= rank:
            return bin_middle(index)
    return bin_middle(max(counts))


def exact_percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank (the value at or above the q-th fraction of the points)."""
    index = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass
class Bucket:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    client_errors: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    per_replica: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Aggregator:
    """Collects records by second; ``settled`` hands out the finished seconds as points."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.buckets: dict[int, Bucket] = {}
        self.busy_ms: dict[str, float] = defaultdict(float)  # since the last take_busy()

    def add(self, replica: str, records: list[tuple[float, float, int, int, int]]) -> None:
        for end, latency, status, bytes_in, bytes_out in records:
            bucket = self.buckets.get(int(end))
            if bucket is None:
                bucket = self.buckets[int(end)] = Bucket()
            bucket.latencies.append(latency)
            if status >= 500:
                bucket.errors += 1
            elif status >= 400:
                bucket.client_errors += 1
            bucket.bytes_in += bytes_in
            bucket.bytes_out += bytes_out
            bucket.per_replica[replica] += 1
            self.busy_ms[replica] += latency

    def take_busy(self) -> dict[str, float]:
        busy, self.busy_ms = dict(self.busy_ms), defaultdict(float)
        return busy

    def settled(self, now: float | None, force: bool = False) -> list[tuple]:
        """Metric points (``MetricPoint`` tuples) of the seconds older than SETTLE_SECONDS (all
        with ``force``), oldest first; those seconds are forgotten."""
        done = sorted(s for s in self.buckets
                      if force or (now is not None and s + 1 + SETTLE_SECONDS <= now))
        points: list[tuple] = []
        for second in done:
            points.extend(self._points(second, self.buckets.pop(second)))
        return points

    def _points(self, second: int, bucket: Bucket) -> list[tuple]:
        values = sorted(bucket.latencies)
        count = len(values)
        histogram: dict[int, int] = defaultdict(int)
        for latency in values:
            histogram[latency_bin(latency)] += 1
        scalars: dict[str, Any] = {
            "requests": count, "errors": bucket.errors, "client_errors": bucket.client_errors,
            "latency_p50_ms": exact_percentile(values, 0.50),
            "latency_p95_ms": exact_percentile(values, 0.95),
            "latency_p99_ms": exact_percentile(values, 0.99),
            "latency_mean_ms": sum(values) / count,
            "bytes_in": bucket.bytes_in, "bytes_out": bucket.bytes_out}
        stamp = float(second)
        points = [(self.run_id, name, "scalar", second, stamp, value, "")
                  for name, value in scalars.items()]
        points.append((self.run_id, "latency_histogram", "table", second, stamp,
                       {f"b{k}": v for k, v in sorted(histogram.items())}, ""))
        points.append((self.run_id, "replica_requests", "table", second, stamp,
                       dict(sorted(bucket.per_replica.items())), ""))
        return points


def merge_histograms(rows: list[dict[str, Any]]) -> dict[int, int]:
    """Sum ``latency_histogram`` rows (``{"b<k>": count}``)."""
    merged: dict[int, int] = defaultdict(int)
    for row in rows:
        for key, value in (row or {}).items():
            if key.startswith("b") and key[1:].isdigit() and isinstance(value, (int, float)):
                merged[int(key[1:])] += int(value)
    return dict(merged)


__all__ = ["LATENCY_METRICS", "Aggregator", "bin_middle", "exact_percentile", "latency_bin",
           "merge_histograms", "percentile_from_histogram"]
