"""The inbox on disk: listing it, and moving files to `processed/<date>/` and `failed/`.

<inbox>/                  files dropped here (top level only; `*.part` and dotfiles wait)
<inbox>/processed/<date>/ published, by the date they were finished (city time zone)
<inbox>/failed/           refused, each with `<name>.reason.json` beside it
<inbox>/.inflight/        the ledger (see ledger.py)
<inbox>/.watcher.lock     held while a watcher runs, so two cannot share an inbox
"""

import contextlib
import fcntl
import hashlib
import os
import stat as stat_module
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingestors.inbox.ledger import fsync_dir, write_durably
from ingestors.inbox.stability import FileStat
from runtime.errors import SportelloError


class InboxBusy(SportelloError):
    """Another watcher holds this inbox."""


class InboxFolders:
    def __init__(self, inbox: Path, tz: ZoneInfo) -> None:
        self.inbox = inbox
        self.tz = tz
        self.processed_root = inbox / "processed"
        self.failed_dir = inbox / "failed"
        self.inflight_dir = inbox / ".inflight"
        self._lock_fd: int | None = None

    def ensure(self) -> None:
        for path in (self.inbox, self.processed_root, self.failed_dir, self.inflight_dir):
            path.mkdir(parents=True, exist_ok=True)

    def lock(self) -> None:
        """Take the inbox's lock or raise `InboxBusy`. The kernel drops it if we die."""
        fd = os.open(self.inbox / ".watcher.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InboxBusy(f"another watcher is running on {self.inbox}") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def listing(self) -> dict[str, FileStat | None]:
        """Top-level entries that are not directories: name -> stat, or None when the entry
        is not a regular file (a symlink, a FIFO): those are never opened."""
        entries: dict[str, FileStat | None] = {}
        with os.scandir(self.inbox) as scan:
            for entry in scan:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat_module.S_ISDIR(st.st_mode):
                    continue
                if stat_module.S_ISREG(st.st_mode):
                    entries[entry.name] = FileStat(st.st_size, st.st_mtime_ns)
                else:
                    entries[entry.name] = None
        return entries

    def processed_dir(self, at: datetime) -> Path:
        return self.processed_root / at.astimezone(self.tz).date().isoformat()

    def move(self, name: str, dest_dir: Path, target: str | None = None) -> Path | None:
        """Move `name` into `dest_dir` under a name not taken there; None if it is gone."""
        dest_dir.mkdir(parents=True, exist_ok=True)
        destination = dest_dir / free_name(dest_dir, target or name)
        try:
            os.rename(self.inbox / name, destination)
        except FileNotFoundError:
            return None
        fsync_dir(dest_dir)
        fsync_dir(self.inbox)
        return destination

    def write_report(self, main_target: Path, content: bytes) -> Path:
        report = main_target.with_name(main_target.name + ".reason.json")
        write_durably(report, content)
        return report


def free_name(directory: Path, name: str) -> str:
    """`name`, or `stem-N.suffix` with the smallest N not yet taken in `directory`."""
    if not os.path.lexists(directory / name):
        return name
    stem, dot, suffix = name.rpartition(".")
    if not stem:
        stem, dot, suffix = name, "", ""
    for n in range(1, 100_000):
        candidate = f"{stem}-{n}{dot}{suffix}"
        if not os.path.lexists(directory / candidate):
            return candidate
    raise FileExistsError(f"no free name for {name!r} in {directory}")


def read_file(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None if it is larger than `limit` (then it is not read)."""
    with path.open("rb") as file:
        content = file.read(limit + 1)
    return None if len(content) > limit else content


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
