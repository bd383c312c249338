"""The entry points: `python -m ingestors.scans` and `python -m ingestors.postal` start,
refuse to share an inbox, and stop cleanly on SIGTERM and SIGINT."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def start(module: str, tmp_path: Path, kafka: str, log_name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SPORTELLO_VAR_DIR": str(tmp_path / "var"),
        "SPORTELLO_KAFKA_BOOTSTRAP": kafka,
        "SPORTELLO_INBOX_STABLE_S": "0.3",
    }
    with (tmp_path / log_name).open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO, env=env, stdout=out, stderr=out
        )


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], within: float) -> None:
    deadline = time.monotonic() + within
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("module", "inbox", "signum"),
    [
        ("ingestors.scans", "scans", signal.SIGINT),
        ("ingestors.postal", "postal", signal.SIGTERM),
    ],
)
def test_service_stops_cleanly_and_holds_its_inbox(
    tmp_path: Path, kafka_bootstrap: str, module: str, inbox: str, signum: signal.Signals
) -> None:
    service = start(module, tmp_path, kafka_bootstrap, "first.log")
    try:
        wait_for_line(tmp_path / "first.log", "watching", service, 60)
        assert (tmp_path / "var" / "inbox" / inbox / "processed").is_dir()
        second = start(module, tmp_path, kafka_bootstrap, "second.log")
        assert second.wait(60) == 2
        assert "another watcher is running" in (tmp_path / "second.log").read_text()
        service.send_signal(signum)
        assert service.wait(30) == 0
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    assert "Traceback" not in (tmp_path / "first.log").read_text()
