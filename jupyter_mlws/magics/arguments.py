"""The words of a ``%mlws`` line: shell-like splitting with comments, and argparse whose
errors are IPython UsageErrors (a bad line never exits the kernel)."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from IPython.core.error import UsageError


class Parser(argparse.ArgumentParser):
    """argparse whose errors become IPython UsageErrors instead of exiting the kernel."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{self.format_usage().strip()}\n%mlws {self.prog}: error: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        raise UsageError(message or self.format_help())


def split_arguments(line: str) -> list[str]:
    """The words of a magic's line as a shell reads them: quotes group words, and a ``#``
    that starts a word begins a comment (so ``--tag color=#fff`` keeps its value, which
    ``shlex.split(comments=True)`` would cut)."""
    return shlex.split(_without_comment(line))


def _without_comment(line: str) -> str:
    quote: str | None = None
    escaped, word_start = False, True
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif quote is not None:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                escaped = True
        elif char.isspace():
            word_start = True
            continue
        elif char == "#" and word_start:
            return line[:index]
        elif char == "\\":
            escaped = True
        elif char in "'\"":
            quote = char
        word_start = False
    return line


def parser_for(prog: str) -> Parser:
    """The parser of one ``%mlws`` command (``prog``: its name)."""
    return Parser(prog=prog, add_help=False)


__all__ = ["Parser", "parser_for", "split_arguments"]
