"""GET /environments/built: the uv-built environments of the server's home, read from their
marker files without opening the store or walking the environments' files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest


def _fake_env(home: Path, digest: str, created: float, files: int = 0) -> Path:
    env = home / "envs" / digest
    (env / "bin").mkdir(parents=True)
    for i in range(files):
        (env / "bin" / f"f{i}").write_bytes(b"x")
    (env / ".ready").write_text(json.dumps({"hash": digest, "spec": {"type": "uv",
                                                                      "python": "3.12"},
                                            "created_time": created}))
    return env


def _mlws_app(serverapp: Any) -> Any:
    (app,) = serverapp.extension_manager.extension_apps["jupyter_mlws"]
    return app


async def test_lists_built_environments_without_opening_the_store(api, jp_serverapp,
                                                                  mlws_home: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    import jupyter_mlws.execution.environments as environments

    now = time.time()
    _fake_env(mlws_home, "b" * 64, now, files=50)
    _fake_env(mlws_home, "a" * 64, now - 100)
    (mlws_home / "envs" / ("c" * 64 + ".tmp")).mkdir()  # a build in progress: not listed
    (mlws_home / "envs" / ("d" * 64)).mkdir()  # no marker: not ready, not listed
    walked: list[Any] = []
    monkeypatch.setattr(Path, "rglob", lambda self, *a, **k: walked.append(self) or iter(()))
    # The route must not need the store (opening it may mean running migrations).
    app_class = type(_mlws_app(jp_serverapp))

    def no_store(self: Any) -> Any:
        raise AssertionError("GET /environments/built used the store")

    monkeypatch.setattr(app_class, "store", property(no_store))

    body = await api("GET", "/environments/built")  # the first request this server sees
    assert [e["hash"] for e in body["environments"]] == ["a" * 64, "b" * 64]  # oldest first
    first = body["environments"][0]
    assert first["path"] == str(mlws_home / "envs" / ("a" * 64))
    assert first["interpreter"] == str(mlws_home / "envs" / ("a" * 64) / "bin" / "python")
    assert first["spec"] == {"type": "uv", "python": "3.12"}
    assert first["created_time"] == pytest.approx(now - 100)
    assert walked == []  # no environment's files were walked
    assert environments.list_built(mlws_home)[0]["hash"] == "a" * 64
