"""PII redaction end to end: nothing unmasked is written to disk or storage, ever.

A scripted caller, in a SIP room named after their phone number, says an email address
and a card number; the object keys, the live journal (mid-call), the final transcript
while it waits in the spool (storage is down), and the object ``flush`` uploads later
hold only the masked forms.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from livekit.agents.testing import fake_job_context

import fakes
import scripted
import spool_locks
import storage_server
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.spool import Spool

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"
USER_TURNS = [f"My email is {EMAIL} and my card is {CARD}", "Yes, that is right"]
AGENT_REPLIES = [
    "Hello, how can I help",
    f"Thanks, I have {EMAIL} and the card ending 1111",
    "Your booking is confirmed",
]
# A SIP call's room: LiveKit's dispatch rules join the caller's number with "_".
SIP_ROOM = "call-_+14155550123_AbCdEf"
RAW = [EMAIL, CARD, CARD.replace(" ", ""), "jane.doe", "4155550123"]


def files_under(root: Path) -> dict[Path, str]:
    return {
        p: p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*") if p.is_file()
    }


async def test_no_unmasked_pii_reaches_the_spool_or_storage(
    storage_service, settings, storage_env, tmp_path
):
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    session = conversation.session
    spool_dir = settings.spool_dir
    storage_service.stop()  # the final transcript must wait in the spool
    try:
        with fake_job_context(job_id="AJ_pii") as ctx:
            ctx.job.room.name = SIP_ROOM
            archive = await scripted.start_session(ctx, session, settings)
            await conversation.run()
            # mid-call: the live journal on disk
            journal = await asyncio.to_thread(archive.capture.journal.path.read_text, "utf-8")
            await session.aclose()
            results = await archive.close()
        spooled = await asyncio.to_thread(files_under, spool_dir)
        for result in results:
            assert result.spooled_at is not None, "storage was down: the file waits"
            await asyncio.to_thread(spool_locks.wait_until_unlocked, result.spooled_at)
    finally:
        storage_service.restart()

    flushed = await asyncio.to_thread(
        storage_server.run_cli,
        "flush",
        env=storage_server.cli_env(storage_env, spool_dir),
        cwd=tmp_path,
    )
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    store = open_store(settings.storage)
    stored = (await asyncio.to_thread(store.read_bytes, archive.transcript_key)).decode("utf-8")
    assert Spool(spool_dir).pending() == []

    assert archive.transcript_key in {r.key for r in results}
    keys = [archive.transcript_key, *(str(path) for path in spooled)]
    assert [key for key in keys if "4155550123" in key] == [], "the room's number is in a key"
    assert archive.info.room == "call-_[PHONE]_AbCdEf"
    assert len(spooled) == 1, "only the final transcript (the journal is gone)"
    for where, text in [("journal", journal), ("stored transcript", stored)] + [
        (str(path), text) for path, text in spooled.items()
    ]:
        unescaped = text.replace("\\[", "[").replace("\\]", "]")  # markdown escapes brackets
        assert "[EMAIL]" in unescaped and "[CARD]" in unescaped, where
        leaked = [value for value in RAW if value in text]
        assert leaked == [], f"{where} holds {leaked}"
    # what was said is otherwise intact
    assert "Your booking is confirmed" in stored
