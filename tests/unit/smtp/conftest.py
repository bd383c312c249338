from pathlib import Path

import pytest

from tests.unit.smtp.corpus import SHARED_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA
