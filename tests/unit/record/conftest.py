"""Case histories made from real service requests (NYC 311, shared data), for the pure
parts of the record: redaction, rows, summaries."""

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.record.histories import (
    History,
    dead_letters,
    find_shared_data,
    histories,
    read_requests,
)


@pytest.fixture(scope="session")
def nyc_histories() -> list[History]:
    return list(histories(read_requests(find_shared_data())[:400], salt="u", shift=timedelta(0)))


@pytest.fixture(scope="session")
def nyc_requests_letters() -> list[Any]:
    requests = read_requests(find_shared_data())[:100]
    return [e for _, e in dead_letters(requests, salt="u", shift=timedelta(0), every=10)]
