"""Who is acting: the one place the SDK asks, so that the model registry's history, the
services' records and anything else that says "who" agree.

For now this is the operating-system user of the process (inside a submitted run: the user who
submitted it, recorded on the run as ``mlws.submittedBy``). Issue 13 brings jupyter-server
identities (token and JupyterHub users); it changes this function only.
"""

from __future__ import annotations

import contextlib
import getpass
import os


def current_identity() -> str:
    """The user on whose behalf this process acts; ``""`` when none can be told."""
    submitted = os.environ.get("MLWS_SUBMITTED_BY")
    if submitted:
        return submitted
    with contextlib.suppress(Exception):  # no user name (some containers): say nothing
        return getpass.getuser()
    return ""


__all__ = ["current_identity"]
