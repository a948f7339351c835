"""How ``%mlws runs`` shows its DataFrame: times to whole seconds, durations as the studio
writes them."""

from __future__ import annotations

from typing import Any


def format_duration(seconds: float) -> str:
    """As the studio shows durations: 43 ms, 5.2s, 3m 4s, 2h 0m 5s."""
    if seconds != seconds or seconds < 0:  # NaN: no start time
        return ""
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{seconds:.1f}s"


def for_reading(frame: Any) -> Any:
    """``runs_frame`` for display: times to whole seconds, durations as text."""
    frame = frame.copy()
    for column in ("start_time", "end_time"):
        if column in frame:
            frame[column] = frame[column].dt.floor("s")
    if "duration" in frame:
        frame["duration"] = [format_duration(d.total_seconds()) if d == d else ""
                             for d in frame["duration"]]
    return frame


__all__ = ["for_reading", "format_duration"]
