"""Live transcript capture: a crash-safe JSON Lines journal, written off the loop.

The journal is the crash backup only: the final transcript is rendered from
``session.history`` when the session ends, and the journal is then removed.

Event handlers only build a small ``Entry`` and queue it (a few µs on the loop).
A writer thread appends one JSON line per item and flushes it, so a process killed
mid-call leaves a valid file holding every turn up to the kill. The journal holds
a lock while open, so ``flush`` never uploads a journal that is still being written.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from livekit.agents import AgentSession, ConversationItemAddedEvent, FunctionToolsExecutedEvent

from ..storage import locks
from ..storage.base import one_line
from .model import Entry, SessionInfo

logger = logging.getLogger("{{ cookiecutter.package_name }}.transcript")

_CLOSE = object()
Record = dict[str, Any] | Callable[[], dict[str, Any]]


class JournalWriter:
    """Appends JSON lines to a file from a background thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"journal:{path.name}", daemon=True)
        self.failed: str | None = None

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def append(self, record: Record) -> None:
        """Queue a record (or a function building it, called on the writer thread)."""
        self._queue.put(record)

    def close(self) -> None:
        """Write what is queued and close the file. Blocking: call it off the loop."""
        self._queue.put(_CLOSE)
        self._thread.join()

    def _run(self) -> None:
        try:
            # Lock a hidden file, then rename it into place: a concurrent flush never
            # sees the journal unlocked, so it cannot upload and remove a live one.
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.path.parent)
            with open(fd, "ab", buffering=0) as handle:
                locks.lock(handle.fileno())
                os.replace(tmp, self.path)
                while (record := self._queue.get()) is not _CLOSE:
                    self._write(handle, record)
        except Exception as error:  # keep the session alive; the final save still runs
            self.failed = one_line(error)
            logger.exception("transcript journal %s failed", self.path)

    def _write(self, handle: BinaryIO, record: Record) -> None:
        """Append one record as one line; a record that fails is logged and skipped, and a
        write that fails (a full disk) is cut back, so the file stays whole lines."""
        try:
            if callable(record):
                record = record()
            line = json.dumps(record, ensure_ascii=False) + "\n"
            try:
                data = line.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: ASCII JSON escapes it
                data = (json.dumps(record) + "\n").encode("ascii")
        except Exception as error:
            logger.error("journal %s: record skipped (%s)", self.path.name, one_line(error))
            return
        end = handle.tell()
        try:
            handle.write(data)
        except OSError as error:
            handle.truncate(end)
            if self.failed is None:
                logger.error("journal %s: write failed (%s)", self.path, one_line(error))
            self.failed = one_line(error)


class TranscriptCapture:
    """Collects conversation items as they happen and journals them live."""

    def __init__(
        self,
        info: SessionInfo,
        journal_path: Path,
        redact: Callable[[Entry], Entry] | None = None,
    ) -> None:
        self.info = info
        self.journal = JournalWriter(journal_path)
        self._redact = redact
        self._seen: set[str] = set()

    def attach(self, session: AgentSession) -> None:
        self.journal.start()
        header = self.info.to_dict()
        self.journal.append({"type": "session_start", "session": header})
        session.on("conversation_item_added", self._on_item_added)
        session.on("function_tools_executed", self._on_tools_executed)

    def add(self, item: Any) -> None:
        """Record one livekit chat item (ignores instructions and duplicates)."""
        entry = Entry.from_item(item)
        if entry is None or entry.id in self._seen:
            return
        self._seen.add(entry.id)
        if self._redact is None:
            self.journal.append(entry.to_dict)
        else:  # masking a long tool output takes milliseconds: do it on the writer thread
            redact = self._redact
            self.journal.append(lambda: redact(entry).to_dict())

    def _on_item_added(self, event: ConversationItemAddedEvent) -> None:
        self.add(event.item)

    def _on_tools_executed(self, event: FunctionToolsExecutedEvent) -> None:
        for call, output in event.zipped():
            self.add(call)
            if output is not None:
                self.add(output)

    def finish(self, info: SessionInfo) -> None:
        """Write the footer and close the journal. Blocking: call it off the loop."""
        self.info = info
        self.journal.append({"type": "session_end", "session": info.to_dict()})
        self.journal.close()
