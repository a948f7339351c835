"""Fixtures of the serving tests: a registered model, scoring scripts, a ``deploy`` helper
whose services are always deleted at teardown, and a check that no process of the test's
MLWS_HOME (daemon or replica) outlives the test."""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_fetch, async tests, ...)

from jupyter_mlws.core import Workspace
from jupyter_mlws.core.model import InferenceConfig, Model
from tests.helpers import wait_until
from tests.http.conftest import sql_view  # noqa: F401  (the HTTP server's own database)
from tests.server.conftest import api, jp_server_config, upload_limit  # noqa: F401  (REST)

SCORE = '''
import json, os, pickle, time
model = None
def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"), "rb") as f:
        model = pickle.load(f)
def run(raw_data):
    data = json.loads(raw_data)
    if data.get("fail"):
        raise ValueError("asked to fail")
    if data.get("sleep"):
        time.sleep(data["sleep"])
    return {"version": VERSION, "y": [model["w"] * x + model["b"] for x in data["data"]],
            "replica": os.environ.get("MLWS_SERVICE_REPLICA")}
'''


def score_script(version: str = "v1") -> str:
    return f"VERSION = {version!r}\n" + SCORE


def processes_of(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if str(home) in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
    return found


@pytest.fixture(autouse=True)
def no_leaked_processes(mlws_home: Path) -> Iterator[None]:
    yield
    wait_until(lambda: not processes_of(mlws_home), 30, 0.1,
               "every service process of the test gone")


@pytest.fixture
def model(workspace: Workspace, work_dir: Path) -> Model:
    path = work_dir / "model.pkl"
    path.write_bytes(pickle.dumps({"w": 2.0, "b": 1.0}))
    return Model.register(workspace, path, "lin")


@pytest.fixture
def source(make_source: Callable[..., Path]) -> Callable[..., Path]:
    """``source(name, text)`` -> a source folder holding ``score.py``."""

    def make(name: str = "src", text: str | None = None) -> Path:
        return make_source(name, {"score.py": text or score_script()})

    return make


@pytest.fixture
def deploy(workspace: Workspace) -> Iterator[Callable[..., Any]]:
    """``deploy(name, models, folder, config, target=None, wait=True)``: every service made
    through it is deleted at teardown, whatever the test did."""
    made: list[str] = []

    def run(name: str, models: list[Model], folder: Path, config: Any,
            target: Any = None, wait: bool = True) -> Any:
        made.append(name)
        service = Model.deploy(workspace, name, models,
                               InferenceConfig(entry_script="score.py",
                                               source_directory=str(folder)),
                               config, deployment_target=target, overwrite=True)
        if wait:
            service.wait_for_deployment()
        return service

    yield run
    from jupyter_mlws.core.webservice import Webservice

    for name in made:
        with contextlib.suppress(Exception):
            Webservice(workspace, name).delete()
