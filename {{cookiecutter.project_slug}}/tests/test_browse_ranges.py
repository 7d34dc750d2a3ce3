"""Recordings are served with range requests, from whichever backend holds them."""

from __future__ import annotations

import logging
import random
import socket
import struct
import time

import review_samples as samples
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.base import RANGE_CHUNK

MiB = 1024 * 1024


def test_range_requests_return_the_right_bytes(settings, tmp_path) -> None:
    transcript = samples.conversation(job_id="AJ_ranges")
    path = samples.store_session(settings, transcript, tmp_path)
    _, media_key = samples.keys(settings, transcript)
    whole = open_store(settings.storage).read_bytes(media_key)
    media = f"/media{path.removeprefix('/session')}/{samples.RECORDING_NAME}"
    with samples.serving(settings) as server:
        status, headers, body = samples.raw_get(server.port, media, {"Range": "bytes=100-4195"})
        assert status == 206
        assert headers["Content-Range"] == f"bytes 100-4195/{len(whole)}"
        assert body == whole[100:4196]
        status, headers, body = samples.raw_get(server.port, media, {"Range": "bytes=-1000"})
        assert (status, body) == (206, whole[-1000:])
        status, headers, body = samples.raw_get(
            server.port, media, {"Range": f"bytes={len(whole) - 10}-"}
        )
        assert (status, body) == (206, whole[-10:])
        status, headers, _ = samples.raw_get(server.port, media, {"Range": f"bytes={len(whole)}-"})
        assert (status, headers["Content-Range"]) == (416, f"bytes */{len(whole)}")
        status, headers, body = samples.raw_get(server.port, media)
        assert (status, headers["Accept-Ranges"], body) == (200, "bytes", whole)
        # ranges we do not serve as asked (reversed, several, not bytes): the whole file
        for odd in ("bytes=500-100", "bytes=0-9,20-29", "items=0-9", "bytes=abc"):
            status, _, body = samples.raw_get(server.port, media, {"Range": odd})
            assert (status, len(body)) == (200, len(whole)), odd
        status, headers, body = samples.raw_get(
            server.port, media, {"Range": "bytes=0-99"}, method="HEAD"
        )
        assert (status, headers["Content-Length"], body) == (206, "100", b"")


def test_long_recordings_stream_in_chunks_and_dropped_requests_are_quiet(
    settings, tmp_path, caplog
) -> None:
    """A recording of several backend chunks: ranges across chunk boundaries come back
    exact, and a player dropping a request mid-stream leaves no error behind."""
    transcript = samples.conversation(job_id="AJ_long")
    path = samples.store_session(settings, transcript, tmp_path)
    _, media_key = samples.keys(settings, transcript)
    whole = random.Random(18).randbytes(6 * MiB + 12345)  # the bytes need not be audio
    (tmp_path / "long.bin").write_bytes(whole)
    store = open_store(settings.storage)
    store.delete(media_key)  # uploads never replace an object: remove the sample's first
    store.upload_file(tmp_path / "long.bin", media_key)
    media = f"/media{path.removeprefix('/session')}/{samples.RECORDING_NAME}"
    with samples.serving(settings) as server:
        for first, last in ((RANGE_CHUNK - 7, 3 * MiB + 5), (MiB - 1, MiB), (0, len(whole) - 1)):
            asked = {"Range": f"bytes={first}-{last}"}
            status, _, body = samples.raw_get(server.port, media, asked)
            assert (status, body == whole[first : last + 1]) == (206, True), (first, last)
        for _ in range(3):  # read a little, then hang up hard (as a seeking player does)
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(f"GET {media} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                sock.recv(65536)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.5)
        status, _, body = samples.raw_get(server.port, media, {"Range": "bytes=-10"})
        assert (status, body) == (206, whole[-10:])
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
