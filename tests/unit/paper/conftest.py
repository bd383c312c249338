"""Fixtures of the paper-intake unit tests (scans, postal, OCR readers, inbox logic)."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _shared_data() -> Path:
    """`<repo>/../shared/data` as in CI; a git worktree sits one level deeper, so the
    nearest `shared/data` above the repository is taken."""
    for parent in REPO.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return REPO / ".." / "shared" / "data"


SHARED_DATA = _shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def ocr_data(shared_data: Path) -> Path:
    return shared_data / "ocr"


@pytest.fixture(scope="session")
def groundtruth_words(ocr_data: Path) -> list[str]:
    return (ocr_data / "modulo_groundtruth.txt").read_text(encoding="utf-8").split()
