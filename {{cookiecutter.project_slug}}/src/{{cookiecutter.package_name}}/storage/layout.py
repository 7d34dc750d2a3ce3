"""Where each file goes: one object layout, the same on every backend.

    <prefix>/<kind>/<YYYY>/<MM>/<DD>/<room>/<job-id>.<session>/<file>

``kind`` is ``transcripts`` or ``recordings``. Room names and job ids come from
outside, so every segment is reduced to a safe ASCII name that cannot climb out of
the prefix; a changed or shortened name gets a short hash so distinct names stay distinct,
and so does a name that already looks hashed (``a_b-c8687a08``), so no name can take
another's segment.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone

MAX_SEGMENT = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_HASHED = re.compile(r"(?:.*-)?[0-9a-f]{8}")  # what safe_segment makes of a changed name


def safe_segment(value: str) -> str:
    """One path segment made of ``[A-Za-z0-9._-]``, never ``.``/``..``, never empty."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_value).strip("._-")[:MAX_SEGMENT]
    if cleaned and cleaned == value and not _HASHED.fullmatch(cleaned):
        return cleaned
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned[: MAX_SEGMENT - 9]}-{digest}" if cleaned else digest


def safe_prefix(prefix: str) -> str:
    return "/".join(safe_segment(part) for part in prefix.split("/") if part.strip())


# One session's keys: (kind, filename) -> key, e.g. SessionArchive.key.
ObjectKey = Callable[[str, str], str]


def new_session_id() -> str:
    """A per-session nonce: a job id given twice (a retried job) still gets its own keys."""
    return secrets.token_hex(4)


def session_folder(
    prefix: str, kind: str, *, room: str, job_id: str, started_at: float, session: str = ""
) -> str:
    """The folder (no trailing slash) holding one session's files of one kind.

    With ``session`` (from ``new_session_id()``) the job segment is ``<job-id>.<session>``.
    """
    day = datetime.fromtimestamp(started_at, tz=timezone.utc).strftime("%Y/%m/%d")
    job = f"{job_id}.{session}" if session else job_id
    parts = [safe_prefix(prefix), kind, day, safe_segment(room), safe_segment(job)]
    return "/".join(p for p in parts if p)


def object_key(
    prefix: str,
    kind: str,
    filename: str,
    *,
    room: str,
    job_id: str,
    started_at: float,
    session: str = "",
) -> str:
    folder = session_folder(
        prefix, kind, room=room, job_id=job_id, started_at=started_at, session=session
    )
    return f"{folder}/{safe_segment(filename)}"
