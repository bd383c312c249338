"""File-name safety for inbox folders: what to pick up, ignore, or refuse by name alone.

Names come from `os.scandir` on a str path, so bytes that are not UTF-8 arrive as lone
surrogates (PEP 383); such a name cannot be shown, logged or put in an event faithfully,
and is refused. So are names with control or invisible formatting characters (a
right-to-left override can disguise `fdp.exe` as `exe.pdf`), backslashes (a Windows share
writes `..\\..\\x` as one name), and over-long names.
"""

import re
import unicodedata
from enum import StrEnum

MAX_NAME_BYTES = 200
PARTIAL_SUFFIX = ".part"


class NameKind(StrEnum):
    OK = "ok"
    HIDDEN = "hidden"
    """Starts with a dot: ours (`.inflight`), or an editor's or copier's temporary file."""
    PARTIAL = "partial"
    """Ends in `.part`: still being written; the writer renames it when complete."""
    UNSAFE = "unsafe"


def classify_name(name: str) -> tuple[NameKind, str]:
    """What the name alone says to do with a file, and why (empty reason when OK)."""
    problem = unsafe_reason(name)
    if problem:
        # Checked first: "..\\..\\x.pdf" starts with a dot but must not sit unseen.
        return NameKind.UNSAFE, problem
    if name.startswith("."):
        return NameKind.HIDDEN, "hidden file"
    if name.lower().endswith(PARTIAL_SUFFIX):
        return NameKind.PARTIAL, "still being written"
    return NameKind.OK, ""


def unsafe_reason(name: str) -> str:
    """Why a name is not safe to use as a file name here, or '' if it is."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not valid UTF-8"
    if not name:
        return "the name is empty"
    if len(encoded) > MAX_NAME_BYTES:
        return f"the name is longer than {MAX_NAME_BYTES} bytes"
    if name in (".", "..") or "/" in name or "\\" in name:
        return "the name contains a path separator or is a parent reference"
    for ch in name:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            return f"the name contains the control or invisible character U+{ord(ch):04X}"
    if name != name.strip():
        return "the name starts or ends with white space"
    return ""


def check_reference(name: str) -> str:
    """For a file named inside a manifest: '' if it is a plain, safe name in the same folder."""
    if not isinstance(name, str):
        return "not a string"
    if name.startswith("."):
        return "a hidden or parent-relative name"
    return unsafe_reason(name)


def display_name(name: str) -> str:
    """A printable form of any name, for logs, events and reports (undecodable bytes as \\xNN)."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._ +=@,()\[\]{}-]")


def safe_name(name: str) -> str:
    """A name to keep a refused file under in `failed/`: ASCII, no separators, not hidden."""
    cleaned = _UNSAFE_CHARS.sub("_", display_name(name).replace("\\", "_"))
    cleaned = cleaned.lstrip(".").strip() or "unnamed"
    return cleaned[-120:] if len(cleaned) > 120 else cleaned
