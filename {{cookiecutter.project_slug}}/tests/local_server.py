"""Local storage needs no server: a folder stands in, and an outage replaces it with a file."""

from __future__ import annotations

from storage_server import StorageServer


class BackendServer(StorageServer):
    outage_reason = r"Not a directory"
    missing_bucket_reason = ""  # a missing folder is created on the first upload

    def __init__(self, workdir) -> None:
        super().__init__(workdir)
        self.root = workdir / "store"
        self._parked = workdir / "store.down"

    def start(self) -> None:
        if self._parked.exists():
            self.root.unlink()
            self._parked.rename(self.root)
        self.root.mkdir(exist_ok=True)

    def stop(self) -> None:
        """The disk is gone: every folder under the root fails to open."""
        self.root.rename(self._parked)
        self.root.write_text("not a folder")

    def make_bucket(self, name: str) -> None:
        (self.root / name).mkdir(exist_ok=True)

    def env(self, bucket: str) -> dict[str, str]:
        return {"LOCAL_STORAGE_DIR": str(self.root / bucket)}


def commits_upload(event: str, args: tuple) -> bool:
    """True when the finished temporary copy is linked into place (audit hook event)."""
    return event in ("os.link", "os.rename")
