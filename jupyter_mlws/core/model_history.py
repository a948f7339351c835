"""Beyond v1: model aliases (``production`` -> version 3) and the registry's append-only
history (who registered a version, moved or removed an alias, changed or deleted what, when).

Both live in the workspace's asset registry, so every store back end carries them:
- the aliases of a model are the ``state`` of one unversioned asset of kind ``model_alias``
  named like the model (``{alias: version}``); moving an alias is one merge of that state,
  atomic in every store (a row lock on PostgreSQL, SQLite's write lock);
- each history event is a new version of the asset of kind ``model_history`` named like the
  model; versions are handed out under the registry's unique key, so concurrent events never
  share a number, and the events of a model outlive the model's deletion.
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import TYPE_CHECKING, Any

from ..exceptions import WebserviceException
from ..store.base import ConflictError, NotFoundError
from .identity import current_identity

if TYPE_CHECKING:
    from .workspace import Workspace

ALIAS_KIND = "model_alias"
HISTORY_KIND = "model_history"
ALIAS_RE = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
RESERVED_ALIASES = frozenset({"latest"})


def validate_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not ALIAS_RE.match(alias) or alias in RESERVED_ALIASES:
        raise WebserviceException(
            f"Invalid model alias {alias!r}: use 1-64 lowercase letters, digits, '_' or '-', "
            "starting with a letter ('latest' is reserved).")
    return alias


def record_event(workspace: Workspace, model_name: str, action: str,
                 **details: Any) -> None:
    """Append one event to the model's history."""
    event = {"action": action, "model": model_name, "actor": current_identity(),
             "time": time.time(), **details}
    workspace._call_store(workspace._store.register_asset, workspace._record.id,
                          HISTORY_KIND, model_name, event)


def history(workspace: Workspace, name: str | None = None) -> list[dict[str, Any]]:
    """Events oldest first: of the model ``name``, or of every model of the workspace."""
    records = workspace._call_store(workspace._store.list_assets, workspace._record.id,
                                    HISTORY_KIND, name=name, latest_only=False)
    events = [{**r.spec, "sequence": r.version} for r in records]
    return sorted(events, key=lambda e: (e.get("time", 0.0), e["model"], e["sequence"]))


def aliases_of(workspace: Workspace, name: str) -> dict[str, int]:
    """``{alias: version}`` of the model ``name``."""
    try:
        record = workspace._call_store(workspace._store.get_asset, workspace._record.id,
                                       ALIAS_KIND, name)
    except NotFoundError:
        return {}
    return {a: int(v) for a, v in sorted(record.state.items()) if v is not None}


def set_alias(workspace: Workspace, name: str, alias: str, version: int) -> int | None:
    """Point ``alias`` at ``version`` (moving it from any other version); returns the version
    it pointed at before (None if it was new)."""
    validate_alias(alias)
    store, ws_id = workspace._store, workspace._record.id
    with contextlib.suppress(ConflictError):  # the model has aliases already
        workspace._call_store(store.register_asset, ws_id, ALIAS_KIND, name, {},
                              new_version=False)
    previous = aliases_of(workspace, name).get(alias)
    store.update_asset_state(ws_id, ALIAS_KIND, name, 1, {alias: int(version)})
    record_event(workspace, name, "alias", alias=alias, version=int(version),
                 previous_version=previous)
    return previous


def remove_aliases(workspace: Workspace, name: str, aliases: list[str],
                   reason: str = "alias_removed") -> None:
    if not aliases:
        return
    current = aliases_of(workspace, name)
    gone = {a: None for a in aliases if a in current}
    if not gone:
        return
    workspace._store.update_asset_state(workspace._record.id, ALIAS_KIND, name, 1, gone)
    for alias in gone:
        record_event(workspace, name, reason, alias=alias, version=current[alias])


__all__ = ["ALIAS_KIND", "HISTORY_KIND", "aliases_of", "history", "record_event",
           "remove_aliases", "set_alias", "validate_alias"]
