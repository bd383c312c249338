"""Case histories made from real service requests (NYC 311, shared data), for the pure
parts of the record: redaction, rows, summaries."""

from datetime import timedelta

import pytest

from tests.integration.record.histories import History, find_shared_data, histories, read_requests


@pytest.fixture(scope="session")
def nyc_histories() -> list[History]:
    return list(histories(read_requests(find_shared_data())[:400], salt="u", shift=timedelta(0)))
