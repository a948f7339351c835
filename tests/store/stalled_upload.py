"""A child process stuck part-way through ``Store.upload_artifact``, to be SIGKILLed.

Used by the reservation tests on local storage and on S3: ``stalled_upload(...)`` yields the
child once it has handed the store its first MiB (the reservation exists and part of the file
is written) and kills it when the block ends.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_mlws.store.settings import StoreSettings
from tests.helpers import wait_until

# A source stream for child scripts: one MiB, then it touches the file ``flag`` and blocks
# until the process is killed (the upload has begun and never ends by itself).
STALLING_STREAM = textwrap.dedent("""
    import threading
    from pathlib import Path

    class Stalling:
        calls = 0

        def __init__(self, flag):
            self.flag = Path(flag)

        def read(self, size=-1):
            self.calls += 1
            if self.calls == 1:
                return b"p" * (1 << 20)
            self.flag.write_text("stalled")
            threading.Event().wait()
""")

CHILD = STALLING_STREAM + textwrap.dedent("""
    import sys
    from jupyter_mlws.store.settings import StoreSettings
    from jupyter_mlws.store.sql import SqlStore

    home, database_url, storage_root, run_id, path, overwrite, flag = sys.argv[1:]
    store = SqlStore(StoreSettings(home=Path(home), database_url=database_url,
                                   storage_root=storage_root))
    store.upload_artifact(run_id, path, Stalling(flag), overwrite=overwrite == "1")
""")


@contextmanager
def stalled_upload(settings: StoreSettings, run_id: str, path: str, folder: Path, *,
                   overwrite: bool = False) -> Iterator[subprocess.Popen]:
    flag = folder / f"stalled-{abs(hash((run_id, path)))}.flag"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(settings.home), settings.database_url,
         settings.storage_root, run_id, path, "1" if overwrite else "0", str(flag)])
    try:
        wait_until(lambda: flag.exists() or child.poll() is not None, timeout=120,
                   what="the child's upload to stall")
        assert child.poll() is None, f"the uploading child exited with {child.returncode}"
        yield child
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
