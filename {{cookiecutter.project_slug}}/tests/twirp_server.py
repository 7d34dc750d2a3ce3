"""A local LiveKit Egress API for tests: Twirp over HTTP with protobuf bodies.

The real ``livekit.api`` client talks to it unchanged: point ``LIVEKIT_URL`` at
``server.url``. Like LiveKit it answers ``POST /twirp/livekit.Egress/<Method>``, checks
the bearer JWT (HS256 signed with the API secret, issued by the API key, with the
``video.roomRecord`` grant) and answers errors as Twirp JSON ``{code, msg}``.

It keeps egress state the way the service reports it: a started egress is active; a
stopped one is ending until the next status read, which finds it ended with a file
result. Every decoded request is recorded, and a test can script a method to fail with
a Twirp error, to hang (for timeouts), or an egress to end as FAILED.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from livekit.protocol import egress as proto

API_KEY = "test-key"
API_SECRET = "test-secret-that-is-long-enough-for-hs256"

REQUEST_TYPES = {
    "StartRoomCompositeEgress": proto.RoomCompositeEgressRequest,
    "StopEgress": proto.StopEgressRequest,
    "ListEgress": proto.ListEgressRequest,
}


@dataclass
class Failure:
    code: str
    msg: str
    http_status: int


@dataclass
class TwirpEgressServer:
    api_key: str = API_KEY
    api_secret: str = API_SECRET
    # (method, decoded request) for every authenticated call, in order
    requests: list[tuple[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    hanging: set[str] = field(default_factory=set)
    # what a stopped egress ends as, and the error it reports
    end_status: int = proto.EgressStatus.EGRESS_COMPLETE
    end_error: str = ""
    egresses: dict[str, proto.EgressInfo] = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # scripting
    def fail(
        self,
        method: str,
        code: str = "unavailable",
        msg: str = "egress not connected",
        http_status: int = 503,
    ) -> None:
        self.failures[method] = Failure(code, msg, http_status)

    def hang(self, method: str) -> None:
        """Carry out ``method`` but never answer it (until the server stops)."""
        self.hanging.add(method)

    def calls(self, method: str) -> list[Any]:
        return [request for name, request in self.requests if name == method]

    # lifecycle: the server runs its own event loop in a thread, so sync tests,
    # async tests and subprocesses can all use it
    def start(self) -> TwirpEgressServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10) or not self.url:
            raise RuntimeError("twirp test server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> TwirpEgressServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.run(self._main(ready))

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/twirp/livekit.Egress/{method}", self._handle)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        ready.set()
        await self._release.wait()
        await runner.cleanup()

    # protocol
    def _authorize(self, request: web.Request) -> str | None:
        """None if the bearer token is valid for egress, else the reason."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return "missing bearer token"
        try:
            claims = jwt.decode(
                header.removeprefix("Bearer "),
                self.api_secret,
                algorithms=["HS256"],
                issuer=self.api_key,
                options={"require": ["exp", "iss"]},
            )
        except jwt.PyJWTError as error:
            return f"invalid token: {error}"
        if (claims.get("video") or {}).get("roomRecord") is not True:
            return "token lacks the roomRecord grant"
        return None

    @staticmethod
    def _error(code: str, msg: str, status: int) -> web.Response:
        return web.json_response({"code": code, "msg": msg}, status=status)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        reason = self._authorize(request)
        if reason:
            self.rejected.append(reason)
            return self._error("unauthenticated", reason, 401)
        if method not in REQUEST_TYPES:
            return self._error("bad_route", f"no handler for {method}", 404)
        if request.content_type != "application/protobuf":
            return self._error("malformed", "expected application/protobuf", 400)
        message = REQUEST_TYPES[method].FromString(await request.read())
        self.requests.append((method, message))
        failure = self.failures.get(method)
        if failure:
            return self._error(failure.code, failure.msg, failure.http_status)
        reply = getattr(self, f"_{method}")(message)
        if method in self.hanging:
            # the work is done but the answer never comes, like a reply lost in transit
            assert self._release is not None
            await self._release.wait()
            return self._error("unavailable", "server stopped", 503)
        if isinstance(reply, web.Response):
            return reply
        return web.Response(body=reply.SerializeToString(), content_type="application/protobuf")

    def _StartRoomCompositeEgress(
        self, start: proto.RoomCompositeEgressRequest
    ) -> proto.EgressInfo:
        info = proto.EgressInfo(
            egress_id=f"EG_test{next(self._ids)}",
            room_id="RM_test",
            room_name=start.room_name,
            status=proto.EgressStatus.EGRESS_ACTIVE,
            started_at=time.time_ns(),
            updated_at=time.time_ns(),
            room_composite=start,
        )
        self.egresses[info.egress_id] = info
        return info

    def _StopEgress(self, stop: proto.StopEgressRequest) -> proto.EgressInfo | web.Response:
        info = self.egresses.get(stop.egress_id)
        if info is None:
            return self._error("not_found", "egress does not exist", 404)
        if info.status in (proto.EgressStatus.EGRESS_COMPLETE, proto.EgressStatus.EGRESS_FAILED):
            return self._error("failed_precondition", "egress already ended", 412)
        info.status = proto.EgressStatus.EGRESS_ENDING
        info.updated_at = time.time_ns()
        return info

    def _ListEgress(self, listing: proto.ListEgressRequest) -> proto.ListEgressResponse:
        found = []
        for info in self.egresses.values():
            if listing.egress_id and info.egress_id != listing.egress_id:
                continue
            if listing.room_name and info.room_name != listing.room_name:
                continue
            if info.status == proto.EgressStatus.EGRESS_ENDING:
                self._end(info)
            found.append(info)
        return proto.ListEgressResponse(items=found)

    def _end(self, info: proto.EgressInfo) -> None:
        """Finish an ending egress the way egress reports it: status, times, file result."""
        info.status = self.end_status
        info.ended_at = time.time_ns()
        info.error = self.end_error
        if self.end_status != proto.EgressStatus.EGRESS_COMPLETE:
            return
        output = info.room_composite.file_outputs[0]
        info.file_results.append(
            proto.FileInfo(
                filename=output.filepath,
                started_at=info.started_at,
                ended_at=info.ended_at,
                duration=info.ended_at - info.started_at,
                size=12345,
                location=location(output),
            )
        )


def location(output: proto.EncodedFileOutput) -> str:
    """Where egress reports an uploaded file, per upload block."""
    path = output.filepath
    if output.HasField("s3"):
        base = output.s3.endpoint or f"https://{output.s3.bucket}.s3.amazonaws.com"
        return f"{base}/{output.s3.bucket}/{path}" if output.s3.endpoint else f"{base}/{path}"
    if output.HasField("gcp"):
        return f"https://storage.googleapis.com/{output.gcp.bucket}/{path}"
    if output.HasField("azure"):
        account, container = output.azure.account_name, output.azure.container_name
        return f"https://{account}.blob.core.windows.net/{container}/{path}"
    return path
