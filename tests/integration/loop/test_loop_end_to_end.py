"""The whole loop, with every part real: a complaint posted to the web intake is opened and
routed by a worker, stored by the sink; its body acknowledges and resolves it over HTTP; the
notifier mails the citizen through a real SMTP server; the citizen's "not solved" link reopens
it; resolved again, the citizen's reply "NON RISOLTO" through the SMTP intake reopens it again.
The case's history in the store shows the notifications.

A Kafka broker of its own (a worker on the shared broker would process everyone's
submissions), a PostgreSQL database of its own (the notifier's ledger), one worker process;
the web intake, the sink, the notifier and the SMTP intake run in this process."""

import asyncio
import smtplib
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from ingestors.smtp.server import SmtpIntake
from ingestors.smtp.settings import SmtpSettings
from ingestors.web.settings import DEV_API_KEY
from schemas import topics
from schemas.case import CaseStatus
from sinks.postgres.read import CaseReader
from sinks.postgres.records import history_pattern
from sinks.postgres.sink import CaseSink
from sinks.postgres.store import CaseStore
from sinks.postgres.views import CaseView
from tests.integration.loop.mail import Relay, notifier_running
from tests.integration.loop.support import NOW, Web, web_running
from tests.integration.pipeline.support import (
    PrivateKafka,
    WorkerProcess,
    create_public_topics,
    prepare_app,
    start_worker,
    unique_app_id,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

STRADE_KEY = "k-strade-end-to-end"
SECRET = "loop-test-reopen-secret"  # the notifier's key is the same (tests.integration.loop.mail)


@pytest.fixture(scope="module")
async def private_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    broker = PrivateKafka(tmp_path_factory.mktemp("loop-kafka"))
    await broker.start()
    try:
        await create_public_topics(broker.bootstrap)
        yield broker.bootstrap
    finally:
        await broker.stop()


@pytest.fixture(scope="module")
async def worker(
    private_kafka: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkerProcess]:
    app_id = unique_app_id("loop")
    await prepare_app(private_kafka, app_id)
    proc = start_worker(private_kafka, app_id, tmp_path_factory.mktemp("loop-worker"), "worker")
    try:
        await proc.ready(timeout=120)
        await eventually(lambda: _settled(proc), timeout=60)
        yield proc
    finally:
        proc.stop()


async def _settled(proc: WorkerProcess) -> bool:
    return proc.settled()


@pytest.fixture
async def sink(private_kafka: str, db: asyncpg.Pool) -> AsyncIterator[None]:
    consumer = CaseSink.consumer(
        private_kafka, f"loop-sink-{uuid.uuid4().hex[:6]}", pattern=history_pattern()
    )
    await consumer.start()
    sink = CaseSink(consumer, CaseStore(db), poll_ms=100)
    stop = asyncio.Event()
    task = asyncio.create_task(sink.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        sink.close()
        await consumer.stop()


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action") or ""
        elif tag in ("input", "textarea") and a.get("name"):
            self.fields[a["name"] or ""] = a.get("value") or ""


async def stored(
    reader: CaseReader, tracking_id: str, status: CaseStatus, *, version: int = 0
) -> CaseView:
    """The case once the store shows it in `status` at a version above `version`."""

    async def probe() -> CaseView | None:
        case = await reader.case_by_tracking_id(tracking_id)
        ok = case and case.snapshot.status is status and case.snapshot.version > version
        return case if ok else None

    found = await eventually(probe, timeout=60, interval=0.3)
    assert found is not None
    return found


async def report(web: Web, case_id: str, transition: str, **kw: Any) -> dict[str, Any]:
    body = {
        "case_id": case_id,
        "transition": transition,
        "body": "strade",
        "reported_at": NOW.isoformat(),
        **kw,
    }
    status, _, answer = await web.report(case_id, body, key=STRADE_KEY)
    assert status == 202, answer
    return answer  # type: ignore[no-any-return]


def mail_to_intake(port: int, sender: str, raw: bytes) -> dict[str, tuple[int, bytes]]:
    """Send as the citizen's mail server would (blocking: run it in a thread, the intake
    answers from this test's event loop)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail(sender, ["reclami@sportello.local"], raw)


def reply_to(notice: EmailMessage, citizen: str, text: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = f"Giulia Bianchi <{citizen}>"
    reply["To"] = "reclami@sportello.local"
    reply["Subject"] = "Re: " + str(notice["Subject"])
    reply["Message-ID"] = f"<reply-{uuid.uuid4().hex}@example.org>"
    reply["In-Reply-To"] = notice["Message-ID"].strip()
    reply["References"] = notice["Message-ID"].strip()
    quoted = "\n".join("> " + line for line in notice.get_content().splitlines())
    reply.set_content(f"{text}\n\nIl giorno ieri Sportello ha scritto:\n{quoted}\n")
    return bytes(reply)


async def test_a_complaint_goes_round_the_loop_and_the_citizen_reopens_it_twice(
    private_kafka: str,
    worker: WorkerProcess,
    sink: None,
    db: asyncpg.Pool,
    relay: Relay,
    tmp_path: Path,
) -> None:
    citizen = f"giulia.{uuid.uuid4().hex[:8]}@example.org"
    reader = CaseReader(db)
    async with (
        web_running(
            private_kafka,
            pool=db,
            var_dir=tmp_path / "web",
            body_keys={"strade": STRADE_KEY},
            reopen_secret=SECRET,
        ) as web,
        notifier_running(
            private_kafka,
            db,
            relay.config,
            cases_topic=topics.CASES,
            notifications_topic=topics.NOTIFICATIONS,
            group=f"loop-notifier-{uuid.uuid4().hex[:6]}",
            public_url=web.url,
        ) as notifier,
    ):
        smtp = await SmtpIntake.start(
            SmtpSettings(
                smtp_port=0,
                var_dir=tmp_path / "smtp",
                kafka_bootstrap=private_kafka,
                smtp_parse_processes=0,
            )
        )
        try:
            await _round_the_loop(web, reader, relay, smtp, citizen, worker)
        finally:
            await smtp.stop()
        assert notifier.sent == 2


async def _round_the_loop(
    web: Web,
    reader: CaseReader,
    relay: Relay,
    smtp: SmtpIntake,
    citizen: str,
    worker: WorkerProcess,
) -> None:
    # The complaint, by the web intake; the worker opens the case and assigns it.
    status, _, posted = await web.request(
        "POST",
        "/v1/complaints",
        key=DEV_API_KEY,
        json={
            "text": "Buca profonda davanti al civico 12 di via Tortona, pericolosa per le bici",
            "category_hint": "buche_stradali",
            "citizen": {"name": "Giulia Bianchi", "email": citizen},
        },
    )
    assert status == 202, posted
    tracking_id = posted["tracking_id"]
    try:
        case = await stored(reader, tracking_id, CaseStatus.ASSIGNED)
    except AssertionError:
        raise AssertionError("not assigned; " + worker.text()[-3000:]) from None
    case_id = case.case_id
    assert case.snapshot.body == "strade"

    # The body, over HTTP: acknowledged, then resolved with its answer to the citizen.
    assert (await report(web, case_id, "acknowledge"))["status"] == "acknowledged"
    case = await stored(reader, tracking_id, CaseStatus.ACKNOWLEDGED)
    answer = await report(web, case_id, "resolve", note_for_citizen="Buca chiusa il 12 marzo.")
    assert answer["status"] == "resolved"
    case = await stored(reader, tracking_id, CaseStatus.RESOLVED)
    assert case.snapshot.answer is not None

    # The citizen is told, with the link.
    notice = await relay.wait_for(lambda m: m["To"] == citizen, timeout=30)
    text = notice.get_content()
    assert tracking_id in notice["Subject"] and "Buca chiusa il 12 marzo." in text
    link = next(line.strip() for line in text.splitlines() if "/reopen?token=" in line)
    url = urlsplit(link)
    assert f"{url.scheme}://{url.netloc}" == web.url

    # "Not solved" by the link: the page asks, its form reopens.
    status, _, page = await web.request("GET", f"{url.path}?{url.query}")
    assert status == 200, page
    form = _Form()
    form.feed(page)
    status, _, done = await web.request(
        "POST", form.action, data={**form.fields, "text": "La buca è ancora lì"}
    )
    assert status == 202, done
    case = await stored(reader, tracking_id, CaseStatus.ASSIGNED, version=case.snapshot.version)
    assert case.snapshot.answer is None

    # Resolved again; the second notice; the citizen replies "NON RISOLTO" by mail.
    await report(web, case_id, "start")
    # The answer is decided on the stored state: the next report waits until the store shows
    # the last one applied (sent at once, it would meet 409 from "assigned", as documented).
    case = await stored(reader, tracking_id, CaseStatus.IN_PROGRESS)
    await report(web, case_id, "resolve", note_for_citizen="Ora asfaltata del tutto.")
    case = await stored(reader, tracking_id, CaseStatus.RESOLVED, version=case.snapshot.version)
    second = await relay.wait_for(
        lambda m: m["To"] == citizen and "Ora asfaltata" in m.get_content(), timeout=30
    )
    assert second["Message-ID"] != notice["Message-ID"]
    raw = reply_to(second, citizen, "NON RISOLTO: sull'asfalto nuovo c'è già un'altra buca")
    refused = await asyncio.to_thread(mail_to_intake, smtp.port, citizen, raw)
    assert refused == {}
    case = await stored(reader, tracking_id, CaseStatus.ASSIGNED, version=case.snapshot.version)

    # The store's history shows both notices, the link's reopen and the reply's.
    history = await reader.case_history(case_id)
    assert history is not None
    notified = [i for i in history.items if i.type == "sportello.case.notified"]
    assert [i.event.data.delivered for i in notified] == [True, True]
    assert all("told by email" in i.summary for i in notified)
    reopens = [
        i
        for i in history.items
        if i.type == "sportello.case.status" and i.event.data.transition.value == "reopen"
    ]
    assert len(reopens) == 1, "the link's reopen (the reply's is the follow-up's doing)"
    assert any(i.type == "sportello.followup.received" for i in history.items)
    statuses = [
        i.event.data.status.value for i in history.items if i.type == "sportello.case.updated"
    ]
    assert statuses.count("resolved") == 2 and statuses[-1] == "assigned"
