"""Each ingestor, run as its real process (`python -m …`), serves Prometheus figures on its
own configured port: what it answered and how, how long it took, how publishing went and,
for the paper inboxes, the backlog.

The web and SMTP intakes publish a complaint each to the real broker (tagged with a marker,
as every intake test does); the scan and postal watchers are pointed at a broker that is not
there, so that what they show is a file held in the inbox and the publishes that failed."""

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(module: str, tmp_path: Path, **env: str) -> Iterator[Path]:
    """The service as a process of its own; yields its log file."""
    log = tmp_path / f"{module}.log"
    full = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SPORTELLO_VAR_DIR": str(tmp_path / "var"),
        **{f"SPORTELLO_{k.upper()}": v for k, v in env.items()},
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO, env=full, stdout=out, stderr=out
        )
    try:
        yield log
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def http(
    method: str, url: str, *, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def scrape(port: int, log: Path, *, within: float = 60) -> Samples:
    """Every sample of the endpoint, by name and labels; waits for it to come up."""
    deadline = time.monotonic() + within
    while True:
        try:
            status, headers, body = http("GET", f"http://127.0.0.1:{port}/metrics")
            break
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def eventually_scrape(
    port: int, log: Path, ready: Callable[[Samples], bool], within: float = 90
) -> Samples:
    deadline = time.monotonic() + within
    while True:
        samples = scrape(port, log)
        if ready(samples):
            return samples
        assert time.monotonic() < deadline, (log.read_text(errors="replace"), samples)
        time.sleep(0.3)


def wait_for_port(port: int, log: Path, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)


def test_the_web_intake_counts_requests_by_route_and_status(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    port, metrics = free_port(), free_port()
    marker = uuid.uuid4().hex
    with running(
        "ingestors.web",
        tmp_path,
        web_port=str(port),
        web_metrics_port=str(metrics),
        kafka_bootstrap=kafka_bootstrap,
    ) as log:
        wait_for_port(port, log)
        url = f"http://127.0.0.1:{port}"
        status, _, body = http(
            "POST",
            url + "/v1/complaints",
            body={"text": f"Lampione spento in via Padova {marker}", "channel": "web"},
            headers={"Authorization": "Bearer sportello-dev-key"},
        )
        assert status == 202, body
        assert http("GET", url + "/no/such/page")[0] == 404
        assert http("GET", url + "/dashboard")[0] == 200
        samples = scrape(metrics, log)
    req = "sportello_web_requests_total"
    assert value(samples, req, method="POST", route="/v1/complaints", status="202") == 1
    assert value(samples, req, method="GET", route="unmatched", status="404") == 1
    assert value(samples, req, method="GET", route="/dashboard", status="200") == 1
    assert value(samples, "sportello_web_request_seconds_count", route="/v1/complaints") == 1
    assert value(samples, "sportello_web_publish_seconds_count", outcome="acknowledged") == 1
    assert value(samples, "sportello_web_publish_failures_total") == 0
    assert value(samples, "sportello_web_broker_available") == 1
    assert value(samples, "sportello_web_up") == 1
    assert value(samples, "sportello_web_process_resident_memory_bytes") > 0
    assert not [k for k in samples if marker in str(k)], "no request content in labels"


def test_the_smtp_intake_counts_mails_by_outcome(tmp_path: Path, kafka_bootstrap: str) -> None:
    port, metrics = free_port(), free_port()
    marker = uuid.uuid4().hex
    with running(
        "ingestors.smtp",
        tmp_path,
        smtp_port=str(port),
        smtp_metrics_port=str(metrics),
        kafka_bootstrap=kafka_bootstrap,
        smtp_parse_processes="0",
    ) as log:
        wait_for_port(port, log)
        mail = EmailMessage()
        mail["From"] = "cittadino@example.org"
        mail["To"] = "reclami@sportello.local"
        mail["Subject"] = "Rifiuti abbandonati"
        mail["Message-ID"] = f"<{marker}@example.org>"
        mail.set_content(f"Sacchi di rifiuti abbandonati in via Tortona 20. {marker}")
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            assert smtp.send_message(mail) == {}
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.send_message(mail, to_addrs=["nobody@elsewhere.example"])
        samples = eventually_scrape(
            metrics,
            log,
            lambda s: (
                value(s, "sportello_smtp_messages_total", outcome="complaint", reply="250") >= 1
            ),
        )
    assert value(samples, "sportello_smtp_messages_total", outcome="complaint", reply="250") == 1
    assert value(samples, "sportello_smtp_message_seconds_count", outcome="complaint") == 1
    assert value(samples, "sportello_smtp_rejected_recipients_total") == 1
    assert value(samples, "sportello_smtp_messages_in_flight") == 0
    assert value(samples, "sportello_smtp_publish_seconds_count", outcome="acknowledged") == 1
    assert value(samples, "sportello_smtp_broker_available") == 1


@pytest.mark.parametrize(
    ("service", "module", "name", "source", "extra"),
    [
        ("scans", "ingestors.scans", "modulo.png", "modulo_scan.png", {}),
        (
            "postal",
            "ingestors.postal",
            "lettera.txt",
            "modulo_scan.txt",
            {"postal_companion_wait_s": "0"},
        ),
    ],
)
def test_an_inbox_watcher_shows_its_backlog_and_failed_publishes(
    tmp_path: Path,
    shared_data: Path,
    service: str,
    module: str,
    name: str,
    source: str,
    extra: dict[str, str],
) -> None:
    metrics = free_port()
    nowhere = f"127.0.0.1:{free_port()}"  # no broker there: the file stays in the inbox
    inbox = tmp_path / "var" / "inbox" / service
    prefix = "scan" if service == "scans" else "postal"
    with running(
        module,
        tmp_path,
        kafka_bootstrap=nowhere,
        inbox_stable_s="0.3",
        inbox_settle_s="0",
        **{f"{prefix}_metrics_port": str(metrics)},
        **extra,
    ) as log:
        scrape(metrics, log)  # up before the inbox is watched
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / name).write_bytes((shared_data / "ocr" / source).read_bytes())
        p = f"sportello_{service}"
        samples = eventually_scrape(
            metrics,
            log,
            lambda s: value(s, f"{p}_unit_attempts_total", outcome="broker_unavailable") >= 1,
        )
    assert value(samples, f"{p}_backlog_files") == 1
    assert value(samples, f"{p}_backlog_units") == 1
    assert value(samples, f"{p}_oldest_file_age_seconds") > 0
    assert value(samples, f"{p}_unit_seconds_count", outcome="broker_unavailable") >= 1
    assert value(samples, f"{p}_units_finished_total", outcome="processed") == 0
    assert value(samples, f"{p}_publish_failures_total") >= 1
    assert value(samples, f"{p}_publish_seconds_count", outcome="failed") >= 1
    assert value(samples, f"{p}_broker_available") == 0
    assert value(samples, f"{p}_up") == 1
    assert (inbox / name).exists(), "nothing acknowledged, so the file is still there"
