"""Fixtures of the web intake's unit tests."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`shared/data` beside the repository (CI) or beside any folder above it (a worktree)."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    raise FileNotFoundError("no shared/data folder above the repository")
