"""Streaming a run's output into its log artifact as it is produced.

A reader thread drains the script's pipe into memory (so the script never blocks on a full
pipe, even while the supervisor is still importing the store); the executor's loop hands the
collected bytes to ``Store.append_log`` a few times a second, in whole lines. The last
lines are kept to quote the traceback of a failed run.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import IO, Any

TAIL_LINES = 200
HOLD_BYTES = 65536  # longest unterminated line held back between appends
_READ_CHUNK = 65536


class OutputPump:
    """Reads a binary pipe in a thread; :meth:`flush` appends what was read to a run log."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._partial = b""
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._read, name="mlws-output", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fd = self._pipe.fileno()
        try:
            while True:
                data = os.read(fd, _READ_CHUNK)
                if not data:
                    break
                with self._lock:
                    self._chunks.append(data)
                self._remember(data)
        except OSError:
            pass
        finally:
            self.done.set()

    def _remember(self, data: bytes) -> None:
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()[-4096:]
        for line in lines:
            self._tail.append(line.decode("utf-8", "replace").rstrip("\r"))

    def take(self, final: bool = True) -> bytes:
        """What was read; unless ``final``, only up to the last line end (``\\n`` or
        ``\\r``), so a secret value is never split between two appends and stays maskable
        (``Store.append_log`` masks each append). A line longer than ``HOLD_BYTES`` goes
        out as it is."""
        with self._lock:
            data = b"".join(self._chunks)
            cut = len(data)
            if not final:
                end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
                if len(data) - end < HOLD_BYTES:
                    cut = end
            data, rest = data[:cut], data[cut:]
            self._chunks = [rest] if rest else []
        return data

    def flush(self, store: Any, run_id: str, path: str, final: bool = False) -> None:
        data = self.take(final)
        if data:
            store.append_log(run_id, path, data)

    def tail(self) -> list[str]:
        lines = list(self._tail)
        if self._partial:
            lines.append(self._partial.decode("utf-8", "replace"))
        return lines

    def close(self, timeout: float = 1.0) -> None:
        """Wait for EOF (grandchildren may hold the pipe open; then give up) and close."""
        self.done.wait(timeout)
        if not self.done.is_set():
            self._pipe.close()


def traceback_tail(lines: list[str], max_lines: int = 30) -> str:
    """The last traceback in ``lines`` (or the last lines when there is none)."""
    start = None
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith("Traceback (most recent call last):"):
            start = index
            break
    chosen = lines[start:] if start is not None else lines[-10:]
    return "\n".join(chosen[-max_lines:]).strip()


__all__ = ["OutputPump", "traceback_tail"]
