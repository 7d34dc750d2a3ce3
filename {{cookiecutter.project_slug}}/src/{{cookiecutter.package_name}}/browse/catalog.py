"""The sessions the storage layout holds, found one day prefix at a time.

Keys follow ``storage/layout.py``:
``<prefix>/<kind>/<YYYY>/<MM>/<DD>/<room>/<job-id>.<session>/<file>``.
A page of the session list reads day prefixes from the newest day back, so its cost
depends on the sessions of the days it shows, not on how many the store holds. The
spool mirrors the same layout; files still in it (an upload failed, or the session is
live) are listed too, and marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..storage import ObjectStore
from ..storage.layout import safe_prefix
from ..storage.spool import Spool

KINDS = ("transcripts", "recordings")
SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# How many days one page looks back for sessions before it stops and offers "older".
MAX_DAYS_PER_PAGE = 31
PAGE_SIZE = 50


def valid_segment(value: str) -> bool:
    """A segment the layout can produce: ``[A-Za-z0-9._-]``, not starting with a dot."""
    return bool(SEGMENT.fullmatch(value)) and ".." not in value


@dataclass(frozen=True, order=True)
class SessionRef:
    """One session's place in the layout: its day and its room and job segments."""

    day: date
    room: str
    job: str

    def __post_init__(self) -> None:
        if not (valid_segment(self.room) and valid_segment(self.job)):
            raise ValueError("not a session of the storage layout")

    @property
    def path(self) -> str:
        return f"{self.day:%Y/%m/%d}/{self.room}/{self.job}"

    @classmethod
    def parse(cls, year: str, month: str, day: str, room: str, job: str) -> SessionRef:
        """From URL or key segments; ValueError for anything the layout cannot produce."""
        if not all(re.fullmatch(r"\d{2}", part) for part in (month, day)):
            raise ValueError("not a date")
        if not re.fullmatch(r"\d{4}", year):
            raise ValueError("not a date")
        return cls(date(int(year), int(month), int(day)), room, job)


@dataclass
class SessionFiles:
    """The files of one session: names in the store and names still in the spool."""

    ref: SessionRef
    stored: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    spooled: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})

    @property
    def in_spool(self) -> bool:
        return any(self.spooled.values())

    def names(self, kind: str) -> set[str]:
        return self.stored[kind] | self.spooled[kind]


@dataclass
class Page:
    sessions: list[SessionFiles]
    newest: date
    oldest: date  # the oldest day this page looked at
    next_until: date | None  # where the next (older) page starts, None at the end
    next_skip: int = 0


class Catalog:
    def __init__(self, store: ObjectStore, prefix: str, spool: Spool) -> None:
        self.store = store
        self.prefix = safe_prefix(prefix)
        self.spool = spool

    def folder(self, kind: str, ref: SessionRef) -> str:
        """The key prefix (ending in ``/``) of one session's files of one kind."""
        if kind not in KINDS:
            raise ValueError(kind)
        return "/".join(p for p in (self.prefix, kind, ref.path) if p) + "/"

    def key(self, kind: str, ref: SessionRef, name: str) -> str:
        """The key of one file; refuses any name the layout cannot produce."""
        if not valid_segment(name):
            raise ValueError("not a file name of the storage layout")
        return self.folder(kind, ref) + name

    def _day_prefix(self, kind: str, day: date) -> str:
        return "/".join(p for p in (self.prefix, kind, f"{day:%Y/%m/%d}") if p) + "/"

    def _parse(self, key: str) -> tuple[str, SessionRef, str] | None:
        """(kind, session, file name) of a key in the layout, None for anything else."""
        if self.prefix:
            if not key.startswith(self.prefix + "/"):
                return None
            key = key[len(self.prefix) + 1 :]
        parts = key.split("/")
        if len(parts) != 7 or parts[0] not in KINDS or not valid_segment(parts[6]):
            return None
        try:
            return parts[0], SessionRef.parse(*parts[1:6]), parts[6]
        except ValueError:
            return None

    def _collect(
        self, found: dict[SessionRef, SessionFiles], keys: Iterable[str], *, spooled: bool
    ) -> None:
        for key in keys:
            parsed = self._parse(key)
            if parsed is None:
                continue
            kind, ref, name = parsed
            files = found.setdefault(ref, SessionFiles(ref))
            (files.spooled if spooled else files.stored)[kind].add(name)

    def _spooled_by_day(self) -> dict[date, list[str]]:
        by_day: dict[date, list[str]] = {}
        for key in self.spool.pending():
            parsed = self._parse(key)
            if parsed is not None:
                by_day.setdefault(parsed[1].day, []).append(key)
        return by_day

    def day(self, day: date, spooled: dict[date, list[str]] | None = None) -> list[SessionFiles]:
        """Every session of one day (UTC), from the store and the spool. Blocking."""
        found: dict[SessionRef, SessionFiles] = {}
        for kind in KINDS:
            self._collect(found, self.store.list_keys(self._day_prefix(kind, day)), spooled=False)
        spooled = self._spooled_by_day() if spooled is None else spooled
        self._collect(found, spooled.get(day, []), spooled=True)
        return [found[ref] for ref in sorted(found)]

    def session(self, ref: SessionRef) -> SessionFiles:
        """One session's files. Blocking."""
        files = SessionFiles(ref)
        for kind in KINDS:
            self._collect({ref: files}, self.store.list_keys(self.folder(kind, ref)), spooled=False)
            folder = self.spool.root / self.folder(kind, ref)
            if folder.is_dir():
                names = (p.name for p in folder.iterdir() if p.is_file())
                files.spooled[kind] |= {n for n in names if not n.startswith(".tmp-")}
        return files

    def page(
        self,
        until: date,
        since: date | None = None,
        room: str = "",
        *,
        skip: int = 0,
        size: int = PAGE_SIZE,
    ) -> Page:
        """Up to ``size`` sessions from ``until`` back to ``since``, newest day first (in a
        day, by room and job). ``skip`` sessions of ``until`` were on the previous page.
        Looks back at most ``MAX_DAYS_PER_PAGE`` days. Blocking."""
        spooled = self._spooled_by_day()
        needle = room.strip().lower()
        sessions: list[SessionFiles] = []
        day = until
        for _ in range(MAX_DAYS_PER_PAGE):
            if since is not None and day < since:
                return Page(sessions, until, since, None)
            rows = [s for s in self.day(day, spooled) if needle in s.ref.room.lower()]
            start = skip if day == until else 0
            taken = rows[start : start + size - len(sessions)]
            sessions += taken
            if start + len(taken) < len(rows):  # the page is full inside this day
                return Page(sessions, until, day, day, start + len(taken))
            older = day - timedelta(days=1)
            if len(sessions) >= size:
                return Page(sessions, until, day, None if since and older < since else older)
            day = older
        return Page(sessions, until, day + timedelta(days=1), day)
