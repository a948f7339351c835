"""Browser-style (cookie) sessions: writes need jupyter-server's XSRF token, as everywhere else."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.helpers import jupyter_server


def test_cookie_session_writes_need_the_xsrf_token(tmp_path: Path, mlws_home: Path) -> None:
    with jupyter_server(tmp_path / "server", dict(os.environ)) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as browser:
        # Logging in with the token in the URL gives the browser a session cookie.
        browser.get("/lab", params={"token": server.token}, follow_redirects=True)
        assert any("username" in name or "user" in name for name in browser.cookies)
        api = "/mlws/api/v1/workspaces"
        assert browser.get(api).status_code == 200  # reads ride on the cookie

        refused = browser.post(api, json={"name": "xsrf-ws"})
        assert refused.status_code == 403
        assert browser.get(api).json()["workspaces"] == []  # nothing was created

        xsrf = browser.cookies.get("_xsrf")
        assert xsrf, "jupyter-server sets the _xsrf cookie on page loads"
        created = browser.post(api, json={"name": "xsrf-ws"}, headers={"X-XSRFToken": xsrf})
        assert created.status_code == 201
        assert [w["name"] for w in browser.get(api).json()["workspaces"]] == ["xsrf-ws"]
