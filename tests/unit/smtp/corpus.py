"""The real mail the SMTP intake's tests read: the shared data folder and CPython's own
e-mail test corpus (`test/test_email/data/` of the running interpreter)."""

import os
from pathlib import Path


def _shared_data() -> Path:
    # CI has the data at ../shared/data beside the repository; a git worktree may sit one
    # level deeper, so look upwards.
    repo = Path(__file__).resolve().parents[3]
    for folder in (repo, *repo.parents):
        candidate = folder / ".." / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return repo / ".." / "shared" / "data"


SHARED_DATA = _shared_data()


def cpython_email_corpus() -> Path | None:
    """CPython's e-mail test messages, or None when this interpreter ships no `test` package."""
    try:
        import test  # an optional part of the standard library
    except ImportError:
        return None
    folder = Path(os.path.dirname(test.__file__)) / "test_email" / "data"
    return folder if folder.is_dir() else None


def corpus_files() -> list[Path]:
    """Every message: shared `email/**/*.eml`, the SpamAssassin samples, CPython's msg_*.txt,
    and the fax samples."""
    email = SHARED_DATA / "email"
    files = sorted(email.rglob("*.eml"))
    files += sorted((email / "spamassassin").glob("*.txt"))
    files += sorted((SHARED_DATA / "fax").glob("*.eml"))
    cpython = cpython_email_corpus()
    if cpython is not None:
        files += sorted(cpython.glob("msg_*.txt"))
    return files


def corpus_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
