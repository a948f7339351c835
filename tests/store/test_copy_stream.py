"""copy_stream: in-kernel copies between real files, chunked streaming otherwise."""

from __future__ import annotations

import io
import os
from pathlib import Path

from jupyter_mlws.store.files import CHUNK, copy_stream


def test_copies_between_real_files_from_the_current_positions(tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK + 123)
    (tmp_path / "src.bin").write_bytes(data)
    with open(tmp_path / "src.bin", "rb") as src, open(tmp_path / "out.bin", "wb") as out:
        src.seek(10)
        out.write(b"head")  # buffered bytes must land before the copied ones
        assert copy_stream(src, out) == len(data) - 10
        out.write(b"tail")
    assert (tmp_path / "out.bin").read_bytes() == b"head" + data[10:] + b"tail"


def test_streams_without_file_descriptors(tmp_path: Path) -> None:
    data = os.urandom(2 * CHUNK + 7)
    out = io.BytesIO()
    assert copy_stream(io.BytesIO(data), out) == len(data)
    assert out.getvalue() == data
    with open(tmp_path / "out.bin", "wb") as target:
        assert copy_stream(io.BytesIO(data), target) == len(data)
    assert (tmp_path / "out.bin").read_bytes() == data
