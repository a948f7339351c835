"""An upload claims its artifact's name while it writes. A claim held by a live process
conflicts; one left by a process that was SIGKILLed is reclaimed by the next upload, listing or
read that meets it: its partial file is removed and the name is free (or, for an overwrite, the
old content stays)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from jupyter_mlws.store import ConflictError, NotFoundError
from tests.store.stalled_upload import stalled_upload


def _stored_files(store, run_id: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Every file the workspace's storage holds (path under its root -> size)."""
    files = store.db.read(lambda c: store.files_of_run(c, run_id))
    root = Path(files.root)
    return {p.relative_to(root).as_posix(): p.stat().st_size
            for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def run_id(store, ws, exp) -> str:  # type: ignore[no-untyped-def]
    return store.create_run(ws.id, exp.id, run_id="r1", status="Running").id


@pytest.mark.parametrize("first_touch", ["list", "upload", "read"])
def test_a_killed_upload_is_reclaimed(store, store_settings, run_id, tmp_path,
                                      first_touch) -> None:  # type: ignore[no-untyped-def]
    with stalled_upload(store_settings, run_id, "outputs/model.bin", tmp_path):
        # The child is alive: its claim holds.
        assert store.list_artifacts(run_id) == []
        with pytest.raises(ConflictError, match="being written"):
            store.upload_artifact(run_id, "outputs/model.bin", io.BytesIO(b"mine"))
        with pytest.raises(NotFoundError):
            store.open_artifact(run_id, "outputs/model.bin")
        assert max(_stored_files(store, run_id).values()) >= 1 << 20  # part of it written

    data = os.urandom(3 << 20)
    if first_touch == "list":
        assert store.list_artifacts(run_id) == []
        assert _stored_files(store, run_id) == {}  # the partial file is gone
    elif first_touch == "read":
        with pytest.raises(NotFoundError):
            store.open_artifact(run_id, "outputs/model.bin")
        assert _stored_files(store, run_id) == {}
    record = store.upload_artifact(run_id, "outputs/model.bin", io.BytesIO(data))
    assert record.size == len(data)
    with store.open_artifact(run_id, "outputs/model.bin") as stream:
        assert stream.read() == data
    assert list(_stored_files(store, run_id).values()) == [len(data)]


def test_a_killed_overwrite_keeps_the_old_content(store, store_settings, run_id,
                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]
    old = os.urandom(2 << 20)
    store.upload_artifact(run_id, "outputs/model.bin", io.BytesIO(old))
    with stalled_upload(store_settings, run_id, "outputs/model.bin", tmp_path,
                        overwrite=True):
        # While the new content is written, readers keep getting the old one, whole.
        with store.open_artifact(run_id, "outputs/model.bin") as stream:
            assert stream.read() == old
        (listed,) = store.list_artifacts(run_id)
        assert listed.size == len(old)
        with pytest.raises(ConflictError, match="being written"):
            store.upload_artifact(run_id, "outputs/model.bin", io.BytesIO(b"x"),
                                  overwrite=True)

    with store.open_artifact(run_id, "outputs/model.bin") as stream:
        assert stream.read() == old
    assert list(_stored_files(store, run_id).values()) == [len(old)]
    new = os.urandom(1 << 20)
    store.upload_artifact(run_id, "outputs/model.bin", io.BytesIO(new), overwrite=True)
    with store.open_artifact(run_id, "outputs/model.bin") as stream:
        assert stream.read() == new
    assert list(_stored_files(store, run_id).values()) == [len(new)]


def test_a_dead_claim_does_not_block_the_folder_around_it(store, store_settings, run_id,
                                                          tmp_path) -> None:  # type: ignore[no-untyped-def]
    with stalled_upload(store_settings, run_id, "outputs/a", tmp_path), \
            pytest.raises(ConflictError, match="being written"):
        store.upload_artifact(run_id, "outputs/a/b.txt", io.BytesIO(b"under a"))
    store.upload_artifact(run_id, "outputs/a/b.txt", io.BytesIO(b"under a"))
    assert [a.path for a in store.list_artifacts(run_id)] == ["outputs/a/b.txt"]
