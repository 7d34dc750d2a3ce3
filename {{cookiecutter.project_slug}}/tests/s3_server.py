"""moto's S3 server, in a thread of the test process (``pip install "moto[s3]" flask flask-cors``).

moto keeps its buckets in this process, so they survive a stop and restart.
"""

from __future__ import annotations

import contextlib
import logging

import boto3

from storage_server import EmulatorServer, Stoppable, tool_missing


class BackendServer(EmulatorServer):
    outage_reason = r"Could not connect to the endpoint URL"
    missing_bucket_reason = r"NoSuchBucket"

    def launch(self) -> Stoppable:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            tool_missing('moto is not installed: pip install "moto[s3]" flask flask-cors')
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()  # returns once the server listens
        return server

    def make_bucket(self, name: str) -> None:
        client = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name)

    def env(self, bucket: str) -> dict[str, str]:
        return {
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.url,
            "S3_FORCE_PATH_STYLE": "true",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }


def commits_upload(event: str, args: tuple) -> bool:
    """True for the request that completes a multipart upload (audit hook event)."""
    if event != "http.client.send":
        return False
    request_line = bytes(args[1]).split(b"\r\n", 1)[0]
    return request_line.startswith(b"POST ") and b"uploadId=" in request_line
