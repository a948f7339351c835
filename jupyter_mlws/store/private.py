"""Files and folders the store creates on a local disk are private to their owner.

Folders are made 0700 and files 0600 whatever the process umask (set explicitly after
creating them, since a umask can only remove bits). Folders that already exist are never
changed: they may be the user's (a chosen ``MLWS_HOME``); a home that others can read is
reported once instead. Files the store owns by name (the SQLite database and its ``-wal`` and
``-shm``) are tightened when found wider, because they are ours whoever made them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600

log = logging.getLogger("jupyter_mlws.store")
_reported: set[str] = set()


def make_dirs(path: str | os.PathLike[str]) -> None:
    """Create ``path`` and any missing parent, each 0700; existing folders stay as they are."""
    missing = []
    current = Path(path)
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise  # a file stands where a folder must go: the caller's error to report
            continue  # made meanwhile by another process or thread
        with contextlib.suppress(OSError):  # e.g. a file system without modes
            os.chmod(folder, DIR_MODE)


def opener(path: str, flags: int) -> int:
    """``open(..., opener=opener)``: a file created 0600, and made 0600 if it was wider."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & ~FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except OSError:
        pass  # not ours to change (another owner) or no modes here: the write still goes on
    return fd


def tighten(path: str | os.PathLike[str], mode: int = FILE_MODE) -> None:
    """Make an existing file (or, with ``DIR_MODE``, folder) of the store no wider than
    ``mode``; absent ones are fine. Only for what is the store's by name or was just made."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) & ~mode:
            os.chmod(path, mode)
    except OSError:
        pass


def create_file(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty and 0600 if it does not exist; tighten it if it does."""
    os.close(opener(os.fspath(path), os.O_WRONLY | os.O_CREAT))


def report_if_open(folder: str | os.PathLike[str]) -> None:
    """Warn (once per folder and process) when others may read or enter ``folder``."""
    key = os.fspath(folder)
    if key in _reported:
        return
    try:
        mode = stat.S_IMODE(os.stat(key).st_mode)
    except OSError:
        return
    if mode & 0o077:
        _reported.add(key)
        log.warning("%s is readable by other users of this machine (mode %s): the files "
                    "jupyter_mlws creates in it are private, but run `chmod 700 %s` to keep "
                    "others from listing them", key, oct(mode), key)


__all__ = ["DIR_MODE", "FILE_MODE", "create_file", "make_dirs", "opener", "report_if_open",
           "tighten"]
