"""An fsspec file system over the HTTP store's datastore file methods: how the SDK reads and
writes datastore files through a server (the datastore's credentials stay there). Paths are
relative to the datastore's root; reads are ranged GETs, writes one streamed PUT per file."""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Any

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from ..base import DatastoreFileRecord, NotFoundError

if TYPE_CHECKING:
    from .store import HttpStore

BLOCK = 4 * 1024 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024


def _info(entry: DatastoreFileRecord) -> dict[str, Any]:
    return {"name": entry.path, "size": entry.size, "type": entry.type, "mtime": entry.mtime,
            "etag": entry.etag}


class DatastoreRestFileSystem(AbstractFileSystem):
    protocol = "mlwsdatastore"
    cachable = False
    root_marker = ""

    def __init__(self, store: HttpStore, workspace_id: str, datastore_name: str,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.key = (workspace_id, datastore_name)

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        text = str(path)
        if text.startswith(cls.protocol + "://"):
            text = text[len(cls.protocol) + 3:]
        return text.strip("/")

    def _list(self, path: str = "", *, recursive: bool = False,
              glob: str | None = None) -> list[dict[str, Any]]:
        try:
            entries = self.store.list_datastore_files(*self.key, path, recursive=recursive,
                                                      glob=glob)
        except NotFoundError as exc:
            raise FileNotFoundError(str(exc)) from None
        return [_info(e) for e in entries]

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        entries = self._list(self._strip_protocol(path))
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return _info(self.store.get_datastore_file_info(*self.key,
                                                            self._strip_protocol(path)))
        except NotFoundError as exc:
            raise FileNotFoundError(str(exc)) from None

    def find(self, path: str, maxdepth: int | None = None, withdirs: bool = False,
             detail: bool = False, **kwargs: Any) -> Any:
        try:
            entries = self._list(self._strip_protocol(path), recursive=True)
        except FileNotFoundError:
            entries = []
        found = {e["name"]: e for e in entries}
        return found if detail else sorted(found)

    def glob(self, path: str, maxdepth: int | None = None, **kwargs: Any) -> Any:
        entries = self._list(glob=self._strip_protocol(path))
        found = {e["name"]: e for e in entries}
        return found if kwargs.get("detail") else sorted(found)

    def cat_file(self, path: str, start: int | None = None, end: int | None = None,
                 **kwargs: Any) -> bytes:
        rel = self._strip_protocol(path)
        try:
            if start is None and end is None:
                with self.store.open_datastore_file(*self.key, rel) as stream:
                    return bytes(stream.read())
            return self.store.read_datastore_range(*self.key, rel, start or 0, end)
        except NotFoundError as exc:
            raise FileNotFoundError(str(exc)) from None

    def put_file(self, lpath: str, rpath: str, callback: Any = None, **kwargs: Any) -> None:
        with open(lpath, "rb") as source:
            self.store.upload_datastore_file(*self.key, self._strip_protocol(rpath), source,
                                             overwrite=True)

    def rm_file(self, path: str) -> None:
        try:
            self.store.delete_datastore_file(*self.key, self._strip_protocol(path))
        except NotFoundError as exc:
            raise FileNotFoundError(str(exc)) from None

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Folders exist by the files in them (as in object stores)."""

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Folders exist by the files in them (as in object stores)."""

    def _open(self, path: str, mode: str = "rb", block_size: int | None = None,
              autocommit: bool = True, cache_options: Any = None, **kwargs: Any) -> Any:
        return RestFile(self, self._strip_protocol(path), mode, block_size or BLOCK,
                        autocommit, cache_options=cache_options, **kwargs)


class RestFile(AbstractBufferedFile):
    """Reads fetch ranges; writes spool to a temporary file sent in one PUT at close."""

    fs: DatastoreRestFileSystem

    def _fetch_range(self, start: int, end: int) -> bytes:
        return self.fs.cat_file(self.path, start, end)

    def _initiate_upload(self) -> None:
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115

    def _upload_chunk(self, final: bool = False) -> bool:
        self.buffer.seek(0)
        self._spool.write(self.buffer.read())
        if final:
            self._spool.seek(0)
            try:
                self.fs.store.upload_datastore_file(*self.fs.key, self.path, self._spool,
                                                    overwrite=True)
            finally:
                self._spool.close()
        return True

    def discard(self) -> None:
        spool = getattr(self, "_spool", None)
        if spool is not None:
            spool.close()
        self.closed = True


__all__ = ["DatastoreRestFileSystem", "RestFile"]
