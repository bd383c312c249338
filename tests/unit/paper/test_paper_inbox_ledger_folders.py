"""The in-flight ledger and the inbox's folders (on a temporary directory)."""

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestors.inbox.folders import InboxBusy, InboxFolders, free_name
from ingestors.inbox.ledger import InflightMarker, Ledger, name_from_hex, name_to_hex

SHA = "ab" * 32


def marker(**changes: object) -> InflightMarker:
    values: dict[str, object] = {
        "sha256": SHA,
        "topic": "complaints.intake",
        "key": "SP-0000-0000-0000",
        "event_id": "scan-" + SHA,
        "written_at": datetime(2024, 3, 5, 23, 30, tzinfo=UTC),
        "outcome": "processed",
        "members_hex": (name_to_hex("a.pdf"), name_to_hex(os.fsdecode(b"\xff.pdf"))),
    }
    values.update(changes)
    return InflightMarker.model_validate(values)


def test_ledger_keeps_markers_with_any_file_name(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / ".inflight")
    assert ledger.get(SHA) is None
    ledger.put(marker())
    read = ledger.get(SHA)
    assert read == marker()
    assert read is not None
    assert read.members == ("a.pdf", os.fsdecode(b"\xff.pdf"))
    assert [m.sha256 for m in ledger.all()] == [SHA]
    ledger.clear(SHA)
    ledger.clear(SHA)
    assert ledger.get(SHA) is None


def test_torn_marker_is_as_if_absent(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    (tmp_path / f"{SHA}.json").write_bytes(b'{"sha256": "ab')
    assert ledger.get(SHA) is None


def test_name_hex_round_trip() -> None:
    for raw in (b"a.pdf", b"\xff\xfe", "città".encode()):
        name = os.fsdecode(raw)
        assert name_from_hex(name_to_hex(name)) == name


def test_free_name(tmp_path: Path) -> None:
    assert free_name(tmp_path, "a.pdf") == "a.pdf"
    (tmp_path / "a.pdf").touch()
    (tmp_path / "a-1.pdf").touch()
    assert free_name(tmp_path, "a.pdf") == "a-2.pdf"
    (tmp_path / "noext").touch()
    assert free_name(tmp_path, "noext") == "noext-1"


def test_listing_moves_and_lock(tmp_path: Path) -> None:
    folders = InboxFolders(tmp_path / "inbox", ZoneInfo("Europe/Rome"))
    folders.ensure()
    (folders.inbox / "a.pdf").write_bytes(b"%PDF-")
    os.symlink("/etc/hostname", folders.inbox / "link.pdf")
    os.mkfifo(folders.inbox / "fifo.pdf")
    listing = folders.listing()
    assert set(listing) == {"a.pdf", "link.pdf", "fifo.pdf", ".watcher.lock"} - {".watcher.lock"}
    assert listing["a.pdf"] is not None
    assert listing["a.pdf"].size == 5
    assert listing["link.pdf"] is None
    assert listing["fifo.pdf"] is None
    # 23:30 UTC on 5 March is already 6 March in Rome.
    day = folders.processed_dir(datetime(2024, 3, 5, 23, 30, tzinfo=UTC))
    assert day.name == "2024-03-06"
    moved = folders.move("a.pdf", day)
    assert moved == day / "a.pdf"
    assert moved.read_bytes() == b"%PDF-"
    assert folders.move("a.pdf", day) is None  # already gone: nothing to do
    folders.lock()
    other = InboxFolders(folders.inbox, ZoneInfo("Europe/Rome"))
    with pytest.raises(InboxBusy):
        other.lock()
    folders.unlock()
    other.lock()
    other.unlock()
