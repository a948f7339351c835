"""Datasets: take(10) of a 1 GB Parquet dataset, a full to_pandas_dataframe against a plain
pyarrow.parquet.read_table(...).to_pandas() of the same files, registering a File dataset of
100,000 small files, and peak memory while iterating a 5 GB dataset in batches.

The data is generated in a temporary folder (about 6.5 GB with the defaults) and removed at
the end. Usage: python benchmarks/bench_data.py [--gb 1] [--big-gb 5] [--files 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import figure, isolated_home


def _parquet_folder(folder: Path, gigabytes: float, file_mb: int = 128) -> list[str]:
    """Parquet files of random doubles (they do not compress: size on disk ~ size in memory)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    rows = file_mb * (1 << 20) // 80
    paths = []
    for i in range(max(1, round(gigabytes * 1024 / file_mb))):
        table = pa.table({f"c{j}": rng.random(rows) for j in range(10)})
        path = folder / f"part-{i:04d}.parquet"
        pq.write_table(table, path, compression="none")
        paths.append(str(path))
    return paths


def _median(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# VmHWM (this process's peak RSS) rather than ru_maxrss, which Linux carries over from the
# parent across fork + exec (the benchmark process itself held the 1 GB table).
PEAK = """
import json, sys
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
from jupyter_mlws.core import Dataset, Workspace
ws = Workspace.get("bench")
ds = Dataset.get_by_name(ws, sys.argv[1])
before = hwm()
rows = 0
for batch in ds.to_arrow_batches():
    rows += batch.num_rows
print(json.dumps({"rows": rows, "before_kb": before, "peak_kb": hwm()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--big-gb", type=float, default=5.0)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--parts", default="take,files,iterate",
                        help="comma-separated: take (take(10) and the full read), files, "
                             "iterate")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    isolated_home()
    from jupyter_mlws.core import Datastore, Workspace

    work = Path(tempfile.mkdtemp(prefix="mlws-bench-data-"))
    try:
        ws = Workspace.create("bench", exist_ok=True, show_output=False)
        store = Datastore.register_local_folder(ws, "benchdata", str(work))
        if "take" in parts:
            _take_and_full(ws, store, work, args.gb)
        if "files" in parts:
            _small_files(ws, store, work, args.files)
        if "iterate" in parts:
            _iterate(ws, store, work, args.big_gb)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average: {os.getloadavg()}")


def _take_and_full(ws, store, work: Path, gigabytes: float) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    from jupyter_mlws.core import Dataset

    paths = _parquet_folder(work / "one", gigabytes)
    size = sum(os.path.getsize(p) for p in paths) / 2**30
    Dataset.Tabular.from_parquet_files((store, "one/*.parquet")).register(ws, "one")

    def take10() -> None:
        frame = Dataset.get_by_name(ws, "one").take(10).to_pandas_dataframe()
        assert len(frame) == 10

    take = _median(take10, 7)
    figure(f"take(10) of a {size:.2f} GB Parquet dataset, median", take, "s", "<= 0.3 s")

    ours, plain = [], []
    read_plain = lambda: pq.read_table(paths).to_pandas()  # noqa: E731
    read_ours = lambda: Dataset.get_by_name(ws, "one").to_pandas_dataframe()  # noqa: E731
    read_plain(), read_ours()  # warm the page cache and both code paths
    for i in range(6):  # alternate which goes first: the second of a pair runs warmer
        pair = [(plain, read_plain), (ours, read_ours)]
        for times, fn in (pair if i % 2 == 0 else reversed(pair)):
            times.append(_median(fn, 1))
    mb = size * 1024
    figure("pyarrow.parquet.read_table(files).to_pandas(), median", mb / statistics.median(
        plain), "MB/s")
    figure("dataset.to_pandas_dataframe(), median", mb / statistics.median(ours), "MB/s")
    figure("  = share of the plain read's speed", 100 * statistics.median(plain)
           / statistics.median(ours), "%", ">= 90 %")
    shutil.rmtree(work / "one")


def _small_files(ws, store, work: Path, count: int) -> None:  # type: ignore[no-untyped-def]
    from jupyter_mlws.core import Dataset

    small = work / "small"
    for i in range(count):
        folder = small / f"d{i // 1000:03d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i:06d}.txt").write_bytes(b"x" * 100)
    registered = []

    def register_small() -> None:
        ds = Dataset.File.from_files((store, "small")).register(ws, "small",
                                                               create_new_version=True)
        registered.append(ds.version)

    files = _median(register_small, 3)
    figure(f"register a File dataset of {count:,} files, median", files, "s",
           "<= 10 s")
    shutil.rmtree(small)


def _iterate(ws, store, work: Path, gigabytes: float) -> None:  # type: ignore[no-untyped-def]
    from jupyter_mlws.core import Dataset

    _parquet_folder(work / "big", gigabytes)
    Dataset.Tabular.from_parquet_files((store, "big/*.parquet")).register(ws, "big")
    result = subprocess.run([sys.executable, "-c", PEAK, "big"], capture_output=True,
                            text=True, check=True, env=os.environ)
    peak = json.loads(result.stdout.strip().splitlines()[-1])
    figure(f"iterate {gigabytes:g} GB in batches: rows", peak["rows"], "rows")
    figure("  peak resident memory of that process", peak["peak_kb"] / 1024, "MB",
           "<= 500 MB")
    figure("  of which before the first batch", peak["before_kb"] / 1024, "MB")


if __name__ == "__main__":
    main()
