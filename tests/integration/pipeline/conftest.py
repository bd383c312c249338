"""Fixtures of the wired-pipeline tests: a broker of their own (see `support`), and a
producer for the tests' submissions and status reports."""

import os
from collections.abc import AsyncIterator

import pytest

from tests.integration.pipeline.support import PrivateKafka, Sender, create_public_topics


@pytest.fixture(scope="session")
async def pipeline_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The bootstrap address of a Kafka broker only these tests use, with every topic of
    `sportello topics` created on it."""
    given = os.environ.get("SPORTELLO_PIPELINE_TEST_KAFKA")
    if given:
        await create_public_topics(given)
        yield given
        return
    broker = PrivateKafka(tmp_path_factory.mktemp("kafka"))
    await broker.start()
    try:
        await create_public_topics(broker.bootstrap)
        yield broker.bootstrap
    finally:
        await broker.stop()


@pytest.fixture(scope="session")
async def sender(pipeline_kafka: str) -> AsyncIterator[Sender]:
    s = await Sender(pipeline_kafka).start()
    yield s
    await s.stop()
