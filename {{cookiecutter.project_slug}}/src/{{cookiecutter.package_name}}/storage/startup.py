"""Start-up checks of the spool and the upload deadline: each refusal is one line.

A worker must refuse to start when every call would fail at its end: a spool it cannot
write, a spool inside (or holding) the local storage folder, whose files would be
"uploaded" onto themselves and then deleted, or an upload deadline that is not a number
of seconds.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path

from ..settings import ConfigError
from .layout import safe_prefix

KINDS = ("transcripts", "recordings")


def check_upload_timeout(value: float, variable: str = "UPLOAD_TIMEOUT") -> float:
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{variable}={value!r} must be a finite, positive number of seconds")
    return value


def check_spool_dir(path: Path, variable: str = "SPOOL_DIR") -> Path:
    """``path`` is (or can be made) a folder this process can write: probed, not guessed.

    Nothing is left behind: a missing folder is not created, its nearest existing parent
    is probed instead.
    """
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{variable}={str(path)!r} is not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{variable}={str(path)!r} is under {str(existing)!r}, not a directory")
    probe = ""
    try:
        probe = tempfile.mkdtemp(prefix=".tmp-probe-", dir=existing)
        with open(os.path.join(probe, "probe"), "wb") as handle:
            handle.write(b"probe")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"{variable}={str(path)!r} is not writable: {reason}") from None
    finally:
        if probe:
            shutil.rmtree(probe, ignore_errors=True)
    return path


def check_apart(spool_dir: Path, storage_dir: Path, prefix: str = "") -> None:
    """No spool file may be the stored file of a key, nor the other way round.

    The spool under the storage folder is fine (the Docker image keeps both in /data) as
    long as it is not where the objects go (``<prefix>/transcripts``, ``<prefix>/recordings``).
    """
    spool, store = spool_dir.resolve(), storage_dir.resolve()
    if spool == store or spool in store.parents:  # the store inside the spool
        overlap = True
    elif store in spool.parents:  # the spool inside the store: where do the objects go?
        inside = list(spool.relative_to(store).parts)
        tops = [
            [part for part in [*safe_prefix(prefix).split("/"), kind] if part] for kind in KINDS
        ]
        # some key (top + rest) under the store is a spool path (inside + top + rest)
        overlap = any((inside + b)[: len(a)] == a for a in tops for b in tops)
    else:
        overlap = False
    if overlap:
        raise ConfigError(
            f"SPOOL_DIR={str(spool)!r} and LOCAL_STORAGE_DIR={str(store)!r} overlap: "
            "give the spool a folder of its own"
        )


def check_start(spool_dir: Path, upload_timeout: float, storage: object, prefix: str) -> None:
    """Every start-up check of this module, for ``Settings``."""
    check_upload_timeout(upload_timeout)
    check_spool_dir(spool_dir)
    root = getattr(storage, "root", None)  # the local backend's folder
    if isinstance(root, Path):
        check_apart(spool_dir, root, prefix)
