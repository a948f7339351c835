"""Artifacts over REST: tree, download with content type and ranges, zip, upload with a size
limit, path confinement, and the live log tail."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

BIG = os.urandom(3 * 1024 * 1024 + 17)  # several download chunks


@pytest.fixture
def files(seed, store):
    store.upload_artifact("run0", "outputs/model.bin", io.BytesIO(BIG))
    store.upload_artifact("run0", "outputs/notes.txt", io.BytesIO(b"hello artifacts"))
    store.upload_artifact("run0", "outputs/sub/deep.json", io.BytesIO(b'{"a": 1}'))
    store.upload_artifact("run0", "logs/run.log", io.BytesIO(b"line\n"))
    return seed


async def test_tree_with_sizes(api, files):
    body = await api("GET", "/runs/run0/artifacts")
    paths = sorted(a["path"] for a in body["artifacts"])
    assert paths == ["logs/run.log", "outputs/model.bin", "outputs/notes.txt",
                     "outputs/sub/deep.json"]
    tree = body["tree"]
    assert tree["size"] == len(BIG) + 15 + 8 + 5
    outputs = next(c for c in tree["children"] if c["name"] == "outputs")
    assert outputs["type"] == "directory" and outputs["size"] == len(BIG) + 15 + 8
    sub = next(c for c in outputs["children"] if c["name"] == "sub")
    assert sub["children"][0]["path"] == "outputs/sub/deep.json"
    only = await api("GET", "/runs/run0/artifacts?prefix=outputs/sub/")
    assert [a["path"] for a in only["artifacts"]] == ["outputs/sub/deep.json"]


async def test_download_whole_file_with_type(api, files):
    base = "/runs/run0/artifacts/content"
    response = await api("GET", f"{base}/outputs/notes.txt")
    assert response.body == b"hello artifacts"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response = await api.raw("GET", f"{base}/outputs/sub/deep.json")
    assert response.body == b'{"a": 1}'
    assert response.headers["Content-Type"].startswith("application/json")
    big = await api("GET", f"{base}/outputs/model.bin")
    assert big.body == BIG and int(big.headers["Content-Length"]) == len(BIG)


async def test_range_requests(api, files):
    url = "/runs/run0/artifacts/content/outputs/model.bin"
    part = await api("GET", url, expect=206, headers={"Range": "bytes=10-19"})
    assert part.body == BIG[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(BIG)}"
    tail = await api("GET", url, expect=206, headers={"Range": "bytes=-5"})
    assert tail.body == BIG[-5:]
    rest = await api("GET", url, expect=206, headers={"Range": f"bytes={len(BIG) - 3}-"})
    assert rest.body == BIG[-3:]
    clipped = await api("GET", url, expect=206, headers={"Range": "bytes=0-99999999999"})
    assert clipped.body == BIG
    error = await api("GET", url, expect=416, headers={"Range": f"bytes={len(BIG)}-"})
    assert error["reason"] == "RangeNotSatisfiable"
    raw = await api.raw("GET", url, headers={"Range": "bytes=9-3"})
    assert raw.code == 416 and raw.headers["Content-Range"] == f"bytes */{len(BIG)}"
    # Several ranges are allowed to be ignored: the whole file comes back.
    whole = await api("GET", url, expect=200, headers={"Range": "bytes=0-1,5-6"})
    assert whole.body == BIG


async def test_zip_is_streamed_and_complete(api, files):
    response = await api("GET", "/runs/run0/artifacts/zip")
    assert response.headers["Content-Type"] == "application/zip"
    assert "Content-Length" not in response.headers  # streamed, size not known up front
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["logs/run.log", "outputs/model.bin",
                                              "outputs/notes.txt", "outputs/sub/deep.json"]
        assert archive.read("outputs/model.bin") == BIG
    part = await api("GET", "/runs/run0/artifacts/zip?prefix=outputs/sub")
    with zipfile.ZipFile(io.BytesIO(part.body)) as archive:
        assert archive.namelist() == ["outputs/sub/deep.json"]


async def test_upload_then_download(api, files, store):
    url = "/runs/run1/artifacts/content/outputs/up%20loaded.csv"
    data = b"a,b\n" + b"1,2\n" * 5000
    record = await api("PUT", url, expect=201, body=data)
    assert record["path"] == "outputs/up loaded.csv" and record["size"] == len(data)
    assert (await api("GET", url)).body == data
    error = await api("PUT", url, expect=409, body=b"again")
    assert error["reason"] == "Conflict"
    await api("PUT", url + "?overwrite=true", expect=201, body=b"again")
    with store.open_artifact("run1", "outputs/up loaded.csv") as stream:
        assert stream.read() == b"again"


async def test_oversized_upload_is_413(api, files, store, upload_limit):
    url = "/runs/run1/artifacts/content/outputs/huge.bin"
    error = await api("PUT", url, expect=413, body=b"x" * (upload_limit + 1))
    assert error["reason"] == "PayloadTooLarge"

    async def producer(write):  # chunked: no Content-Length to check up front
        for _ in range(4):
            await write(b"y" * (upload_limit // 2))

    response = await api.raw("PUT", url, body_producer=producer)
    assert response.code == 413
    assert not [a for a in store.list_artifacts("run1") if a.path == "outputs/huge.bin"]
    exact = await api("PUT", url, expect=201, body=b"z" * upload_limit)
    assert exact["size"] == upload_limit


@pytest.mark.parametrize("path", [
    "..%2F..%2Fetc%2Fpasswd", "outputs/..%2F..%2Fx", "%2Fetc%2Fpasswd", "outputs//x",
    "outputs/.%2Fx", "a%5Cb", "outputs/%00x",
])
async def test_paths_cannot_leave_the_run(api, files, path):
    base = "/runs/run0"
    for method, url in (("GET", f"{base}/artifacts/content/{path}"),
                        ("PUT", f"{base}/artifacts/content/{path}"),
                        ("GET", f"{base}/logs/{path}")):
        body = b"evil" if method == "PUT" else None
        error = await api(method, url, expect=400, body=body)
        assert error["reason"] == "InvalidInput"
    if "%00" not in path:  # tornado strips control characters from query arguments
        await api("GET", f"{base}/artifacts?prefix={path}", expect=400)
        await api("GET", f"{base}/artifacts/zip?prefix={path}", expect=400)


async def test_missing_files_are_404(api, files):
    base = "/runs"
    await api("GET", f"{base}/run0/artifacts/content/outputs/none.txt", expect=404)
    await api("GET", f"{base}/run0/logs/none.txt", expect=404)
    await api("GET", f"{base}/nope/artifacts", expect=404)
    await api("PUT", f"{base}/nope/artifacts/content/x.txt", expect=404, body=b"x")
    other = f"workspace_id={files.other_ws}"
    await api("GET", f"/runs/run0/artifacts/content/outputs/notes.txt?{other}", expect=404)
    await api("GET", f"/runs/run0/artifacts/zip?{other}", expect=404)


async def test_log_tail(api, files, store):
    url = "/runs/run0/logs/logs/run.log"
    first = await api("GET", url)
    assert first == {"data": "line\n", "offset": 5, "size": 5}
    euro = "€".encode()
    store.append_log("run0", "logs/run.log", b"more " + euro[:2])  # writer cut mid-character
    second = await api("GET", f"{url}?offset={first['offset']}")
    assert second["data"] == "more " and second["offset"] == 10
    store.append_log("run0", "logs/run.log", euro[2:] + b"\n")
    third = await api("GET", f"{url}?offset={second['offset']}")
    assert third["data"] == "€\n" and third["offset"] == third["size"] == 14
    idle = await api("GET", f"{url}?offset={third['offset']}")
    assert idle["data"] == "" and idle["offset"] == 14
    small = await api("GET", f"{url}?max_bytes=2")
    assert small["data"] == "li" and small["offset"] == 2
    await api("GET", f"{url}?offset=-1", expect=400)


async def test_upload_onto_a_folder_is_refused_and_deletes_nothing(api, files, store):
    base = "/runs/run0/artifacts/content"
    for url in (f"{base}/outputs", f"{base}/outputs?overwrite=true", f"{base}/outputs/sub",
                f"{base}/logs"):
        error = await api("PUT", url, expect=409, body=b"not a folder")
        assert error["reason"] == "Conflict" and "folder" in error["message"], error
    error = await api("PUT", f"{base}/outputs/notes.txt/inner", expect=409, body=b"x")
    assert "'outputs/notes.txt' is a file" in error["message"]
    logs = "/runs/run0/logs"
    error = await api("POST", f"{logs}/outputs", expect=409, body=b"a log line\n")
    assert "folder" in error["message"]
    # Everything is still listed and still readable, byte for byte.
    body = await api("GET", "/runs/run0/artifacts")
    assert sorted(a["path"] for a in body["artifacts"]) == [
        "logs/run.log", "outputs/model.bin", "outputs/notes.txt", "outputs/sub/deep.json"]
    assert (await api("GET", f"{base}/outputs/model.bin")).body == BIG
    assert (await api.raw("GET", f"{base}/outputs/sub/deep.json")).body == b'{"a": 1}'
    assert (await api("GET", f"{base}/logs/run.log")).body == b"line\n"


def _stored(store, path: str):  # type: ignore[no-untyped-def]
    from pathlib import Path

    files = store.db.read(lambda c: store.files_of_run(c, "run0"))
    return Path(files.run_file("run0", path))


async def test_damaged_artifacts_are_an_error_never_served(api, files, store):
    base = "/runs/run0/artifacts/content"
    # Same size, one byte changed: the SHA-256 recorded while uploading tells.
    stored = _stored(store, "outputs/model.bin")
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    # Found only at the end of the file: the body is cut short, never complete.
    with pytest.raises(Exception, match=r"(?i)closed"):
        await api.raw("GET", f"{base}/outputs/model.bin")
    # Cut short: found before a byte is sent.
    with _stored(store, "outputs/notes.txt").open("r+b") as handle:
        handle.truncate(5)
    for headers in ({}, {"Range": "bytes=0-3"}):
        error = await api("GET", f"{base}/outputs/notes.txt", expect=500, headers=headers)
        assert error["reason"] == "ArtifactCorrupt"
        assert "outputs/notes.txt" in error["message"] and "15" in error["message"]
    zipped = await api.raw("GET", "/runs/run0/artifacts/zip"
                                  "?prefix=outputs/notes.txt")
    assert zipped.code == 500 and b"ArtifactCorrupt" in zipped.body
    # The undamaged ones are served as before.
    assert (await api.raw("GET", f"{base}/outputs/sub/deep.json")).body == b'{"a": 1}'
