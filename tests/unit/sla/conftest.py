"""Fixtures of the SLA tests."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's shared real-world data: `../shared/data` beside the repository (in a
    worktree, beside one of its parents)."""
    here = Path(__file__).resolve()
    return next(p / "shared" / "data" for p in here.parents if (p / "shared" / "data").is_dir())
