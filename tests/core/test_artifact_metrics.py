"""log_image and the JSON artifact metrics through the public Run API."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from jupyter_mlws.exceptions import UserErrorException

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
PIL_Image = pytest.importorskip("PIL.Image")

URI = re.compile(r"^aml://artifactId/ExperimentRun/dcid\.(?P<run>[^/]+)/(?P<path>.+)$")

CONFUSION = {"schema_type": "confusion_matrix", "schema_version": "1.0.0",
             "data": {"class_labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]}}


def _png(path: Path, color: str = "red") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL_Image.new("RGB", (4, 3), color).save(path, format="PNG")
    return path


def _artifact_bytes(run, uri: str) -> bytes:
    match = URI.match(uri)
    assert match and match["run"] == run.id, uri
    with run._store.open_artifact(run.id, match["path"]) as handle:
        return handle.read()


def test_log_image_relative_path_kept(run):
    _png(Path("plots/loss.png"))
    run.log_image("loss", path="plots/loss.png", description="training loss")
    uri = run.get_metrics("loss")["loss"]
    assert uri == f"aml://artifactId/ExperimentRun/dcid.{run.id}/plots/loss.png"
    assert _artifact_bytes(run, uri) == Path("plots/loss.png").read_bytes()


def test_log_image_absolute_path_uses_basename(run, tmp_path):
    image = _png(tmp_path / "elsewhere" / "abs.png")
    run.log_image("abs", path=str(image))
    assert "abs.png" in run.get_file_names()


def test_log_image_series_same_name(run):
    _png(Path("img.png"), "red")
    run.log_image("sample", path="img.png")
    _png(Path("img.png"), "blue")
    run.log_image("sample", path="img.png")
    run.flush()
    series = run._store.get_metric_series(run.id, "sample")
    assert series.kind == "image"
    assert len(series.value) == 2 and len(set(series.value)) == 2
    first, second = (_artifact_bytes(run, uri) for uri in series.value)
    assert first != second


def test_log_image_from_figure(run):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().plot([1, 2, 3], [3, 1, 2])
    run.log_image("curve", plot=fig)
    run.log_image("curve", plot=fig)  # same second: still two distinct artifacts
    run.flush()
    values = run._store.get_metric_series(run.id, "curve").value
    assert len(set(values)) == 2
    for uri in values:
        assert re.search(r"/curve_\d+(_\d+)?\.png$", uri)
        with PIL_Image.open(io.BytesIO(_artifact_bytes(run, uri))) as image:
            assert image.format == "PNG"


def test_log_image_from_pyplot(run):
    import matplotlib.pyplot as plt

    plt.figure()
    plt.plot([0, 1], [1, 0])
    try:
        run.log_image("pyplot_fig", plot=plt)
    finally:
        plt.close("all")
    uri = run.get_metrics("pyplot_fig")["pyplot_fig"]
    assert _artifact_bytes(run, uri).startswith(b"\x89PNG")


def test_log_image_needs_exactly_one_source(run):
    _png(Path("x.png"))
    with pytest.raises(UserErrorException):
        run.log_image("x")
    with pytest.raises(UserErrorException):
        run.log_image("x", path="x.png", plot=object())
    with pytest.raises(UserErrorException):
        run.log_image("x", plot=object())  # no savefig
    assert run.get_file_names() == []


def test_log_image_rejects_non_image(run):
    Path("not_an_image.png").write_text("definitely text")
    with pytest.raises(UserErrorException, match="MalformedArgument"):
        run.log_image("bad", path="not_an_image.png")
    with pytest.raises(UserErrorException):
        run.log_image("bad", path="missing.png")
    assert run.get_file_names() == []
    assert run.get_metrics() == {}


@pytest.mark.parametrize("method, kind, data", [
    ("log_confusion_matrix", "confusion_matrix", CONFUSION["data"]),
    ("log_accuracy_table", "accuracy_table",
     {"probability_tables": [[[1, 0, 1, 0]]], "percentile_tables": [[[1, 0, 1, 0]]],
      "probability_thresholds": [0.5], "percentile_thresholds": [50], "class_labels": ["a"]}),
    ("log_residuals", "residuals", {"bin_edges": [0, 1, 2], "bin_counts": [3, 4]}),
    ("log_predictions", "predictions",
     {"bin_averages": [1.0], "bin_errors": [0.1], "bin_counts": [3], "bin_edges": [0, 2]}),
])
def test_json_metrics(run, method, kind, data):
    getattr(run, method)("chart", {"schema_type": kind, "schema_version": "1.0.0", "data": data})
    uri = run.get_metrics("chart")["chart"]
    assert uri == f"aml://artifactId/ExperimentRun/dcid.{run.id}/chart"
    assert json.loads(_artifact_bytes(run, uri))["data"] == data
    assert run._store.get_metric_series(run.id, "chart").kind == kind


def test_json_metric_from_string_and_name_collision(run):
    run.log_confusion_matrix("cm", json.dumps(CONFUSION))
    run.log_confusion_matrix("cm", {"data": CONFUSION["data"]})  # schema filled in
    run.flush()
    values = run._store.get_metric_series(run.id, "cm").value
    assert [URI.match(v)["path"] for v in values] == ["cm", "cm_1"]
    second = json.loads(_artifact_bytes(run, values[1]))
    assert second["schema_type"] == "confusion_matrix" and second["schema_version"] == "1.0.0"


@pytest.mark.parametrize("value", [
    "{not json", "[1, 2]", 42, {"schema_type": "residuals", "data": {}}, {"schema_type":
                                                                         "confusion_matrix"},
])
def test_json_metric_validation(run, value):
    with pytest.raises(UserErrorException):
        run.log_confusion_matrix("cm", value)
    assert run.get_file_names() == []
    assert run.get_metrics() == {}
