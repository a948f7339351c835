"""The workspace key vault and run credentials: models and operations.

Listing names and versions is ``workspaces/secrets/read``; reading values is its own action,
``workspaces/secrets/getsecret/action`` (a Reader lists names, never values); setting and
recovering ``workspaces/secrets/write``; deleting and purging ``workspaces/secrets/delete``.
Values travel only in request and response bodies, never in a URL, a log line or an error.
Names are checked by the store (Key Vault's rules, with a message naming the rule).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from ..store.access_api import RunCredential, SecretProperties
from .operation import KiB, MiB, Operation
from .types import Id, Model, QueryModel, ResponseModel, Timestamp

MAX_SECRETS = 1000  # names of one request
SecretKey = Annotated[str, StringConstraints(max_length=256)]  # the store says what is wrong
ContentType = Annotated[str, StringConstraints(max_length=255)]


class Secret(ResponseModel):
    record: ClassVar[type] = SecretProperties
    name: str
    version: int
    content_type: str
    created_time: Timestamp
    created_by: str
    deleted_time: Timestamp | None = Field(description="Set while it is soft-deleted")
    purge_time: Timestamp | None = Field(description="When a soft-deleted secret goes for good")


class SecretList(ResponseModel):
    secrets: list[Secret]


class SecretVersionList(ResponseModel):
    versions: list[Secret]


class SecretQuery(QueryModel):
    deleted: bool = Field(False, description="List the soft-deleted secrets instead")


class SecretsSet(Model):
    secrets: dict[SecretKey, str] = Field(max_length=MAX_SECRETS,
                                          description="name -> value (a new version each)")
    content_types: dict[SecretKey, ContentType] = {}


class SecretNames(Model):
    names: list[SecretKey] = Field(max_length=MAX_SECRETS)


class SecretsRead(Model):
    names: list[SecretKey] = Field(max_length=MAX_SECRETS)
    run_id: Id | None = Field(None, description="The run reading them (its logs mask the "
                                                "values); a run's own credential is that run")


class SecretValues(ResponseModel):
    secrets: dict[str, str] = Field(description="name -> latest value; missing names left out")


class RunToken(ResponseModel):
    token: str = Field(description="A credential standing for the run while it is active")


class Credential(ResponseModel):
    record: ClassVar[type] = RunCredential
    run_id: str | None = None
    workspace_id: str | None = None
    submitted_by: str | None = None


def _list(key: str):  # type: ignore[no-untyped-def]
    return lambda result, _: {key: result}


OPERATIONS = [
    Operation("listSecrets", "GET", "/workspaces/{workspace_id}/secrets",
              "workspaces/secrets/read", "Secret names and metadata (never values)",
              "workspace", store="list_secrets", query=SecretQuery, response=SecretList,
              shape=_list("secrets"), resource="secret"),
    Operation("setSecrets", "POST", "/workspaces/{workspace_id}/secrets",
              "workspaces/secrets/write", "Add a new version of each secret (one transaction)",
              "workspace", store="set_secrets", body=SecretsSet, body_kind="json",
              response=SecretList, status=201, errors=(409,), max_body=MiB, resource="secret",
              call=lambda s, r: s.set_secrets(r.params["workspace_id"], r.body.secrets,
                                              content_types=r.body.content_types,
                                              actor=r.actor),
              shape=_list("secrets")),
    Operation("getSecretValues", "POST", "/workspaces/{workspace_id}/secrets/values",
              "workspaces/secrets/getsecret/action", "The latest value of each named secret "
              "(audited)", "workspace", store="get_secrets", body=SecretsRead, body_kind="json",
              response=SecretValues, max_body=64 * KiB, resource="secret"),
    Operation("deleteSecrets", "POST", "/workspaces/{workspace_id}/secrets/delete",
              "workspaces/secrets/delete", "Soft-delete secrets (all or none)", "workspace",
              store="delete_secrets", body=SecretNames, body_kind="json", response_kind="empty",
              status=204, max_body=64 * KiB, resource="secret",
              call=lambda s, r: s.delete_secrets(r.params["workspace_id"], r.body.names,
                                                 actor=r.actor)),
    Operation("listSecretVersions", "GET",
              "/workspaces/{workspace_id}/secrets/{secret_name}/versions",
              "workspaces/secrets/read", "Every kept version of a secret, newest first",
              "workspace", store="list_secret_versions", response=SecretVersionList,
              resource="secret",
              call=lambda s, r: s.list_secret_versions(r.params["workspace_id"],
                                                       r.params["secret_name"]),
              shape=_list("versions")),
    Operation("recoverSecret", "POST",
              "/workspaces/{workspace_id}/secrets/{secret_name}/recover",
              "workspaces/secrets/write", "Recover a soft-deleted secret", "workspace",
              store="recover_deleted_secret", response=Secret, resource="secret",
              call=lambda s, r: s.recover_deleted_secret(r.params["workspace_id"],
                                                         r.params["secret_name"],
                                                         actor=r.actor)),
    Operation("purgeSecret", "POST", "/workspaces/{workspace_id}/secrets/{secret_name}/purge",
              "workspaces/secrets/delete", "Remove a soft-deleted secret for good",
              "workspace", store="purge_deleted_secret", response_kind="empty", status=204,
              resource="secret",
              call=lambda s, r: s.purge_deleted_secret(r.params["workspace_id"],
                                                       r.params["secret_name"],
                                                       actor=r.actor)),
    Operation("mintRunToken", "POST", "/runs/{run_id}/token",
              "workspaces/experiments/runs/submit/action", "A credential for a submitted run "
              "(whoever may submit runs in its workspace)", "run", store="mint_run_token",
              response=RunToken, status=201, resource="run"),
    Operation("getCredential", "GET", "/credential", "workspaces/read",
              "What the caller's own run token stands for (empty for anyone else)", "server",
              store="check_run_token", response=Credential, resource="api"),
]
