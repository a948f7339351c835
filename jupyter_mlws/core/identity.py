"""Who is acting: the one place the SDK asks, so that the model registry's history, the
services' records and anything else that says "who" agree.

In order: an identity the caller set for this context (:func:`acting_as`; the server sets the
authenticated jupyter-server user around the SDK calls it makes for a request), inside a
submitted run the user who submitted it (``MLWS_SUBMITTED_BY``, recorded on the run as
``mlws.submittedBy``), else the operating-system user of the process.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator
from contextvars import ContextVar

_acting: ContextVar[str | None] = ContextVar("mlws_acting_identity", default=None)


def current_identity() -> str:
    """The user on whose behalf this process acts; ``""`` when none can be told."""
    acting = _acting.get()
    if acting:
        return acting
    submitted = os.environ.get("MLWS_SUBMITTED_BY")
    if submitted:
        return submitted
    with contextlib.suppress(Exception):  # no user name (some containers): say nothing
        return getpass.getuser()
    return ""


@contextlib.contextmanager
def acting_as(identity: str) -> Iterator[None]:
    """Within the block (this thread or task), :func:`current_identity` is ``identity``."""
    token = _acting.set(identity)
    try:
        yield
    finally:
        _acting.reset(token)


__all__ = ["acting_as", "current_identity"]
