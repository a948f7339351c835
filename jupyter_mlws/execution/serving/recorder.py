"""Request records, off the scoring hot path.

A replica appends one tuple per request to an in-memory list (a GIL-atomic append, well under
a microsecond) and a background thread writes them every ``FLUSH_SECONDS`` to the replica's own
append-only file, 22 bytes a request: end time (f64, epoch s), latency (f32, ms), status (u16),
request and response bytes (u32 each). Files roll over at ``ROLL_BYTES``
(``<replica>-<pid>-<seq>.bin``). The service daemon tails them (:class:`RecordReader`) and
aggregates them into the monitoring store; a file it has read to the end and that its writer
has left (rolled over, or exited) is removed.

Sampled bodies (``collect_model_data``) go the same way as JSON lines
(``<replica>-<pid>-<seq>.jsonl``) in the collection folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RECORD = struct.Struct("<dfHII")
FLUSH_SECONDS = 0.25
ROLL_BYTES = 64 << 20
MAX_BODY_SAMPLE = 64 << 10
_U32 = 0xFFFFFFFF


class _Rolling:
    """An append-only file that rolls over to ``<prefix>-<seq><suffix>`` past ROLL_BYTES."""

    def __init__(self, folder: Path, prefix: str, suffix: str) -> None:
        self.folder, self.prefix, self.suffix = folder, prefix, suffix
        self.seq, self.size = 0, 0
        self.handle: Any = None
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, data: bytes) -> None:
        if self.handle is None or self.size >= ROLL_BYTES:
            if self.handle is not None:
                self.handle.close()
            self.seq += 1
            path = self.folder / f"{self.prefix}-{self.seq:06d}{self.suffix}"
            self.handle = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open
            self.size = 0
        self.handle.write(data)
        self.size += len(data)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class Recorder:
    """The replica's side. ``record`` is the hot path; ``sample`` keeps a body pair."""

    def __init__(self, requests_dir: Path, collect_dir: Path | None, replica: str) -> None:
        prefix = f"{replica}-{os.getpid()}"
        # deques: append (the event loop) and popleft (the flusher) are thread-safe, so a
        # record appended while a flush runs is never lost.
        self._records: deque[tuple[float, float, int, int, int]] = deque()
        self._samples: deque[dict[str, Any]] = deque()
        self._requests = _Rolling(requests_dir, prefix, ".bin")
        self._collect = None if collect_dir is None else _Rolling(collect_dir, prefix,
                                                                  ".jsonl")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlws-recorder", daemon=True)
        self._thread.start()

    def record(self, latency_ms: float, status: int, bytes_in: int, bytes_out: int) -> None:
        self._records.append((time.time(), latency_ms, status, bytes_in, bytes_out))

    def sample(self, request: bytes, response: bytes | None, status: int,
               designation: str = "request") -> None:
        if self._collect is None:
            return
        self._samples.append({"t": time.time(), "designation": designation, "status": status,
                              "request": request[:MAX_BODY_SAMPLE].decode("utf-8", "replace"),
                              "response": None if response is None else
                              response[:MAX_BODY_SAMPLE].decode("utf-8", "replace")})

    def collect(self, designation: str, data: Any, features: list[str] | None) -> None:
        """Rows given by the scoring script (``ModelDataCollector.collect``)."""
        if self._collect is None:
            return
        self._samples.append({"t": time.time(), "designation": designation,
                              "features": features, "data": data})

    def flush(self) -> None:
        records = _drain(self._records)
        if records:
            pack = RECORD.pack
            self._requests.write(b"".join(
                pack(t, lat, min(status, 0xFFFF), min(bi, _U32), min(bo, _U32))
                for t, lat, status, bi, bo in records))
        samples = _drain(self._samples)
        if samples and self._collect is not None:
            lines = []
            for sample in samples:
                with contextlib.suppress(TypeError, ValueError):  # rows that are not JSON
                    lines.append(json.dumps(sample, default=_jsonable))
            self._collect.write(("\n".join(lines) + "\n").encode())

    def _loop(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            with contextlib.suppress(OSError):  # a full disk must not stop scoring
                self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self.flush()
        self._requests.close()
        if self._collect is not None:
            self._collect.close()


def _drain(queue: deque) -> list:
    return [queue.popleft() for _ in range(len(queue))]


def _jsonable(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars, pandas objects
    if callable(tolist):
        return tolist()
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict(orient="records") if "orient" in to_dict.__code__.co_varnames \
            else to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# --------------------------------------------------------------------------- the daemon side


def _writer(path: Path) -> tuple[str, int, int]:
    """(replica, pid, seq) from ``<replica>-<pid>-<seq>.<ext>``."""
    replica, pid, seq = path.stem.rsplit("-", 2)
    return replica, int(pid), int(seq)


class RecordReader:
    """Tails the record (or sample) files of a folder: what was appended since the last call,
    per file, in whole units (22-byte records or complete lines)."""

    def __init__(self, folder: Path, suffix: str) -> None:
        self.folder, self.suffix = folder, suffix
        self.offsets: dict[Path, int] = {}

    def read(self, live_pids: set[int]) -> Iterator[tuple[str, bytes]]:
        """(replica, new complete bytes) per file; files whose writer is gone or has rolled
        over, once read to the end, are removed."""
        try:
            paths = sorted(self.folder.glob(f"*{self.suffix}"))
        except OSError:
            return
        newest: dict[tuple[str, int], int] = {}
        for path in paths:
            with contextlib.suppress(ValueError):
                replica, pid, seq = _writer(path)
                newest[(replica, pid)] = max(seq, newest.get((replica, pid), 0))
        for path in paths:
            try:
                replica, pid, seq = _writer(path)
            except ValueError:
                continue
            offset = self.offsets.get(path, 0)
            try:
                with open(path, "rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                self.offsets.pop(path, None)
                continue
            whole = self._whole(data)
            if whole:
                self.offsets[path] = offset + len(whole)
                yield replica, whole
            finished = pid not in live_pids or seq < newest[(replica, pid)]
            if finished and len(whole) == len(data):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                self.offsets.pop(path, None)

    def _whole(self, data: bytes) -> bytes:
        if self.suffix == ".bin":
            return data[:len(data) - len(data) % RECORD.size]
        end = data.rfind(b"\n")
        return data[:end + 1] if end >= 0 else b""


def parse_records(data: bytes) -> list[tuple[float, float, int, int, int]]:
    return list(RECORD.iter_unpack(data))


__all__ = ["RECORD", "RecordReader", "Recorder", "parse_records"]
