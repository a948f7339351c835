"""Reading a growing text log from a byte offset: the one tailer behind the REST log route,
the live channel, the RunDetails widget and ``ScriptRun.wait_for_completion(show_output=True)``.

A UTF-8 sequence cut by the writer mid-flush stays for the next read (``offset`` stops before
it) instead of turning into U+FFFD; invalid bytes elsewhere are replaced.
"""

from __future__ import annotations

import codecs
from typing import BinaryIO

from .base import LogChunk

LOG_READ_DEFAULT = 1024 * 1024  # bytes one read returns unless asked for less
LOG_READ_MAX = 8 * 1024 * 1024  # the most one read may ask for


def _size(stream: BinaryIO) -> int | None:
    try:
        return stream.seek(0, 2)
    except (OSError, ValueError, AttributeError):
        return None


def read_log_chunk(stream: BinaryIO, offset: int = 0,
                   max_bytes: int = LOG_READ_DEFAULT) -> LogChunk:
    """Text of ``stream`` from byte ``offset`` (at most ``max_bytes`` bytes of it), the offset to
    read from next and the log's size."""
    size = _size(stream)
    if size is None:  # not seekable (a remote download): read through
        content = stream.read()
        data, size = content[offset:offset + max_bytes], len(content)
    else:
        stream.seek(min(offset, size))
        data = stream.read(max_bytes)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(data, final=False)
    pending = len(decoder.getstate()[0])
    return LogChunk(data=text, offset=min(offset, size) + len(data) - pending, size=size)


__all__ = ["LOG_READ_DEFAULT", "LOG_READ_MAX", "read_log_chunk"]
