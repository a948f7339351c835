"""Masking of secret values in text the project writes (run logs, error messages).

A run's logs are masked with the values of the secrets that run read (``Store.append_log``
and the run's recorded error go through :func:`mask_bytes` / :func:`mask_text`). A value is
replaced by ``***`` wherever it occurs; a value spanning several lines (a PEM key) is also
masked line by line, because the executor hands logs over in whole lines and a long value
may be split between two appends at a line end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "***"
# Lines of a multi-line value shorter than this are not masked alone (a lone "}" would
# otherwise disappear from every log line).
_MIN_LINE = 6


def _pieces(values: Iterable[str]) -> list[str]:
    pieces: set[str] = set()
    for value in values:
        if not value:
            continue
        pieces.add(value)
        if "\n" in value:
            for line in value.splitlines():
                line = line.strip()
                if len(line) >= _MIN_LINE:
                    pieces.add(line)
    # Longest first: a value containing another is replaced whole.
    return sorted(pieces, key=len, reverse=True)


class Masker:
    """Replaces every occurrence of the given values; empty when there are none."""

    def __init__(self, values: Iterable[str]) -> None:
        pieces = _pieces(values)
        self.active = bool(pieces)
        self._text = re.compile("|".join(map(re.escape, pieces))) if pieces else None
        self._bytes = (re.compile(b"|".join(re.escape(p.encode("utf-8")) for p in pieces))
                       if pieces else None)
        self._needles = [p.encode("utf-8") for p in pieces]

    def text(self, value: str) -> str:
        return self._text.sub(MASK, value) if self._text is not None else value

    def bytes(self, data: bytes) -> bytes:
        return self._bytes.sub(MASK.encode(), data) if self._bytes is not None else data

    def found_in(self, data: bytes) -> bool:
        return self._bytes is not None and self._bytes.search(data) is not None

    def longest(self) -> int:
        return max((len(n) for n in self._needles), default=0)

    def deep(self, value: Any) -> Any:
        """Mask every string inside a JSON-like value (a run's error document)."""
        if not self.active:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.deep(k): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


NO_MASK = Masker(())
