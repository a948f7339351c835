"""A shared jupyter_mlws server for a team without JupyterHub: several people, each with their
own token (and groups), on one plain jupyter-server.

``TeamIdentityProvider`` is a jupyter-server ``IdentityProvider``: a request's token
(``Authorization: token ...``, ``?token=``, or the login form) names its user; the login
cookie then carries the user name; groups come from the configuration, so changing a group
takes effect on the next request. Configure it with traitlets::

    c.ServerApp.identity_provider_class = "jupyter_mlws.server.team.TeamIdentityProvider"
    c.TeamIdentityProvider.users = {"alice": {"token": "...", "groups": ["it-ops"]}, ...}
    c.MlwsApp.access_control = True
    c.MlwsApp.admin_users = {"alice"}

or let ``python -m jupyter_mlws.server.team init --admin alice --user bob:data-scientists``
write that file (with fresh tokens, mode 0600) and print how to start the server.
"""

from __future__ import annotations

import argparse
import hmac
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User
from traitlets import Dict, default


class TeamUser(User):  # type: ignore[misc]
    groups: tuple[str, ...] = ()


class TeamIdentityProvider(IdentityProvider):  # type: ignore[misc]
    users = Dict(config=True, help="user name -> {'token': str, 'groups': [str, ...]}")

    @default("need_token")
    def _need_token_default(self) -> bool:
        return True

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    def _user(self, name: str) -> TeamUser | None:
        entry = self.users.get(name)
        if not isinstance(entry, dict):
            return None
        user = TeamUser(username=name)
        user.groups = tuple(str(g) for g in entry.get("groups") or ())
        return user

    def user_for_team_token(self, token: str) -> TeamUser | None:
        if not token:
            return None
        for name, entry in self.users.items():
            expected = entry.get("token") if isinstance(entry, dict) else None
            if isinstance(expected, str) and expected and hmac.compare_digest(
                    expected.encode(), token.encode()):
                return self._user(name)
        return None

    async def get_user_token(self, handler: Any) -> User | None:
        user = self.user_for_team_token(self.get_token(handler) or "")
        if user is None:
            return None
        return user

    def user_from_cookie(self, cookie_value: str) -> User | None:
        try:
            name = json.loads(cookie_value)["username"]
        except (ValueError, KeyError, TypeError):
            return None
        return self._user(name)  # someone removed from the team is logged out

    def process_login_form(self, handler: Any) -> User | None:
        return self.user_for_team_token(handler.get_argument("password", default=""))


def _init(args: argparse.Namespace) -> int:
    users: dict[str, dict[str, Any]] = {}
    for spec in [*args.admin, *args.user]:
        name, _, groups = spec.partition(":")
        if not name:
            print(f"not a user: {spec!r} (use NAME or NAME:GROUP,GROUP)", file=sys.stderr)
            return 2
        users[name] = {"token": secrets.token_urlsafe(24),
                       "groups": [g for g in groups.split(",") if g]}
    config = {"ServerApp": {
        "identity_provider_class": "jupyter_mlws.server.team.TeamIdentityProvider"},
        "TeamIdentityProvider": {"users": users},
        "MlwsApp": {"access_control": True, "admin_users": list(args.admin)}}
    target = Path(args.config_dir) / "jupyter_server_config.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not args.force:
        print(f"{target} exists; use --force to replace it", file=sys.stderr)
        return 1
    target.touch(mode=0o600)
    target.chmod(0o600)
    target.write_text(json.dumps(config, indent=2) + "\n")
    print(f"wrote {target}")
    for name, entry in users.items():
        print(f"  {name}: token {entry['token']}  groups {','.join(entry['groups']) or '-'}")
    print(f"start the team server with:\n  jupyter lab --config={target} --ip=0.0.0.0 "
          "--no-browser")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_mlws.server.team")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="write a team server configuration with fresh tokens")
    init.add_argument("--admin", action="append", default=[], metavar="NAME[:GROUPS]",
                      help="a server admin (always has access); repeatable")
    init.add_argument("--user", action="append", default=[], metavar="NAME[:GROUPS]",
                      help="a team member with comma-separated groups; repeatable")
    init.add_argument("--config-dir", default="team-config")
    init.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    if not args.admin:
        parser.error("init needs at least one --admin")
    return _init(args)


if __name__ == "__main__":
    raise SystemExit(main())
