"""Autoscaling between ``autoscale_min_replicas`` and ``autoscale_max_replicas``, as AKS does
it for v1 services: on the utilization of the replicas (the share of the time they spent
scoring, from the request records), against ``autoscale_target_utilization`` (percent),
looked at every ``autoscale_refresh_seconds``.

- Above the target: scale up at once to ``ceil(replicas * utilization / target)`` (at least
  one more), capped at the maximum.
- Below half the target for ``scale_down_delay`` seconds in a row: one replica fewer, never
  below the minimum. Scaling down slowly keeps a bursty load from flapping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class AutoscaleSettings:
    min_replicas: int = 1
    max_replicas: int = 10
    target_utilization: float = 70.0  # percent
    refresh_seconds: float = 1.0
    scale_down_delay: float = 5.0


class Autoscaler:
    def __init__(self, settings: AutoscaleSettings) -> None:
        self.settings = settings
        self.low_since: float | None = None

    def decide(self, replicas: int, busy_ms: float, interval_s: float, now: float) -> int:
        """The wanted number of replicas, given ``busy_ms`` of scoring by the ``replicas``
        ready ones over the last ``interval_s`` seconds (``now`` on a monotonic clock)."""
        s = self.settings
        if replicas <= 0 or interval_s <= 0:
            return max(s.min_replicas, min(s.max_replicas, replicas or s.min_replicas))
        utilization = 100.0 * busy_ms / (interval_s * 1000.0 * replicas)
        wanted = replicas
        if utilization > s.target_utilization:
            self.low_since = None
            wanted = max(replicas + 1, math.ceil(replicas * utilization / s.target_utilization))
        elif utilization < s.target_utilization / 2:
            if self.low_since is None:
                self.low_since = now
            if now - self.low_since >= s.scale_down_delay:
                wanted = replicas - 1
                self.low_since = now  # the next step down waits another delay
        else:
            self.low_since = None
        return max(s.min_replicas, min(s.max_replicas, wanted))


__all__ = ["AutoscaleSettings", "Autoscaler"]
