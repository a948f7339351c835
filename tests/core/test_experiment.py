"""Experiment: get-or-create, list view types, archive, tags, delete, submit dispatch, runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.core.experiment import (
    ViewType,
    experiment_method,
    register_submit_function,
)
from jupyter_mlws.exceptions import AzureMLException, UserErrorException


@pytest.fixture
def workspace_name() -> str:
    return "exp-ws"


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    return workspace


def _names(experiments: list[Experiment]) -> set[str]:
    return {e.name for e in experiments}


def test_get_or_create(ws: Workspace) -> None:
    exp = Experiment(ws, "train-1")
    assert exp.name == "train-1"
    assert exp.workspace is ws
    assert exp.archived_time is None
    assert exp.tags == {}
    same = Experiment(workspace=ws, name="train-1")
    assert same.id == exp.id
    assert same == exp
    other = Experiment(ws, "train-2")
    assert other.id != exp.id


def test_invalid_name_states_rule(ws: Workspace) -> None:
    with pytest.raises(UserErrorException, match="no spaces"):
        Experiment(ws, "bad name")
    with pytest.raises(UserErrorException, match="1 to 255"):
        Experiment(ws, "x" * 256)
    assert Experiment.list(ws) == []


def test_requires_workspace() -> None:
    with pytest.raises(UserErrorException, match="Workspace"):
        Experiment("not a workspace", "exp")  # type: ignore[arg-type]


def test_archive_reactivate_and_view_types(ws: Workspace) -> None:
    active = Experiment(ws, "active")
    archived = Experiment(ws, "archived")
    archived.archive()
    assert archived.archived_time is not None
    assert datetime.fromisoformat(archived.archived_time).year >= 2024

    assert _names(Experiment.list(ws)) == {"active"}
    assert _names(Experiment.list(ws, view_type=ViewType.ActiveOnly)) == {"active"}
    assert _names(Experiment.list(ws, view_type=ViewType.ArchivedOnly)) == {"archived"}
    assert _names(Experiment.list(ws, view_type=ViewType.All)) == {"active", "archived"}
    assert set(ws.experiments) == {"active"}

    with pytest.raises(UserErrorException, match="Renaming"):
        archived.reactivate(new_name="renamed")
    archived.reactivate()
    assert archived.archived_time is None
    assert _names(Experiment.list(ws)) == {"active", "archived"}
    assert active.archived_time is None


def test_list_filters(ws: Workspace) -> None:
    a = Experiment(ws, "alpha")
    Experiment(ws, "beta")
    a.set_tags({"stage": "prod"})
    assert _names(Experiment.list(ws, experiment_name="alpha")) == {"alpha"}
    assert Experiment.list(ws, experiment_name="nothing") == []
    assert _names(Experiment.list(ws, tags={"stage": "prod"})) == {"alpha"}
    assert _names(Experiment.list(ws, tags="stage")) == {"alpha"}
    assert Experiment.list(ws, tags={"stage": "dev"}) == []
    with pytest.raises(UserErrorException, match="view_type"):
        Experiment.list(ws, view_type="Everything")


def test_tags(ws: Workspace) -> None:
    exp = Experiment(ws, "tagged")
    exp.tag("solo")
    exp.tag("owner", "ana")
    exp.set_tags({"lr": 0.1, "team": "nlp"})
    assert exp.tags == {"solo": None, "owner": "ana", "lr": "0.1", "team": "nlp"}
    exp.remove_tags(["solo", "team"])
    assert exp.tags == {"owner": "ana", "lr": "0.1"}

    other_view = Experiment.list(ws, experiment_name="tagged")[0]
    exp.set_tags({"owner": "bo"})
    assert other_view.tags["owner"] == "ana"
    other_view.refresh()
    assert other_view.tags == {"owner": "bo", "lr": "0.1"}


def test_delete_and_reuse_name(ws: Workspace) -> None:
    exp = Experiment(ws, "temporary")
    exp.set_tags({"old": "yes"})
    Experiment.delete(ws, exp.id)
    assert Experiment.list(ws, view_type=ViewType.All) == []
    reused = Experiment(ws, "temporary")
    assert reused.id != exp.id
    assert reused.tags == {}


def test_delete_checks_workspace(ws: Workspace) -> None:
    other_ws = Workspace.create("other-ws", show_output=False)
    exp = Experiment(other_ws, "theirs")
    with pytest.raises(UserErrorException):
        Experiment.delete(ws, exp.id)
    assert _names(Experiment.list(other_ws)) == {"theirs"}


def test_display(ws: Workspace) -> None:
    exp = Experiment(ws, "shown")
    assert str(exp) == "Experiment(Name: shown,\nWorkspace: exp-ws)"
    url = exp.get_portal_url()
    assert url == f"mlws://experiments/{ws._workspace_id}/shown"
    page = exp._repr_html_()
    for piece in ("Name", "Workspace", "Report Page", "Docs Page", "shown", "exp-ws", url):
        assert piece in page


# --------------------------------------------------------------------------- submit


class _FakeRun:
    def __init__(self) -> None:
        self.tags: dict[str, Any] = {}

    def set_tags(self, tags: dict[str, Any]) -> None:
        self.tags.update(tags)


def test_submit_unregistered_config_raises(ws: Workspace) -> None:
    class NotAConfig:
        pass

    with pytest.raises(AzureMLException, match="MethodNotRegistered"):
        Experiment(ws, "sub").submit(NotAConfig())


def test_submit_dispatch_with_decorator(ws: Workspace) -> None:
    calls: list[tuple] = []

    def submit_fn(config: Any, workspace: Workspace, experiment_name: str,
                  **kwargs: Any) -> _FakeRun:
        calls.append((config, workspace, experiment_name, kwargs))
        return _FakeRun()

    class DecoratedConfig:
        @experiment_method(submit_function=submit_fn)
        def __init__(self, value: int) -> None:
            self.value = value

    class DerivedConfig(DecoratedConfig):
        pass

    config = DecoratedConfig(7)
    assert config.value == 7
    exp = Experiment(ws, "sub")
    run = exp.submit(config, tags={"k": "v"}, run_id="abc")
    assert calls == [(config, ws, "sub", {"run_id": "abc"})]
    assert run.tags == {"k": "v"}

    derived = DerivedConfig(1)
    assert exp.submit(derived).tags == {}
    assert calls[-1][0] is derived


def test_submit_dispatch_with_register_function(ws: Workspace) -> None:
    class PlainConfig:
        pass

    register_submit_function(PlainConfig, lambda config, workspace, name, **kw: _FakeRun())
    run = Experiment(ws, "sub").submit(PlainConfig(), tags={"a": "b"})
    assert run.tags == {"a": "b"}
    with pytest.raises(UserErrorException):
        register_submit_function(PlainConfig, "not callable")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- runs


def test_start_logging_and_get_runs(ws: Workspace) -> None:
    exp = Experiment(ws, "logged")
    first = exp.start_logging(snapshot_directory=None, outputs=False)
    first.complete()
    second = exp.start_logging(snapshot_directory=None, outputs=False, tags={"best": "yes"})
    second.complete()
    runs = exp.get_runs()
    assert not isinstance(runs, list)  # a generator, as in v1
    assert [r.id for r in runs] == [second.id, first.id]
    assert [r.id for r in exp.get_runs(tags={"best": "yes"})] == [second.id]
    assert [r.id for r in exp.get_runs(tags="best")] == [second.id]


def test_get_run_of_experiment(ws: Workspace) -> None:
    from jupyter_mlws.core import get_run

    exp = Experiment(ws, "lookup")
    run = exp.start_logging(snapshot_directory=None, outputs=False)
    run.complete()
    assert get_run(exp, run.id).id == run.id
    with pytest.raises(UserErrorException):
        get_run(Experiment(ws, "elsewhere"), run.id)
