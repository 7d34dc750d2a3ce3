"""Recordings are served with range requests, from whichever backend holds them."""

from __future__ import annotations

import review_samples as samples
from {{ cookiecutter.package_name }}.storage import open_store


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
