"""run.log_explanation / run.log_fairness: validated JSON artifacts in the documented format."""

from __future__ import annotations

import json

import pytest

from jupyter_mlws.exceptions import UserErrorException


def read_json(run, path):
    with run._store.open_artifact(run.id, path) as stream:
        return json.load(stream)


@pytest.fixture
def run(experiment):
    run = experiment.start_logging(snapshot_directory=None, outputs=False)
    yield run
    run.complete()


def test_log_explanation_document(run):
    np = pytest.importorskip("numpy")
    path = run.log_explanation("global", ["a", "b"], np.array([0.25, 0.75]),
                               class_labels=["no", "yes"],
                               per_class_importances=[[0.2, 0.8], [np.float32(0.3), 1]])
    assert path == "explanations/global.json"
    assert read_json(run, path) == {
        "schema_type": "feature_importance", "schema_version": "1.0.0",
        "data": {"features": ["a", "b"], "importances": [0.25, 0.75],
                 "class_labels": ["no", "yes"],
                 "per_class_importances": [[0.2, 0.8], [pytest.approx(0.3), 1]]}}
    run.log_explanation("global", ["c"], [1.0])  # same name again replaces it
    assert read_json(run, path)["data"] == {"features": ["c"], "importances": [1.0]}


def test_log_fairness_document(run):
    path = run.log_fairness("by_sex", "sex", ["f", "m"],
                            {"accuracy": [0.9, 0.8], "selection_rate": (0.3, 0.4)},
                            overall={"accuracy": 0.85})
    assert path == "fairness/by_sex.json"
    assert read_json(run, path) == {
        "schema_type": "fairness", "schema_version": "1.0.0",
        "data": {"sensitive_feature": "sex", "groups": ["f", "m"],
                 "metrics": {"accuracy": [0.9, 0.8], "selection_rate": [0.3, 0.4]},
                 "overall": {"accuracy": 0.85}}}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"features": ["a", "b"], "importances": [1.0]}, "importances has 1 values but there are 2"),
    ({"features": [], "importances": []}, "features must not be empty"),
    ({"features": "ab", "importances": [1, 2]}, "features must be a list"),
    ({"features": ["a", "a"], "importances": [1, 2]}, "duplicates"),
    ({"features": ["a", 3], "importances": [1, 2]}, r"features\[1\] must be a non-empty string"),
    ({"features": ["a"], "importances": ["x"]}, r"importances\[0\] must be a number"),
    ({"features": ["a"], "importances": [float("nan")]}, "must be finite"),
    ({"features": ["a"], "importances": [True]}, "must be a number"),
    ({"features": ["a"], "importances": [1], "per_class_importances": [[1]]},
     "needs class_labels"),
    ({"features": ["a"], "importances": [1], "class_labels": ["x", "y"],
      "per_class_importances": [[1]]}, "1 rows but there are 2 class_labels"),
    ({"features": ["a", "b"], "importances": [1, 2], "class_labels": ["x"],
      "per_class_importances": [[1]]}, r"per_class_importances\[0\] has 1 values"),
])
def test_explanation_validation(run, kwargs, message):
    with pytest.raises(UserErrorException, match=message):
        run.log_explanation("e", **kwargs)
    assert run.get_file_names() == []


@pytest.mark.parametrize(("args", "message"), [
    (("", ["f"], {"acc": [1]}), "sensitive_feature must be a non-empty string"),
    (("s", [], {"acc": []}), "groups must not be empty"),
    (("s", ["f", "m"], {}), "metrics must be a non-empty dict"),
    (("s", ["f", "m"], {"acc": [1]}), r"metrics\['acc'\] has 1 values but there are 2 groups"),
    (("s", ["f"], {"acc": ["high"]}), "must be a number"),
    (("s", ["f"], {"acc": [1]}, {"auc": 0.5}), "overall has metric 'auc'"),
    (("s", ["f"], {"acc": [1]}, [0.5]), "overall must be a dict"),
])
def test_fairness_validation(run, args, message):
    with pytest.raises(UserErrorException, match=message):
        run.log_fairness("f", *args)
    assert run.get_file_names() == []


@pytest.mark.parametrize("name", ["", "../up", "a/b", "x" * 201, 3])
def test_names_are_checked(run, name):
    with pytest.raises(UserErrorException, match="name must be"):
        run.log_explanation(name, ["a"], [1])
    with pytest.raises(UserErrorException, match="name must be"):
        run.log_fairness(name, "s", ["f"], {"acc": [1]})
