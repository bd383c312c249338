"""The in-flight ledger: what was about to be published, so a crash cannot duplicate it.

Before a unit's event is published, a marker naming the event (topic, key, id) and the
files to move is written and fsynced under `<inbox>/.inflight/<sha256>.json`; it is removed
once the files are moved. If the process dies in between, the restarted watcher finds the
marker when it meets the same file again (same content, same SHA-256), asks the broker
whether the event is already there, and if so only finishes the move: the event is not
published a second time. Without a marker the file had not been published, since the
marker is written first.
"""

import contextlib
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, ValidationError

from schemas._strict import StrictModel
from schemas.blob import Sha256


class FailureReport(StrictModel):
    """The JSON written beside a refused file in `failed/`: why, and where the event went."""

    reason: str
    detail: Annotated[str, Field(max_length=10_000)]
    file: Annotated[str, Field(description="the file's name as received, printable")]
    file_name_hex: Annotated[str, Field(description="the file's name as raw bytes, hex")]
    stored_as: Annotated[str, Field(description="its name in failed/")]
    sha256: Sha256
    members: tuple[str, ...]
    channel: str
    failed_at: AwareDatetime
    dead_letter_event_id: str


class InflightMarker(StrictModel):
    sha256: Sha256
    topic: str
    key: str
    event_id: str
    written_at: AwareDatetime
    outcome: Literal["processed", "failed"]
    members_hex: tuple[str, ...]
    """File names as raw bytes in hex: a name need not be valid UTF-8."""
    report: FailureReport | None = None

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(name_from_hex(h) for h in self.members_hex)


def name_to_hex(name: str) -> str:
    return os.fsencode(name).hex()


def name_from_hex(value: str) -> str:
    return os.fsdecode(bytes.fromhex(value))


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(target: Path, content: bytes) -> None:
    """Write `content` to `target` atomically (temporary file, fsync, rename, fsync dir)."""
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)


class Ledger:
    """Markers under `root` (created on first use). All methods do blocking file I/O."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / f"{sha256}.json"

    def put(self, marker: InflightMarker) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_durably(self._path(marker.sha256), marker.model_dump_json().encode())

    def get(self, sha256: str) -> InflightMarker | None:
        try:
            return InflightMarker.model_validate_json(self._path(sha256).read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError:
            # A torn or foreign file: no publish can be vouched for, so behave as without a
            # marker (the file is published again; downstream dedup drops a repeat).
            return None

    def clear(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(sha256).unlink()

    def all(self) -> list[InflightMarker]:
        markers: list[InflightMarker] = []
        if not self.root.is_dir():
            return markers
        for path in sorted(self.root.glob("*.json")):
            marker = self.get(path.stem)
            if marker is not None:
                markers.append(marker)
        return markers


def settle_until(marker: InflightMarker, settle_s: float) -> datetime:
    """Not before this time may the broker be asked about the marker's event: a request
    sent just before a crash may still be on its way in."""
    return marker.written_at + timedelta(seconds=settle_s)
