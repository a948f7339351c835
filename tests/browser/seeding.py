"""Runs with one of everything the run view shows, seeded through the SDK."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

from jupyter_mlws.core import Experiment, Workspace

EXPLANATION = {"schema_type": "feature_importance", "schema_version": "1.0.0",
               "data": {"features": ["age", "income", "zip"], "importances": [0.5, 0.3, 0.05]}}
FAIRNESS = {"schema_type": "fairness", "schema_version": "1.0.0",
            "data": {"sensitive_feature": "sex", "groups": ["f", "m"],
                     "metrics": {"accuracy": [0.81, 0.86]}, "overall": {"accuracy": 0.84}}}


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A small valid red PNG, without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def seed_run(tmp_path: Path, ws_name: str, *, fail: bool = False,
             experiment: str = "train", display_name: str = "baseline",
             lr: str = "0.1", scale: float = 1.0) -> Any:
    """A finished run with one of everything the run view shows."""
    ws = Workspace.create(ws_name, exist_ok=True, show_output=False)
    src = tmp_path / f"src-{display_name}"
    src.mkdir()
    (src / "train.py").write_text("print('training')\n")
    run = Experiment(ws, experiment).start_logging(
        display_name=display_name, snapshot_directory=str(src), outputs=False,
        tags={"lr": lr})
    for step in range(50):
        run.log("loss", scale / (step + 1), step=step)
    run.log("accuracy", 0.9 * scale)
    run.log_list("sizes", [1, 2, 3])
    run.log_row("per_class", cls="cat", precision=0.8)
    run.log_row("per_class", cls="dog", precision=0.7)
    image = tmp_path / f"{display_name}.png"
    image.write_bytes(png_bytes())
    run.log_image("sample", path=str(image))
    child = run.child_run(name="fold-1")
    child.log("fold_loss", 0.3)
    child.complete()
    out = tmp_path / f"metrics-{display_name}.csv"
    out.write_text("epoch,loss\n1,0.5\n2,0.25\n")
    run.upload_file("outputs/metrics.csv", str(out))
    log = tmp_path / f"train-{display_name}.log"
    log.write_text("epoch 1 done\nepoch 2 done\n")
    run.upload_file("logs/train.log", str(log))
    expl = tmp_path / f"expl-{display_name}.json"
    expl.write_text(json.dumps(EXPLANATION))
    run.upload_file("explanations/global.json", str(expl))
    fair = tmp_path / f"fair-{display_name}.json"
    fair.write_text(json.dumps(FAIRNESS))
    run.upload_file("fairness/by_sex.json", str(fair))
    if fail:
        run.fail(error_details="the data loader ran out of memory", error_code="OutOfMemory")
    else:
        run.complete()
    return ws, run


CONFUSION = {"schema_type": "confusion_matrix", "schema_version": "1.0.0",
             "data": {"class_labels": ["cat", "dog", "bird"],
                      "matrix": [[50, 3, 2], [4, 45, 6], [1, 2, 60]]}}
RESIDUALS = {"schema_type": "residuals", "schema_version": "1.0.0",
             "data": {"bin_edges": [-2, -1, 0, 1, 2], "bin_counts": [3, 20, 25, 4]}}
PREDICTIONS = {"schema_type": "predictions", "schema_version": "1.0.0",
               "data": {"bin_averages": [0.1, 0.4, 0.7], "bin_errors": [0.05, 0.04, 0.06],
                        "bin_counts": [10, 20, 15], "bin_edges": [0, 0.3, 0.6, 1.0]}}
# v1's accuracy table: per class, one [TP, FP, TN, FN] row per threshold.
ACCURACY_TABLE = {"schema_type": "accuracy_table", "schema_version": "1.0.1",
                  "data": {"probability_tables": [[[60, 40, 0, 0], [45, 10, 30, 15],
                                                   [0, 0, 40, 60]]],
                           "percentile_tables": [[[60, 40, 0, 0], [40, 8, 32, 20],
                                                  [0, 0, 40, 60]]],
                           "probability_thresholds": [0.0, 0.5, 1.0],
                           "percentile_thresholds": [0.0, 50.0, 100.0],
                           "class_labels": ["1"]}}


def log_chart_metrics(run: Any) -> None:
    """The four v1 chart metrics that live in JSON artifacts."""
    run.log_confusion_matrix("confusion", CONFUSION)
    run.log_residuals("residuals", RESIDUALS)
    run.log_predictions("predictions", PREDICTIONS)
    run.log_accuracy_table("accuracy_table", ACCURACY_TABLE)
