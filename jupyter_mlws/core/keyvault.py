"""``azureml.core.keyvault``: the workspace key vault (``Keyvault(ws)``,
``ws.get_default_keyvault()``).

Values are encrypted at rest by the store (envelope encryption, see ``store/keyvault/``);
names follow Key Vault's rules (1-127 letters, digits and dashes, case-insensitive); a value is
at most 25 KB. ``list_secrets`` returns names only. Deletes are soft: a deleted secret can be
recovered (``recover_deleted_secret``) until its retention period (90 days, or
``MLWS_SECRET_RETENTION_DAYS``) ends or it is purged; its name cannot be set meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..exceptions import UserErrorException
from .identity import current_identity

if TYPE_CHECKING:
    from .run import Run
    from .workspace import Workspace


class KeyVaultContentType:
    """v1's content types of a secret (free text is accepted too)."""

    not_provided = ""
    text = "text/plain"
    json = "application/json"


class Keyvault:
    """The secrets of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __repr__(self) -> str:
        return f"Keyvault(workspace={self.workspace.name!r})"

    # ---- the store calls, with who acts
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return self.workspace._call_store(fn, self.workspace._record.id, *args,
                                          actor=current_identity(), **kwargs)

    def _read(self, names: list[str]) -> dict[str, str]:
        return self._call(self.workspace._store.get_secrets, names)  # type: ignore[no-any-return]

    # ---- v1 API
    def set_secret(self, name: str, value: str,
                   content_type: str = KeyVaultContentType.not_provided) -> None:
        """Add a new version of secret ``name``."""
        self._call(self.workspace._store.set_secrets, {name: value},
                   content_types={name: content_type} if content_type else None)

    def set_secrets(self, secrets_batch: dict[str, str]) -> None:
        """Set several secrets in one transaction (all or none)."""
        if not isinstance(secrets_batch, dict):
            raise UserErrorException("set_secrets takes a dict of name -> value")
        self._call(self.workspace._store.set_secrets, dict(secrets_batch))

    def get_secret(self, name: str) -> str:
        """The latest value; ``UserErrorException`` if there is no such secret."""
        found = self._read([name])
        if name.lower() not in {k.lower() for k in found}:
            raise UserErrorException(f"Secret {name!r} not found in the key vault of "
                                     f"workspace {self.workspace.name!r}")
        return next(iter(found.values()))

    def get_secrets(self, secrets: Sequence[str]) -> dict[str, str | None]:
        """``{name: value}``; a name without a secret maps to None (v1's shape)."""
        names = name_list(secrets)
        found = self._read(names)
        return {name: found.get(name) for name in names}

    def get_secret_content_type(self, name: str) -> str:
        versions = self._call_versions(name)
        return versions[0].content_type

    def _call_versions(self, name: str) -> list[Any]:
        versions = self.workspace._call_store(self.workspace._store.list_secret_versions,
                                              self.workspace._record.id, name)
        if versions[0].deleted_time is not None:
            raise UserErrorException(f"Secret {name!r} is deleted")
        return versions  # type: ignore[no-any-return]

    def list_secrets(self) -> list[dict[str, str]]:
        """``[{"name": ...}, ...]``: names only, never values."""
        records = self.workspace._call_store(self.workspace._store.list_secrets,
                                             self.workspace._record.id)
        return [{"name": r.name} for r in records]

    def delete_secret(self, name: str) -> None:
        self._call(self.workspace._store.delete_secrets, [name])

    def delete_secrets(self, secrets: Sequence[str]) -> None:
        self._call(self.workspace._store.delete_secrets, name_list(secrets))

    # ---- soft delete (Key Vault's recover / purge)
    def list_deleted_secrets(self) -> list[dict[str, Any]]:
        records = self.workspace._call_store(self.workspace._store.list_secrets,
                                             self.workspace._record.id, deleted=True)
        return [{"name": r.name, "deleted_time": r.deleted_time, "purge_time": r.purge_time}
                for r in records]

    def recover_deleted_secret(self, name: str) -> None:
        self._call(self.workspace._store.recover_deleted_secret, name)

    def purge_deleted_secret(self, name: str) -> None:
        self._call(self.workspace._store.purge_deleted_secret, name)

    def list_secret_versions(self, name: str) -> list[dict[str, Any]]:
        records = self.workspace._call_store(self.workspace._store.list_secret_versions,
                                             self.workspace._record.id, name)
        return [{"name": r.name, "version": r.version, "content_type": r.content_type,
                 "created_time": r.created_time, "created_by": r.created_by}
                for r in records]


def name_list(secrets: Any) -> list[str]:
    if isinstance(secrets, str) or not isinstance(secrets, list | tuple):
        raise UserErrorException("Secret names must be given as a list of strings")
    return list(secrets)


def run_secrets(run: Run, names: list[str]) -> dict[str, str]:
    """Secrets read for a run: audited as the run, and masked in that run's logs and errors.
    A submitted run presents its run token (``MLWS_RUN_TOKEN``); over a server that token is
    also its credential, never the submitter's own."""
    workspace = run.experiment.workspace
    store = workspace._store
    token = os.environ.get("MLWS_RUN_TOKEN")
    actor = current_identity()
    if token and os.environ.get("MLWS_RUN_ID") == run.id:
        credential = workspace._call_store(store.check_run_token, token)
        if credential is None or credential.run_id != run.id:
            raise UserErrorException(f"The credential of run {run.id} is not valid (the run "
                                     "is no longer active)")
        actor = f"run:{run.id}"
    return workspace._call_store(store.get_secrets,  # type: ignore[no-any-return]
                                 workspace._record.id, names, actor=actor, run_id=run.id)


__all__ = ["KeyVaultContentType", "Keyvault", "name_list", "run_secrets"]
