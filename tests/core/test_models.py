"""The model registry through the SDK (both stores): registration from files and runs,
versions, filters, downloads, mutable metadata, aliases, history, get_model_path."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from jupyter_mlws.core import Run, Workspace
from jupyter_mlws.core.model import Model, ModelNotFoundError
from jupyter_mlws.exceptions import ModelNotFoundException, UserErrorException, WebserviceException


@pytest.fixture
def model_file(work_dir: Path) -> Path:
    path = work_dir / "model.pkl"
    path.write_bytes(pickle.dumps({"w": 2.0, "b": 1.0}))
    return path


@pytest.fixture
def model_folder(work_dir: Path) -> Path:
    folder = work_dir / "sk_model"
    (folder / "sub").mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "model.pkl").write_bytes(b"\x80weights")
    (folder / "sub" / "extra.txt").write_text("extra")
    return folder


def test_register_file_versions_and_download(workspace: Workspace, model_file: Path,
                                             tmp_path: Path) -> None:
    first = Model.register(workspace, model_file, "lin", tags={"stage": "dev", "n": 3},
                           properties={"acc": 0.9}, description="a line",
                           model_framework=Model.Framework.SCIKITLEARN,
                           model_framework_version="1.4")
    second = Model.register(workspace, str(model_file), "lin")
    assert (first.version, second.version) == (1, 2)
    assert first.id == "lin:1" and first.tags == {"stage": "dev", "n": "3"}
    assert first.properties == {"acc": "0.9"} and first.description == "a line"
    assert first.model_framework == "ScikitLearn" and first.model_framework_version == "1.4"
    assert first.files == {"model.pkl": model_file.stat().st_size}
    assert first.created_by  # who registered it
    assert Model(workspace, "lin").version == 2  # the latest
    assert Model(workspace, "lin", version=1) == first
    assert Model(workspace, id="lin:1").tags == first.tags

    target = tmp_path / "down"
    path = first.download(target)
    assert path == str(target / "model.pkl")
    assert pickle.loads(Path(path).read_bytes()) == {"w": 2.0, "b": 1.0}
    with pytest.raises(WebserviceException, match="already exists"):
        first.download(target)
    assert first.download(target, exist_ok=True) == path


def test_register_folder_and_child_paths(workspace: Workspace, model_folder: Path,
                                         tmp_path: Path) -> None:
    whole = Model.register(workspace, model_folder, "folder-model")
    assert sorted(whole.files) == ["sk_model/MLmodel", "sk_model/model.pkl",
                                   "sk_model/sub/extra.txt"]
    path = whole.download(tmp_path / "a")
    assert path == str(tmp_path / "a" / "sk_model")
    assert (Path(path) / "sub" / "extra.txt").read_text() == "extra"
    part = Model.register(workspace, model_folder, "folder-model", child_paths=["model.pkl",
                                                                               "sub"])
    assert sorted(part.files) == ["sk_model/model.pkl", "sk_model/sub/extra.txt"]
    with pytest.raises(WebserviceException, match="leads outside"):
        Model.register(workspace, model_folder, "folder-model", child_paths=["../x"])
    with pytest.raises(WebserviceException, match="does not exist"):
        Model.register(workspace, model_folder, "folder-model", child_paths=["nope"])


@pytest.mark.parametrize("name", ["", "-starts-badly", "has space", "a/b", "..", "x" * 256])
def test_bad_model_names(workspace: Workspace, model_file: Path, name: str) -> None:
    with pytest.raises(WebserviceException, match=r"(?i)model name"):
        Model.register(workspace, model_file, name)


def test_bad_input(workspace: Workspace, model_file: Path) -> None:
    with pytest.raises(WebserviceException, match="does not exist"):
        Model.register(workspace, "no/such/model.pkl", "m")
    with pytest.raises(WebserviceException, match="model_framework_version needs"):
        Model.register(workspace, model_file, "m", model_framework_version="1")
    with pytest.raises(ModelNotFoundException, match="ModelNotFound"):
        Model(workspace, "never-registered")
    with pytest.raises(ModelNotFoundError):
        Model(workspace, "never-registered", version=3)
    Model.register(workspace, model_file, "m")
    with pytest.raises(WebserviceException, match="positive integer"):
        Model(workspace, "m", version="latest")
    with pytest.raises(WebserviceException, match="list like"):
        Model.list(workspace, tags={"a": "b"})


def test_list_filters(workspace: Workspace, model_file: Path) -> None:
    Model.register(workspace, model_file, "a", tags={"team": "x"}, properties={"p": "1"})
    Model.register(workspace, model_file, "a", tags={"team": "y"},
                   model_framework=Model.Framework.ONNX)
    Model.register(workspace, model_file, "b", tags={"team": "x", "gold": ""})
    ids = lambda models: [m.id for m in models]  # noqa: E731
    assert ids(Model.list(workspace)) == ["a:2", "a:1", "b:1"]
    assert ids(Model.list(workspace, latest=True)) == ["a:2", "b:1"]
    assert ids(Model.list(workspace, name="a")) == ["a:2", "a:1"]
    assert ids(Model.list(workspace, tags=[["team", "x"]])) == ["a:1", "b:1"]
    assert ids(Model.list(workspace, tags=["gold"])) == ["b:1"]
    assert ids(Model.list(workspace, properties=[["p", "1"]])) == ["a:1"]
    assert ids(Model.list(workspace, model_framework="Onnx")) == ["a:2"]
    assert Model(workspace, "a", tags=[["team", "x"]]).version == 1


def test_mutable_metadata(workspace: Workspace, model_file: Path) -> None:
    model = Model.register(workspace, model_file, "meta", tags={"a": "1"})
    model.add_tags({"b": 2})
    model.remove_tags(["a"])
    model.add_properties({"k": "v"})
    model.update(description="new text")
    again = Model(workspace, "meta")
    assert again.tags == {"b": "2"} and again.properties == {"k": "v"}
    assert again.description == "new text"
    with pytest.raises(WebserviceException, match="cannot be changed"):
        again.add_properties({"k": "other"})
    model.add_properties({"k": "v"})  # the same value again is fine


def test_register_from_run(workspace: Workspace, run: Run, model_file: Path,
                           model_folder: Path) -> None:
    run.upload_file("outputs/model.pkl", str(model_file))
    run.upload_folder("outputs/sk_model", str(model_folder))
    model = run.register_model("from-run", model_path="outputs/model.pkl",
                               tags={"source": "run"})
    assert model.run_id == run.id and model.experiment_name == run.experiment.name
    assert model.files == {"model.pkl": model_file.stat().st_size}
    assert model.run.id == run.id
    folder = run.register_model("from-run-folder", "outputs/sk_model")
    assert sorted(folder.files) == ["sk_model/MLmodel", "sk_model/model.pkl",
                                    "sk_model/sub/extra.txt"]
    assert sorted(m.id for m in run.get_models()) == ["from-run-folder:1", "from-run:1"]
    assert [m.id for m in Model.list(workspace, run_id=run.id, name="from-run")] == \
        ["from-run:1"]
    with pytest.raises(WebserviceException, match="is not a file or folder among the files"):
        run.register_model("missing", "outputs/nothing.pkl")
    with pytest.raises(WebserviceException, match="needs model_path"):
        run.register_model("missing")


def test_register_from_running_scripts_local_outputs(experiment, work_dir: Path) -> None:
    """A script registers outputs/model.pkl before its outputs/ folder is uploaded."""
    run = experiment.start_logging(snapshot_directory=None)
    try:
        (work_dir / "outputs" / "model.pkl").write_bytes(b"weights")
        model = run.register_model("early", "outputs/model.pkl")
        assert model.files == {"model.pkl": 7}
    finally:
        run.complete()


def test_aliases_and_history(workspace: Workspace, model_file: Path) -> None:
    one = Model.register(workspace, model_file, "ranked")
    two = Model.register(workspace, model_file, "ranked")
    one.set_alias("production")
    assert Model(workspace, "ranked", alias="production").version == 1
    assert one.aliases == ["production"]
    two.set_alias("production")  # moves
    two.set_alias("staging")
    assert Model(workspace, "ranked", alias="production").version == 2
    assert one.aliases == [] and two.aliases == ["production", "staging"]
    with pytest.raises(WebserviceException, match="Invalid model alias"):
        one.set_alias("latest")
    with pytest.raises(WebserviceException, match="Invalid model alias"):
        one.set_alias("Bad Alias")
    two.remove_alias("staging")
    two.delete()
    with pytest.raises(ModelNotFoundError, match="no alias 'production'"):
        Model(workspace, "ranked", alias="production")
    events = [(e["action"], e.get("version"), e.get("alias"), e.get("previous_version"))
              for e in Model.history(workspace, "ranked")]
    assert events == [("register", 1, None, None), ("register", 2, None, None),
                      ("alias", 1, "production", None), ("alias", 2, "production", 1),
                      ("alias", 2, "staging", None), ("alias_removed", 2, "staging", None),
                      ("alias_removed", 2, "production", None), ("delete", 2, None, None)]
    assert all(e["actor"] and e["time"] > 0 for e in Model.history(workspace, "ranked"))
    assert Model(workspace, "ranked").version == 1  # the version left
    assert {e["model"] for e in Model.history(workspace)} == {"ranked"}


def test_get_model_path(workspace: Workspace, model_file: Path, model_folder: Path,
                        work_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Model.register(workspace, model_file, "single")
    Model.register(workspace, model_folder, "multi")
    # From the workspace: downloaded into ./azureml-models/<name>/<version>/.
    path = Model.get_model_path("single", _workspace=workspace)
    assert path == str(work_dir / "azureml-models" / "single" / "1" / "model.pkl")
    assert Model.get_model_path("multi", version=1, _workspace=workspace) == str(
        work_dir / "azureml-models" / "multi" / "1" / "sk_model")
    # Found locally now, without a workspace.
    assert Model.get_model_path("single") == path
    # Inside a service: AZUREML_MODEL_DIR names azureml-models/<name>/<version>.
    root = work_dir / "svc"
    (root / "azureml-models" / "other" / "4").mkdir(parents=True)
    (root / "azureml-models" / "other" / "4" / "w.bin").write_bytes(b"x")
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(root / "azureml-models" / "other" / "4"))
    assert Model.get_model_path("other") == str(root / "azureml-models" / "other" / "4" /
                                                "w.bin")
    with pytest.raises(WebserviceException, match="was not found locally"):
        Model.get_model_path("nowhere")
    assert os.path.isfile(path)


def test_model_errors_are_v1_and_user_errors(workspace: Workspace) -> None:
    with pytest.raises(UserErrorException):
        Model(workspace, "absent")
