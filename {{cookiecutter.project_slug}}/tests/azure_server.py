"""Azurite's blob service, a Node.js program (``npm install azurite@3.35.0``).

Found through AZURITE_BIN, then ``azurite-blob`` on PATH, then ``node_modules/.bin`` of
this project. It runs in memory: after a restart the containers are recreated empty.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

from storage_server import PROJECT_DIR, EmulatorServer, tool_missing

# Azurite's well-known development account (public, documented by Microsoft).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def find_azurite() -> str | None:
    local = PROJECT_DIR / "node_modules" / ".bin" / "azurite-blob"
    for candidate in (os.environ.get("AZURITE_BIN"), shutil.which("azurite-blob"), str(local)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class ServerProcess:
    """A server run as a child process, its output appended to ``log``."""

    def __init__(self, command: list[str], port: int, log: Path, timeout: float = 20) -> None:
        with open(log, "ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        self._wait_for_port(port, log, timeout)

    def _wait_for_port(self, port: int, log: Path, timeout: float) -> None:
        """Wait until something listens on ``127.0.0.1:port``; fail if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}: {log.read_text()[-2000:]}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return
            time.sleep(0.05)
        self.process.kill()
        raise RuntimeError(f"server did not listen on port {port} within {timeout:g}s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class BackendServer(EmulatorServer):
    outage_reason = r"Connection refused"
    missing_bucket_reason = r"ContainerNotFound"
    url_path = f"/{ACCOUNT}"

    def launch(self) -> ServerProcess:
        binary = find_azurite()
        if binary is None:
            tool_missing(
                "Azurite is not installed: npm install azurite@3.35.0 "
                "(or set AZURITE_BIN to its azurite-blob)"
            )
        command = [
            binary,
            "--blobHost", "127.0.0.1",
            "--blobPort", str(self.port),
            "--inMemoryPersistence",
            "--silent",
            "--skipApiVersionCheck",  # the SDK may be newer than Azurite
            "--disableTelemetry",
        ]  # fmt: skip
        return ServerProcess(command, self.port, self.workdir / "azurite.log")

    def make_bucket(self, name: str) -> None:
        service = BlobServiceClient(
            self.url, credential={"account_name": ACCOUNT, "account_key": ACCOUNT_KEY}
        )
        with contextlib.suppress(ResourceExistsError):
            service.create_container(name)

    def env(self, bucket: str) -> dict[str, str]:
        return {
            "AZURE_STORAGE_CONTAINER": bucket,
            "AZURE_STORAGE_ACCOUNT_NAME": ACCOUNT,
            "AZURE_STORAGE_ACCOUNT_KEY": ACCOUNT_KEY,
            "AZURE_STORAGE_ENDPOINT_URL": self.url,
        }


def commits_upload(event: str, args: tuple) -> bool:
    """True for the request that commits the uploaded blocks as the blob."""
    if event != "http.client.send":
        return False
    request_line = bytes(args[1]).split(b"\r\n", 1)[0]
    return request_line.startswith(b"PUT ") and b"comp=blocklist" in request_line
