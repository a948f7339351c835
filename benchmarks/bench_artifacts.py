"""Artifact upload/download through the SDK against a plain file copy of the same file.

Usage: python benchmarks/bench_artifacts.py [--mb 512]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from _common import figure, isolated_home


def _write_file(path: Path, megabytes: int) -> None:
    block = os.urandom(1 << 20)  # random bytes: nothing along the way can shortcut zeros
    with path.open("wb") as out:
        for _ in range(megabytes):
            out.write(block)


def _rate(megabytes: int, fn) -> float:  # type: ignore[no-untyped-def]
    # Durable throughput: each copy starts with no dirty pages pending and ends once its data
    # is on disk. Timing only the write into the page cache favours whichever copy runs first
    # (the cache absorbs the first few hundred MB, then write-back throttles the rest).
    os.sync()
    start = time.perf_counter()
    fn()
    os.sync()
    return megabytes / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=512)
    args = parser.parse_args()
    isolated_home()
    from jupyter_mlws.core import Experiment, Workspace

    folder = Path(tempfile.mkdtemp(prefix="mlws-bench-files-"))
    try:
        source = folder / "model.bin"
        _write_file(source, args.mb)
        copy_rate = _rate(args.mb, lambda: shutil.copyfile(source, folder / "copy.bin"))
        figure(f"plain file copy, {args.mb} MB", copy_rate, "MB/s")

        ws = Workspace.create("bench", exist_ok=True, show_output=False)
        run = Experiment(ws, "files").start_logging(snapshot_directory=None, outputs=False)
        up = _rate(args.mb, lambda: run.upload_file("outputs/model.bin", str(source)))
        figure("run.upload_file", up, "MB/s")
        figure("upload / plain copy", 100 * up / copy_rate, "%", ">= 80 %")
        target = folder / "downloaded.bin"
        down = _rate(args.mb, lambda: run.download_file("outputs/model.bin", str(target)))
        figure("run.download_file", down, "MB/s")
        figure("download / plain copy", 100 * down / copy_rate, "%", ">= 80 %")
        run.complete()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
