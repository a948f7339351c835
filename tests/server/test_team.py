"""The team set-up: ``python -m jupyter_mlws.server.team init`` and TeamIdentityProvider."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from jupyter_mlws.server.identity import principal_of
from jupyter_mlws.server.team import TeamIdentityProvider, main


def test_init_writes_a_private_config_with_fresh_tokens(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "team-config"
    assert main(["init", "--admin", "alice", "--user", "bob:ds,ml", "--user", "carol",
                 "--config-dir", str(folder)]) == 0
    path = folder / "jupyter_server_config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = json.loads(path.read_text())
    users = config["TeamIdentityProvider"]["users"]
    assert users["bob"]["groups"] == ["ds", "ml"] and users["carol"]["groups"] == []
    assert len({u["token"] for u in users.values()}) == 3
    assert config["MlwsApp"] == {"access_control": True, "admin_users": ["alice"]}
    assert f"--config={path}" in capsys.readouterr().out
    assert main(["init", "--admin", "x", "--config-dir", str(folder)]) == 1  # not replaced


def test_identity_provider_maps_tokens_to_users_and_groups() -> None:
    provider = TeamIdentityProvider(users={"bob": {"token": "t-bob", "groups": ["ds"]}})
    user = provider.user_for_team_token("t-bob")
    assert user is not None and user.username == "bob"
    principal = principal_of(user)
    assert principal is not None and principal.groups == frozenset({"ds"})
    assert provider.user_for_team_token("t-other") is None
    assert provider.user_for_team_token("") is None
    cookie = provider.user_to_cookie(user)
    assert provider.user_from_cookie(cookie).username == "bob"
    provider.users = {}
    assert provider.user_from_cookie(cookie) is None  # removed from the team: logged out
