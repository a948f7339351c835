"""The workspace key vault over REST, and run credentials.

Listing names and versions is ``.../workspaces/secrets/read``; reading values is its own
action, ``.../workspaces/secrets/getsecret/action`` (a Reader lists names, never values);
setting and recovering ``.../secrets/write``; deleting and purging ``.../secrets/delete``.
Values travel only in request and response bodies, never in a URL, a log line or an error.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.roles import ML, SECRET_VALUE_ACTION
from .authz import MlwsResource
from .base import MlwsHandler, bad_request, check_fields, check_id
from .identity import RunUser

SECRETS_READ = ML + "workspaces/secrets/read"
SECRETS_WRITE = ML + "workspaces/secrets/write"
SECRETS_DELETE = ML + "workspaces/secrets/delete"


def _props(records: list[Any]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in records]


class _VaultHandler(MlwsHandler):
    def names(self, body: dict[str, Any]) -> list[str]:
        names = body.get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise bad_request("'names' must be a list of secret names.")
        return names


class SecretsHandler(_VaultHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(SECRETS_READ, workspace_id, "secret")
        deleted = self.query_bool("deleted")
        records = await self.call(self.store.list_secrets, workspace_id, deleted=deleted)
        self.send_json({"secrets": _props(records)})

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(SECRETS_WRITE, workspace_id, "secret")
        body = self.json_body()
        check_fields(body, {"secrets", "content_types"})
        secrets, types = body.get("secrets"), body.get("content_types") or {}
        if not isinstance(secrets, dict) or not isinstance(types, dict):
            raise bad_request("'secrets' must be an object of name -> value.")
        records = await self.call(self.store.set_secrets, workspace_id, secrets,
                                  content_types=types, actor=self.identity)
        self.send_json({"secrets": _props(records)}, status=201)


class SecretValuesHandler(_VaultHandler):
    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(SECRET_VALUE_ACTION, workspace_id, "secret")
        body = self.json_body()
        check_fields(body, {"names", "run_id"})
        run_id = body.get("run_id")
        if isinstance(self.current_user, RunUser):
            run_id = self.current_user.credential.run_id  # a run reads as itself
        elif run_id is not None:
            await self.load_run(workspace_id, str(run_id))
        values = await self.call(self.store.get_secrets, workspace_id, self.names(body),
                                 actor=self.current_user.username
                                 if isinstance(self.current_user, RunUser) else self.identity,
                                 run_id=run_id)
        self.set_header("Cache-Control", "no-store")
        self.send_json({"secrets": values})


class SecretsDeleteHandler(_VaultHandler):
    @web.authenticated
    @authorized
    async def post(self, workspace_id: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(SECRETS_DELETE, workspace_id, "secret")
        body = self.json_body()
        check_fields(body, {"names"})
        await self.call(self.store.delete_secrets, workspace_id, self.names(body),
                        actor=self.identity)
        self.set_status(204)


class SecretVersionsHandler(_VaultHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(SECRETS_READ, workspace_id, "secret", name)
        records = await self.call(self.store.list_secret_versions, workspace_id, name)
        self.send_json({"versions": _props(records)})


class SecretRecoverHandler(_VaultHandler):
    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(SECRETS_WRITE, workspace_id, "secret", name)
        record = await self.call(self.store.recover_deleted_secret, workspace_id, name,
                                 actor=self.identity)
        self.send_json(record.to_dict())


class SecretPurgeHandler(_VaultHandler):
    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, name: str) -> None:
        check_id(workspace_id, "workspace id")
        self.authorize_action(SECRETS_DELETE, workspace_id, "secret", name)
        await self.call(self.store.purge_deleted_secret, workspace_id, name,
                        actor=self.identity)
        self.set_status(204)


class RunTokenHandler(MlwsHandler):
    """Mint a run's credential: whoever may submit runs in the workspace; the submitter
    recorded is the authenticated identity."""

    @web.authenticated
    @authorized
    async def post(self, workspace_id: str, run_id: str) -> None:
        self.authorize("execute", MlwsResource("run", workspace_id, run_id))
        await self.load_run(workspace_id, run_id)
        if isinstance(self.current_user, RunUser) and (
                self.current_user.credential.workspace_id != workspace_id):
            raise bad_request("A run credential cannot mint one for another workspace.")
        token = await self.call(self.store.mint_run_token, run_id, self.identity)
        self.set_header("Cache-Control", "no-store")
        self.send_json({"token": token}, status=201)


class CredentialHandler(MlwsHandler):
    """What the caller's own run token stands for (404 for anyone else)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        user = self.current_user
        if not isinstance(user, RunUser):
            self.send_json({})
            return
        self.send_json(user.credential.to_dict())


__all__ = ["CredentialHandler", "RunTokenHandler", "SecretPurgeHandler",
           "SecretRecoverHandler", "SecretValuesHandler", "SecretVersionsHandler",
           "SecretsDeleteHandler", "SecretsHandler"]
