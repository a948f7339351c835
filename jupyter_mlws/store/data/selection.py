"""Row and file selection shared by every reader: seeded sampling by position, and the file
transforms of a File dataset (take, skip, sample), so the SDK and the executor of a run pick
exactly the same files."""

from __future__ import annotations

from typing import Any

from .manifest import FileEntry


def sample_mask(seed: int, start: int, count: int, probability: float) -> Any:
    """Positions kept by a seeded Bernoulli sample, decided per global position (splitmix64),
    so the same rows are chosen however the data is batched, and a split's halves partition."""
    import numpy as np

    with np.errstate(over="ignore"):
        x = np.arange(start, start + count, dtype=np.uint64) + np.uint64(seed & (2**64 - 1))
        x = x * np.uint64(0x9E3779B97F4A7C15)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53) < probability


def select_files(files: list[FileEntry], transforms: list[dict[str, Any]]) -> list[FileEntry]:
    """The files of a File dataset after its transforms, in manifest order."""
    chosen = list(files)
    for step in transforms:
        op = step["op"]
        if op == "take":
            chosen = chosen[: int(step["n"])]
        elif op == "skip":
            chosen = chosen[int(step["n"]):]
        elif op == "sample":
            mask = sample_mask(int(step["seed"]), 0, len(chosen), float(step["probability"]))
            keep = ~mask if step.get("complement") else mask
            chosen = [f for f, k in zip(chosen, keep, strict=True) if k]
    return chosen


__all__ = ["sample_mask", "select_files"]
