"""Inbox file names and completeness: pure rules of the shared watcher."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestors.inbox.names import (
    NameKind,
    check_reference,
    classify_name,
    display_name,
    safe_name,
    unsafe_reason,
)
from ingestors.inbox.stability import FileStat, StabilityTracker, settled

NON_UTF8 = os.fsdecode(b"modulo-\xff\xfe.pdf")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("modulo.pdf", NameKind.OK),
        ("Segnalazione via Roma (2).jpg", NameKind.OK),
        ("città.png", NameKind.OK),
        ("a..b.pdf", NameKind.OK),
        (".inflight", NameKind.HIDDEN),
        (".~lock.pdf#", NameKind.HIDDEN),
        ("scan.pdf.part", NameKind.PARTIAL),
        ("SCAN.PDF.PART", NameKind.PARTIAL),
        (NON_UTF8, NameKind.UNSAFE),
        ("..\\..\\etc\\passwd.pdf", NameKind.UNSAFE),
        ("scan\x1b[31m.pdf", NameKind.UNSAFE),
        ("reclamo\u202efdp.exe", NameKind.UNSAFE),
        ("zero\u200bwidth.pdf", NameKind.UNSAFE),
        (" leading.pdf", NameKind.UNSAFE),
        ("x" * 201, NameKind.UNSAFE),
    ],
)
def test_classify_name(name: str, kind: NameKind) -> None:
    assert classify_name(name)[0] is kind


def test_references_in_manifests_must_be_plain_names() -> None:
    assert check_reference("L0042-1.tif") == ""
    assert check_reference("../outside.tif")
    assert check_reference("..")
    assert check_reference("pages/1.tif")
    assert check_reference("/etc/passwd")
    assert check_reference("C:\\pages\\1.tif")
    assert check_reference(".hidden.tif")


def test_display_and_safe_names_of_undecodable_bytes() -> None:
    assert display_name(NON_UTF8) == "modulo-\\xff\\xfe.pdf"
    assert safe_name(NON_UTF8) == "modulo-_xff_xfe.pdf"
    assert safe_name("..\\..\\x.pdf") == "_.._x.pdf"
    assert safe_name("...") == "unnamed"


@given(name=st.text(max_size=300))
def test_safe_name_is_always_safe_and_display_name_printable(name: str) -> None:
    assert unsafe_reason(safe_name(name)) == ""
    assert not safe_name(name).startswith(".")
    shown = display_name(name)
    shown.encode("utf-8")  # always encodable
    assert all(ch.isprintable() for ch in shown)


@given(raw=st.binary(min_size=1, max_size=60).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_os_name_gets_a_verdict_without_error(raw: bytes) -> None:
    name = os.fsdecode(raw)
    kind, why = classify_name(name)
    assert (kind is NameKind.OK) == (why == "")


def test_file_is_complete_when_unchanged_for_the_stable_time() -> None:
    tracker = StabilityTracker(stable_s=2.0)
    now = 1_000.0
    growing = FileStat(size=10, mtime_ns=int(now * 1e9))
    assert tracker.observe("a.pdf", growing, now) == now + 2.0
    grown = FileStat(size=20, mtime_ns=int((now + 1) * 1e9))
    assert tracker.observe("a.pdf", grown, now + 1) == now + 3.0  # changed: clock restarts
    assert tracker.observe("a.pdf", grown, now + 2.5) == now + 3.0
    assert tracker.observe("a.pdf", grown, now + 3.0) is None


def test_backlog_older_than_the_stable_time_is_ready_at_once() -> None:
    tracker = StabilityTracker(stable_s=2.0)
    old = FileStat(size=10, mtime_ns=int(500 * 1e9))
    assert tracker.observe("old.pdf", old, 1_000.0) is None


def test_future_mtime_falls_back_to_observation() -> None:
    future = FileStat(size=10, mtime_ns=int(5_000 * 1e9))
    assert not settled(future, now=1_000.0, stable_s=2.0)
    tracker = StabilityTracker(stable_s=2.0)
    assert tracker.observe("f.pdf", future, 1_000.0) == 1_002.0
    assert tracker.observe("f.pdf", future, 1_002.0) is None


def test_forgotten_files_start_again() -> None:
    tracker = StabilityTracker(stable_s=2.0)
    stat = FileStat(size=1, mtime_ns=int(999.5 * 1e9))
    tracker.observe("a.pdf", stat, 1_000.0)
    tracker.keep_only(set())
    assert tracker.observe("a.pdf", stat, 1_001.0) == 1_003.0
