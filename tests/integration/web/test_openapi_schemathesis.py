"""Schemathesis against the live intake, run as the real service (`python -m ingestors.web`):
every check (Schemathesis' default; schemathesis.toml tunes two) over every operation of
/openapi.json — no server error, no response outside the schema, valid data accepted,
invalid data refused, 405 for undeclared methods, 401 without credentials — at a size CI
affords (a fixed seed, so that a failure reproduces)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
EXAMPLES_PER_OPERATION = "20"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the web intake exited"
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the web intake did not come up")


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    unlimited = "1000000"
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        SPORTELLO_WEB_PORT=str(port),
        SPORTELLO_PUBLIC_URL=url,
        SPORTELLO_VAR_DIR=str(tmp_path / "var"),
        SPORTELLO_API_KEYS='{"schemathesis": "schemathesis-key-0123456789"}',
        SPORTELLO_RATE_LIMIT_PER_S=unlimited,
        SPORTELLO_RATE_LIMIT_BURST=unlimited,
        SPORTELLO_CITIZEN_RATE_LIMIT_PER_S=unlimited,
        SPORTELLO_CITIZEN_RATE_LIMIT_BURST=unlimited,
    )
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "ingestors.web"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(url, server)
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{url}/openapi.json",
                "--header",
                "Authorization: Bearer schemathesis-key-0123456789",
                "--max-examples",
                EXAMPLES_PER_OPERATION,
                "--seed",
                "20260501",
                "--workers",
                "2",
                "--request-timeout",
                "20",
                "--no-color",
                "--report",
                "junit",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_log = log.read_text(errors="replace")
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    # aiohttp itself logs the malformed headers it refuses (with 400); our handlers never fail.
    assert "unexpected error" not in server_log, server_log[-5000:]
