"""The set-up commands are idempotent against the real services."""

import subprocess
import sys

import pytest

from processors.bodies import load_bodies
from runtime.topics import declared_topics

pytestmark = pytest.mark.integration


def sportello(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_topics_command_checks_what_exists() -> None:
    result = sportello("topics")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    declared = declared_topics([b.id for b in load_bodies()], partitions=1, replication=1)
    assert len(lines) == len(declared)
    assert all(line.startswith("topics: exists") for line in lines), result.stdout


def test_migrate_command_is_up_to_date() -> None:
    result = sportello("migrate")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_schemas_check_passes_on_a_fresh_export() -> None:
    assert sportello("schemas", "--check").returncode == 0


def test_train_takes_its_own_options() -> None:
    result = sportello("train", "--help")
    assert result.returncode == 0, result.stderr
    assert "--out" in result.stdout and "--history" in result.stdout
    refused = sportello("train", "--no-such-option")
    assert refused.returncode == 2 and "unrecognized arguments" in refused.stderr
