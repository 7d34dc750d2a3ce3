"""Recording by LiveKit Egress: a room composite that the egress service writes to storage.

``started()`` asks for the egress in the background once the session runs (the greeting
never waits for it); ``finish()`` stops every egress this job started, explicitly, when
the session ends (egress's own stop-when-the-room-empties is known to miss), then reads
the final status and file location for the transcript header.

Egress failing in any way (no egress service, bad storage credentials, an API error or
a timeout) never takes the call down: the reason is logged, the session goes on, and the
header records ``status: failed`` with the error. Every API call is bounded in time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from livekit.protocol import egress as proto

from ..settings import Settings
from ..storage.base import one_line
from ..storage.layout import ObjectKey
from ..transcript.model import iso_utc
from . import egress_output
from .notice import RECORDING_NOTICE

if TYPE_CHECKING:  # livekit.agents takes seconds to import: keep the CLI quick
    from livekit.agents import AgentSession, JobContext

logger = logging.getLogger("{{ cookiecutter.package_name }}.recording")

KIND = "{{ cookiecutter.recording }}"
LIST_COMMAND = "python -m {{ cookiecutter.package_name }} record list"
API_TIMEOUT = 5.0
# Stop plus waiting for the final status; part of the shutdown budget (settings.py).
FINISH_BUDGET = 10.0
POLL_INTERVAL = 0.5
ENDED = frozenset(
    {
        proto.EgressStatus.EGRESS_COMPLETE,
        proto.EgressStatus.EGRESS_FAILED,
        proto.EgressStatus.EGRESS_ABORTED,
        proto.EgressStatus.EGRESS_LIMIT_REACHED,
    }
)


def status_name(status: int) -> str:
    """``EGRESS_LIMIT_REACHED`` -> ``limit_reached``."""
    return proto.EgressStatus.Name(status).removeprefix("EGRESS_").lower()


def ns_to_iso(ns: int) -> str | None:
    return iso_utc(ns / 1e9) if ns else None


class EgressRecording:
    def __init__(
        self, ctx: JobContext, session: AgentSession, settings: Settings, key: ObjectKey
    ) -> None:
        self.ctx = ctx
        self.session = session
        self.settings = settings
        self.key = key
        self.room = ctx.room.name or ctx.job.room.name
        self.filepath: str | None = None
        self.egress_id: str | None = None
        self.last_info: proto.EgressInfo | None = None
        self.error: str | None = None
        # a start that timed out, lost its connection or got a 5xx may still have started
        # an egress (and livekit-api replays failed requests on LiveKit Cloud hosts)
        self._start_unconfirmed = False
        self._starting: asyncio.Task[None] | None = None

    def start_options(self) -> dict[str, Any]:
        """Egress records from the server side: ``session.start()`` needs nothing."""
        return {}

    def started(self) -> None:
        """Say the recording notice first, and ask for the egress in the background."""
        if RECORDING_NOTICE:
            self.session.say(RECORDING_NOTICE, allow_interruptions=False)
        self._starting = asyncio.create_task(self.start(), name="egress-start")

    async def _call(self, request: Any, deadline: float | None = None) -> Any:
        """Await one API call for at most API_TIMEOUT, and not past ``deadline``."""
        timeout = API_TIMEOUT if deadline is None else min(API_TIMEOUT, deadline - time.monotonic())
        timeout = max(timeout, 0.1)
        try:
            return await asyncio.wait_for(request, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no answer from LiveKit within {timeout:g}s") from None

    async def start(self) -> None:
        """Ask egress to record the room. Call once the room is connected; never raises."""
        try:
            request = await asyncio.to_thread(self._request)
        except Exception as error:
            self._start_failed(f"egress request not sent: {one_line(error)}")
            return
        try:
            info = await self._call(self.ctx.api.egress.start_room_composite_egress(request))
        except Exception as error:
            # no answer, or a server error, does not mean no egress: finish() looks for one
            self._start_unconfirmed = (
                isinstance(error, (TimeoutError, aiohttp.ClientError))
                or getattr(error, "status", 0) >= 500
            )
            self._start_failed(f"egress start failed: {one_line(error)}")
            return
        self.egress_id, self.last_info = info.egress_id, info
        if info.status in ENDED:
            self.error = info.error or f"egress ended at start ({status_name(info.status)})"
            logger.error("egress %s did not start: %s", info.egress_id, self.error)
        else:
            logger.info("egress %s is %s", info.egress_id, status_name(info.status))

    def _request(self) -> proto.RoomCompositeEgressRequest:
        """The start request. Blocking: may read settings and a credentials file."""
        settings = self.settings
        self.filepath = self.key("recordings", egress_output.FILENAME)
        output = egress_output.file_output(settings.storage, self.filepath)
        where = egress_output.destination(settings.storage, self.filepath)
        logger.info("starting LiveKit Egress (%s) for room %r to %s", KIND, self.room, where)
        return egress_output.room_composite_request(self.room, output)

    def _start_failed(self, error: str) -> None:
        self.error = error
        logger.error("%s; the session continues without a recording", error)

    async def finish(self) -> tuple[dict[str, Any], None]:
        """Stop the egress and read its final state; returns the header entry and no file
        (egress uploads the file itself). Call after the session closed; never raises."""
        deadline = time.monotonic() + FINISH_BUDGET
        if self._starting is not None:  # bounded by API_TIMEOUT
            await asyncio.wait([self._starting])
        await self._stop_duplicates(deadline)
        if self.egress_id is None:
            self.error = self.error or "egress was never started"
            return self.header(), None
        stop_error = await self._stop(deadline)
        await self._wait_until_ended(deadline)
        info = self.last_info
        if info is not None and info.status in ENDED:
            if info.status != proto.EgressStatus.EGRESS_COMPLETE:
                self.error = info.error or f"egress ended as {status_name(info.status)}"
        elif stop_error:
            self.error = stop_error
        self._log_outcome()
        return self.header(), None

    async def _stop_duplicates(self, deadline: float) -> None:
        """Find every egress of this session (same room and file path): one a failed start
        did create, and any a replayed start created besides ours. Stop all but ours."""
        if self.egress_id is None and not self._start_unconfirmed:
            return  # no start reached LiveKit, or it was refused outright
        listing = proto.ListEgressRequest(room_name=self.room, active=True)
        try:
            found = await self._call(self.ctx.api.egress.list_egress(listing), deadline)
        except Exception as error:
            logger.warning("could not list this room's egress: %s", one_line(error))
            return
        for info in found.items:
            paths = {output.filepath for output in info.room_composite.file_outputs}
            if self.filepath not in paths | {result.filename for result in info.file_results}:
                continue
            if self.egress_id is None:
                self.egress_id, self.last_info = info.egress_id, info
                logger.warning("the failed start did create egress %s; stopping it", info.egress_id)
            elif info.egress_id != self.egress_id:
                logger.warning(
                    "stopping egress %s, a duplicate start of this session", info.egress_id
                )
                stop = proto.StopEgressRequest(egress_id=info.egress_id)
                try:
                    await self._call(self.ctx.api.egress.stop_egress(stop), deadline)
                except Exception as error:
                    logger.error("stop of egress %s failed: %s", info.egress_id, one_line(error))

    async def _stop(self, deadline: float) -> str | None:
        stop = proto.StopEgressRequest(egress_id=self.egress_id)
        try:
            info = await self._call(self.ctx.api.egress.stop_egress(stop), deadline)
        except Exception as error:
            # also raised when the egress already ended; the status read next tells which
            logger.warning("stop of egress %s failed: %s", self.egress_id, one_line(error))
            return f"egress stop failed: {one_line(error)}"
        self.last_info = info
        return None

    async def _wait_until_ended(self, deadline: float) -> None:
        """Read the status until the egress has ended or the budget is spent."""
        listing = proto.ListEgressRequest(egress_id=self.egress_id)
        while True:
            try:
                found = await self._call(self.ctx.api.egress.list_egress(listing), deadline)
            except Exception as error:
                logger.warning("status of egress %s unknown: %s", self.egress_id, one_line(error))
                return
            if found.items:
                self.last_info = found.items[0]
            ended = self.last_info is not None and self.last_info.status in ENDED
            if ended or deadline - time.monotonic() < POLL_INTERVAL:
                return
            await asyncio.sleep(POLL_INTERVAL)

    def _log_outcome(self) -> None:
        header = self.header()
        if header["status"] == "complete":
            logger.info("egress %s complete: %s", self.egress_id, header["location"])
        elif self.error:
            logger.error("egress %s %s: %s", self.egress_id, header["status"], self.error)
        else:
            logger.warning(
                "egress %s still %s at session end; check it with `%s --room %r`",
                self.egress_id,
                header["status"],
                LIST_COMMAND,
                self.room,
            )

    def header(self) -> dict[str, Any]:
        """The transcript header's ``recording`` entry. No secrets: only egress's status."""
        info = self.last_info
        status = status_name(info.status) if info is not None else "failed"
        result = info.file_results[0] if info is not None and info.file_results else None
        started_ns = (result.started_at if result else 0) or (info.started_at if info else 0)
        ended_ns = (result.ended_at if result else 0) or (info.ended_at if info else 0)
        return {
            "kind": KIND,
            "format": egress_output.FORMAT,
            "channels": egress_output.CHANNELS,
            "egress_id": self.egress_id,
            "status": status,
            "filepath": self.filepath,
            "location": (result.location or result.filename or None) if result else None,
            # captions align to this; a failed egress has no recording to align to
            "started_at": None if status == "failed" else ns_to_iso(started_ns),
            "ended_at": ns_to_iso(ended_ns),
            "error": self.error,
        }
