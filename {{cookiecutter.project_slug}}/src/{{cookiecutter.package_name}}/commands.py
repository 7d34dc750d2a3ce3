"""Our own CLI commands: storage check, spool flush, transcript re-rendering."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .settings import ConfigError, Settings
from .storage import StorageError, open_store
from .storage.base import one_line
from .storage.spool import Spool, flush_and_report
from .transcript import TRANSCRIPT_FORMAT
from .transcript.formats import FORMATS
from .transcript.model import Transcript
{%- if cookiecutter.transcript_redaction == "pii" %}
from .transcript.redaction import redact_transcript
{%- endif %}


def fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def check() -> int:
    settings = Settings.from_env()
    store = open_store(settings.storage)
    key = "/".join(p for p in (settings.storage_prefix, f".check/{uuid.uuid4().hex}.txt") if p)
    payload = f"{{ cookiecutter.package_name }} storage check {uuid.uuid4()}".encode()
    probe = settings.spool_dir / ".check" / key.rsplit("/", 1)[-1]
    print(f"checking {store.describe()} ...")
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(payload)
        print(f"  write   {key}: ", end="", flush=True)
        store.upload_file(probe, key)
        print("ok")
        print("  read    back: ", end="", flush=True)
        if store.read_bytes(key) != payload:
            raise StorageError("read back different bytes")
        print("ok")
        print("  delete  probe: ", end="", flush=True)
        store.delete(key)
        print("ok")
    except Exception as error:
        print("failed")
        return fail(f"storage check failed: {one_line(error)}")
    finally:
        probe.unlink(missing_ok=True)
    print(f"storage is ready: {store.describe()}")
    return 0


def flush_spool() -> int:
    settings = Settings.from_env()
    spool = Spool(settings.spool_dir)
    store = open_store(settings.storage)
    print(f"uploading {spool.root} to {store.describe()}")
    return flush_and_report(store, spool, timeout=settings.upload_timeout, progress=print)


def transcript(path: str, format_name: str | None, output: str | None) -> int:
    """Re-render a saved transcript (json, jsonl) or a raw livekit history in any format."""
    format_name = format_name or TRANSCRIPT_FORMAT
    if format_name not in FORMATS:
        return fail(f"unknown format {format_name!r}; use one of: {', '.join(FORMATS)}", 2)
    try:
        # errors="replace": a journal's torn last line can end in the middle of a character
        source = Transcript.from_text(Path(path).read_bytes().decode("utf-8", "replace"))
    except (OSError, ValueError) as error:
        return fail(f"cannot read {path}: {one_line(error)}", 2)
    if any(not entry.created_at for entry in source.entries):
        print(
            "warning: some items have no timestamp; export the history with "
            "session.history.to_dict(exclude_timestamp=False)",
            file=sys.stderr,
        )
{%- if cookiecutter.transcript_redaction == "pii" %}
    source = redact_transcript(source)  # this project never writes unmasked PII
{%- endif %}
    rendered = FORMATS[format_name].render(source).encode("utf-8")
    if not output:
        sys.stdout.flush()
        sys.stdout.buffer.write(rendered)
        sys.stdout.buffer.flush()
        return 0
    try:
        Path(output).write_bytes(rendered)
    except OSError as error:
        return fail(f"cannot write {output}: {one_line(error)}")
    return 0


def guarded(command: Callable[..., int], *args: Any) -> int:
    """Run one of our commands; a missing or invalid setting is one line and exit 2."""
    try:
        return command(*args)
    except ConfigError as error:
        return fail(str(error), 2)
