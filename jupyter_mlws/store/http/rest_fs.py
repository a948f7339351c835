"""An fsspec file system over the server's datastore routes: how the HTTP store reads and
writes datastore files (the datastore's credentials stay on the server). Paths are relative
to the datastore's root; reads are ranged GETs, writes one streamed PUT per file."""

from __future__ import annotations

import tempfile
from typing import Any

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from ..base import NotFoundError
from .transport import Transport, path_part

BLOCK = 4 * 1024 * 1024


def _info(entry: dict[str, Any]) -> dict[str, Any]:
    return {"name": entry["path"], "size": entry.get("size", 0), "type": entry["type"],
            "mtime": entry.get("mtime"), "etag": entry.get("etag")}


class DatastoreRestFileSystem(AbstractFileSystem):
    protocol = "mlwsdatastore"
    cachable = False
    root_marker = ""

    def __init__(self, http: Transport, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.http = http
        self.base = base  # /workspaces/<id>/datastores/<name>

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        text = str(path)
        if text.startswith(cls.protocol + "://"):
            text = text[len(cls.protocol) + 3:]
        return text.strip("/")

    def _list(self, **params: Any) -> list[dict[str, Any]]:
        try:
            body = self.http.json("GET", f"{self.base}/files", params=params)
        except NotFoundError as exc:
            raise FileNotFoundError(str(exc)) from None
        return [_info(e) for e in body["files"]]

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        entries = self._list(path=self._strip_protocol(path), recursive="false")
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return _info(self.http.json("GET", f"{self.base}/files/info",
                                        params={"path": self._strip_protocol(path)}))
        except NotFoundError as exc:
            raise FileNotFoundError(str(exc)) from None

    def find(self, path: str, maxdepth: int | None = None, withdirs: bool = False,
             detail: bool = False, **kwargs: Any) -> Any:
        try:
            entries = self._list(path=self._strip_protocol(path), recursive="true")
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
        headers = {}
        if start is not None or end is not None:
            first = start or 0
            headers["Range"] = f"bytes={first}-{'' if end is None else end - 1}"
        url = f"{self.base}/files/content/{path_part(self._strip_protocol(path))}"
        try:
            return bytes(self.http.send("GET", url, headers=headers).content)
        except NotFoundError as exc:
            raise FileNotFoundError(str(exc)) from None

    def put_file(self, lpath: str, rpath: str, callback: Any = None, **kwargs: Any) -> None:
        self.http.upload(f"{self.base}/files/content/{path_part(self._strip_protocol(rpath))}",
                         lpath, params={"overwrite": "true"})

    def rm_file(self, path: str) -> None:
        try:
            self.http.json("DELETE", f"{self.base}/files/content/"
                                     f"{path_part(self._strip_protocol(path))}")
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

    def _fetch_range(self, start: int, end: int) -> bytes:
        return self.fs.cat_file(self.path, start, end)

    def _initiate_upload(self) -> None:
        self._spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115

    def _upload_chunk(self, final: bool = False) -> bool:
        self.buffer.seek(0)
        self._spool.write(self.buffer.read())
        if final:
            self._spool.seek(0)
            fs: DatastoreRestFileSystem = self.fs
            fs.http.upload(f"{fs.base}/files/content/{path_part(self.path)}", self._spool,
                           params={"overwrite": "true"})
            self._spool.close()
        return True

    def discard(self) -> None:
        spool = getattr(self, "_spool", None)
        if spool is not None:
            spool.close()
        self.closed = True
