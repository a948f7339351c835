"""Progress of file transfers: v1's printed lines in a terminal, a tqdm bar in a notebook."""

from __future__ import annotations

import sys
from typing import Any


def in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ip = shell.get_ipython()  # type: ignore[attr-defined]
    except Exception:
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class Progress:
    """``start(n)``, ``file(path, done, total)``, ``note(text)``, ``end(text)``.

    In a notebook a ``tqdm.auto`` bar (an ipywidgets bar) advances per file and notes are
    written above it; elsewhere each call prints the line v1 prints. Silent when not shown."""

    def __init__(self, show: bool, verb: str) -> None:
        self.show = show
        self.verb = verb
        self.bar: Any = None
        self.total = 0

    def start(self, total: int, text: str) -> None:
        self.total = total
        if not self.show:
            return
        print(text)
        if in_notebook() and total > 1:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="file", desc=self.verb)

    def file(self, path: str, done: int, total: int) -> None:
        if not self.show:
            return
        if self.bar is not None:
            self.bar.update(1)
            return
        print(f"{self.verb} {path}, {done} files out of an estimated total of {total}")

    def note(self, text: str) -> None:
        if not self.show:
            return
        if self.bar is not None:
            self.bar.write(text)
        else:
            print(text)

    def end(self, text: str) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.show:
            print(text)
