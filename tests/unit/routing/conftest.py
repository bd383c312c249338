"""Fixtures for routing's unit tests: the shipped rule set, loaded once."""

import pytest

from processors.routing import RuleSet, load_rules


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()
