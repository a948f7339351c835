"""Datastore credentials live in the key vault but are not its secrets: on a server enforcing
roles they are written only with workspaces/datastores/write, and the key vault's rows (names,
values, versions) never reach them, not even for an Owner, who may read every secret."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.helpers import team_server_config, team_tokens, token_header

TOKENS = team_tokens("owner", "contrib", "reader")
VALUE = "dscred-rest-" + "7c1e" * 8


def _as(user: str) -> dict[str, str]:
    return token_header(TOKENS, user)


@pytest.fixture
def jp_server_config():
    return team_server_config(TOKENS)


@pytest.fixture
def team(seed, store) -> str:
    for role, user in (("Owner", "owner"), ("Contributor", "contrib"), ("Reader", "reader")):
        store.assign_role(role, user, workspace_id=seed.ws)
    return seed.ws


async def test_only_datastore_writers_set_them_and_no_secret_row_reads_them(
        api, team, store) -> None:
    ws = team
    secret_url = f"/workspaces/{ws}/datastores/blob/secret"
    await api("PUT", secret_url, 403, body={"secret": {"account_key": "x"}},
              headers=_as("reader"), auth=False)
    await api("PUT", secret_url, 204, body={"secret": {"account_key": VALUE}},
              headers=_as("contrib"), auth=False)
    await api("DELETE", secret_url, 403, headers=_as("reader"), auth=False)
    assert store.get_datastore_secret(ws, "blob") == {"account_key": VALUE}
    bodies = []
    for user in ("owner", "reader"):
        listed = await api.raw("GET", f"/workspaces/{ws}/secrets", headers=_as(user),
                               auth=False)
        assert listed.code == 200 and json.loads(listed.body)["secrets"] == []
        bodies.append(listed.body)
    values = await api("POST", f"/workspaces/{ws}/secrets/values",
                       body={"names": ["blob", "datastore-blob", "BLOB"]},
                       headers=_as("owner"), auth=False)
    assert values["secrets"] == {}
    for name in ("datastore:blob", "blob/secret"):
        response = await api.raw("POST", f"/workspaces/{ws}/secrets/values",
                                 body={"names": [name]}, headers=_as("owner"), auth=False)
        assert response.code == 400
        bodies.append(response.body)
    versions = await api.raw("GET", f"/workspaces/{ws}/secrets/blob/versions",
                             headers=_as("owner"), auth=False)
    assert versions.code == 404
    await api("POST", f"/workspaces/{ws}/secrets/values", 403, body={"names": ["blob"]},
              headers=_as("reader"), auth=False)
    bodies.append(json.dumps([e.target for e in store.list_audit(ws)]).encode())
    assert not any(VALUE.encode() in body for body in bodies)
    # At rest only its ciphertext.
    raw = store.db.read(lambda c: c.exec_driver_sql(
        "SELECT value FROM datastore_credential").scalar())
    assert VALUE.encode() not in bytes(raw)
    assert "datastore_secret" not in sa.inspect(store.db.engine).get_table_names()
    await api("DELETE", secret_url, 204, headers=_as("contrib"), auth=False)
    assert store.get_datastore_secret(ws, "blob") == {}
