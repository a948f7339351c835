"""A run's artifacts as one zip, built by a worker thread and streamed out as it is written:
neither the archive nor any file in it is held whole in memory."""

from __future__ import annotations

import asyncio
import shutil
import time
import zipfile
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from ..store.base import ArtifactRecord, Store, StoreError
from .base import MlwsHandler, store_error_to_http
from .files import CHUNK_SIZE, list_run_artifacts
from .streams import ThreadWriter, run_in_thread

# Already compressed: deflating them again costs CPU and gains nothing.
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip", ".gz", ".bz2", ".xz",
                    ".zst", ".7z", ".pkl.gz", ".npz", ".parquet", ".mp4", ".whl")


def write_zip(store: Store, run_id: str, records: list[ArtifactRecord],
              sink: ThreadWriter) -> None:
    """Runs on the worker thread; ``sink`` hands bytes to the event loop."""
    error: BaseException | None = None
    try:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=1) as archive:
            for record in records:
                stored = record.path.lower().endswith(_STORED_SUFFIXES)
                info = zipfile.ZipInfo(
                    record.path, time.localtime(record.created_time or time.time())[:6])
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                info.file_size = record.size  # lets zipfile pick zip64 up front for big files
                with store.open_artifact(run_id, record.path) as source, \
                        archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, CHUNK_SIZE)
    except BaseException as exc:
        error = exc
    sink.close_writer(error)


class ArtifactZipHandler(MlwsHandler):
    @web.authenticated
    @authorized
    async def get(self, workspace_id: str, run_id: str) -> None:
        records = await list_run_artifacts(self, workspace_id, run_id)
        sink = ThreadWriter(asyncio.get_running_loop())
        done = run_in_thread(lambda: write_zip(self.store, run_id, records, sink))
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="{run_id}.zip"')
        chunks: Any = sink.chunks()
        try:
            async for chunk in chunks:
                self.write(chunk)
                await self.flush()
        except StreamClosedError:
            await sink.cancel()
            await done
            return
        except Exception as exc:
            # Headers and part of the body may be out already: all we can do is cut the
            # response short so the client sees a truncated (invalid) zip, not a valid one.
            self.log.warning("Building the zip of run %s failed: %s", run_id, exc)
            await done
            if self._headers_written:
                self.request.connection.close()  # type: ignore[union-attr]
                return
            if isinstance(exc, StoreError):
                raise store_error_to_http(exc) from exc
            raise
        await done
        self.finish()
