"""Artifact upload/download through the SDK against a plain file copy of the same file.

Usage: python benchmarks/bench_artifacts.py [--mb 512] [--runs 5]

The three copies run interleaved, once per round, in an order rotated from round to round: the
disk's sustained write rate falls as write-back builds up within a round, so a fixed order
would favour whichever copy runs first. Each figure is the median over the rounds, each ratio
the median of the rounds' own ratios (use a multiple of 3 rounds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    isolated_home()
    from jupyter_mlws.core import Experiment, Workspace

    folder = Path(tempfile.mkdtemp(prefix="mlws-bench-files-"))
    try:
        source = folder / "model.bin"
        _write_file(source, args.mb)
        ws = Workspace.create("bench", exist_ok=True, show_output=False)
        run = Experiment(ws, "files").start_logging(snapshot_directory=None, outputs=False)
        run.upload_file("outputs/model.bin", str(source))  # what every round downloads
        rates: dict[str, list[float]] = {"copy": [], "upload": [], "download": []}
        for round_ in range(args.runs):
            target = folder / f"downloaded-{round_}.bin"
            # the lambdas run within this round: binding round_ and target late is intended
            steps = {
                "copy": lambda: shutil.copyfile(source, folder / "copy.bin"),
                "upload": lambda: run.upload_file(f"outputs/model-{round_}.bin",  # noqa: B023
                                                  str(source)),
                "download": lambda: run.download_file("outputs/model.bin",
                                                      str(target)),  # noqa: B023
            }
            order = list(steps)
            order = order[round_ % 3:] + order[:round_ % 3]
            for step in order:
                rates[step].append(_rate(args.mb, steps[step]))
            for leftover in (folder / "copy.bin", target):
                leftover.unlink()
        copies, ups, downs = rates["copy"], rates["upload"], rates["download"]
        run.complete()
        median = statistics.median
        figure(f"plain file copy, {args.mb} MB (median of {args.runs})", median(copies), "MB/s")
        figure("run.upload_file", median(ups), "MB/s")
        figure("upload / plain copy",
               100 * median(u / c for u, c in zip(ups, copies, strict=True)), "%", ">= 90 %")
        figure("run.download_file", median(downs), "MB/s")
        figure("download / plain copy",
               100 * median(d / c for d, c in zip(downs, copies, strict=True)), "%", ">= 90 %")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
