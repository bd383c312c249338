"""Fixtures of the services' metrics tests: the shared data folder."""

from pathlib import Path

import pytest

from tests.integration.record.histories import find_shared_data


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the repository (CI), or beside the folder of worktrees."""
    return find_shared_data()
