"""Length limits of artifact paths: enforced by the store's one normalizer, seen as 400 over
REST rather than an OS error."""

from __future__ import annotations

import io

import pytest

from jupyter_mlws.store import InvalidInputError
from jupyter_mlws.store.paths import normalize_artifact_path


@pytest.mark.parametrize("path", [
    "a" * 255, "d/" + "b" * 255, "é" * 127 + "x",  # 255 bytes in UTF-8
    "/".join(["s" * 100] * 9) + "/" + "t" * 115,  # exactly 1024 bytes
])
def test_paths_at_the_limits_pass(path: str) -> None:
    assert normalize_artifact_path(path) == path


@pytest.mark.parametrize("path", [
    "a" * 256, "outputs/" + "x" * 1000, "é" * 128,  # a segment over 255 bytes
    "/".join(["s" * 100] * 10) + "/" + "t" * 15,  # 1025 bytes, every segment short
    "/".join(["ü" * 100] * 6),  # 1205 bytes but only 605 characters
    "bad\udcff",  # a lone surrogate cannot be encoded
])
def test_paths_over_the_limits_rejected(path: str) -> None:
    with pytest.raises(InvalidInputError):
        normalize_artifact_path(path)


def test_store_rejects_long_segment_before_touching_files(store, ws, exp) -> None:  # type: ignore[no-untyped-def]
    store.create_run(ws.id, exp.id, run_id="r1")
    with pytest.raises(InvalidInputError, match="255 bytes"):
        store.upload_artifact("r1", "outputs/" + "n" * 1000, io.BytesIO(b"x"))
    with pytest.raises(InvalidInputError, match="255 bytes"):
        store.append_log("r1", "logs/" + "n" * 300, b"line\n")
    assert store.list_artifacts("r1") == []
