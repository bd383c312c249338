"""Delivery guarantees over real SMTP and the real broker: 451 while the broker is away
and one submission after the retry, redelivery recognised, fax gateways' mail read by OCR,
acknowledgements sent and replies to them turned into follow-ups."""

import asyncio
import email
import email.policy
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestors.smtp.intake import Fate
from ingestors.smtp.server import SmtpIntake
from schemas import topics
from schemas.events import AnyEvent, FollowUpReceived, SubmissionReceived
from tests.integration.smtp.conftest import (
    FAX,
    Recorder,
    RelaySink,
    RunningIntake,
    TopicReader,
    crlf,
    intake_settings,
    send,
)

pytestmark = pytest.mark.integration


def complaint(tag: str, *headers: str, sender: str = "maria.rossi@example.org") -> bytes:
    lines = (
        f"From: Maria Rossi <{sender}>",
        "To: reclami@sportello.local",
        f"Subject: Lampione spento {tag}",
        *headers,
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Il lampione di via Verdi 3 è spento da una settimana. ({tag})",
        "",
    )
    return "\r\n".join(lines).encode()


def readable(raw: bytes) -> str:
    """An acknowledgement's headers and decoded text, to search in."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return "\n".join(f"{k}: {v}" for k, v in message.items()) + "\n" + text


def submissions(found: list[tuple[str, str, AnyEvent]], tag: str) -> list[SubmissionReceived]:
    return [e for _t, _k, e in found if isinstance(e, SubmissionReceived) and tag in e.data.text]


async def test_broker_unavailable_gives_451_and_the_retry_is_stored_once(
    tmp_path: Path, kafka: str, intake: RunningIntake, topics_reader: TopicReader
) -> None:
    tag = uuid.uuid4().hex
    message = complaint(tag, f"Message-ID: <{tag}@example.org>")
    settings = intake_settings(
        tmp_path, "127.0.0.1:1", smtp_publish_timeout_s=1.0, smtp_parse_processes=0
    )
    marks = await topics_reader.mark(topics.INTAKE)
    brokerless = await SmtpIntake.start(settings, observer=Recorder())
    try:
        refused = await asyncio.to_thread(send, brokerless.port, [message])
    finally:
        await brokerless.stop()
    assert refused[0][0] == 451
    assert refused[0][1].startswith("4.3.0")

    accepted = await asyncio.to_thread(send, intake.port, [message])
    assert accepted[0][0] == 250

    found = await topics_reader.read(marks, lambda f: False, timeout_s=5)
    stored = submissions(found, tag)
    assert len(stored) == 1
    assert stored[0].data.idempotency_ref == f"message-id:<{tag}@example.org>"
    assert accepted[0][1] == f"2.0.0 OK: {stored[0].data.submission_id}"


async def test_a_redelivered_mail_is_the_same_submission(
    intake: RunningIntake, topics_reader: TopicReader, relay: tuple[RelaySink, int]
) -> None:
    tag = uuid.uuid4().hex
    message = complaint(tag)  # no Message-ID: identified by a digest of its bytes
    marks = await topics_reader.mark(topics.INTAKE)
    replies = await asyncio.to_thread(send, intake.port, [message, message])
    assert replies[0] == replies[1]
    found = await topics_reader.read(marks, lambda f: len(submissions(f, tag)) == 2)
    first, second = submissions(found, tag)
    assert first.data.submission_id == second.data.submission_id
    assert first.id == second.id  # the same fact: downstream dedup drops the second
    assert first.data.idempotency_ref.startswith("sha256:")
    await relay[0].wait_for(lambda m: tag in readable(m))
    await asyncio.sleep(0.5)
    assert sum(tag in readable(m) for _s, _r, m in relay[0].messages) == 1


async def test_the_acknowledgement_and_a_reply_to_it(
    intake: RunningIntake, topics_reader: TopicReader, relay: tuple[RelaySink, int]
) -> None:
    sink = relay[0]
    tag = uuid.uuid4().hex
    marks = await topics_reader.mark(topics.INTAKE)
    message = complaint(tag, f"Message-ID: <{tag}@example.org>", sender=f"{tag}@example.org")
    [(code, text)] = await asyncio.to_thread(
        send, intake.port, [message], mail_from=f"{tag}@example.org"
    )
    assert code == 250
    tracking_id = text.rsplit(" ", 1)[-1]

    raw_ack = await sink.wait_for(lambda m: f"<{tag}@example.org>" in readable(m))
    ack = email.message_from_bytes(raw_ack, policy=email.policy.default)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == f"<{tag}@example.org>"
    assert tracking_id in ack["Subject"]
    assert ack["To"] == f"{tag}@example.org"
    assert [m[0] for m in sink.messages if m[2] == raw_ack] == ["<>"]  # null reverse-path

    reply = (
        f"From: {tag}@example.org\r\nTo: reclami@sportello.local\r\n"
        f"Subject: Re: {ack['Subject']}\r\nIn-Reply-To: {ack['Message-ID']}\r\n"
        f"Message-ID: <reply-{tag}@example.org>\r\n\r\nEcco una foto del lampione ({tag}).\r\n"
    ).encode()
    vacation = (
        f"From: {tag}@example.org\r\nTo: reclami@sportello.local\r\n"
        f"Subject: Fuori ufficio\r\nAuto-Submitted: auto-replied\r\n"
        f"In-Reply-To: {ack['Message-ID']}\r\n\r\nSono in ferie ({tag}).\r\n"
    ).encode()
    replies = await asyncio.to_thread(
        send, intake.port, [reply, vacation], mail_from=f"{tag}@example.org"
    )
    assert [c for c, _ in replies] == [250, 250]
    assert "not a complaint (auto_reply)" in replies[1][1]

    def follow_ups(found: list[tuple[str, str, AnyEvent]]) -> list[tuple[str, FollowUpReceived]]:
        return [
            (k, e) for _t, k, e in found if isinstance(e, FollowUpReceived) and tag in e.data.text
        ]

    found = await topics_reader.read(marks, lambda f: len(follow_ups(f)) >= 1)
    [(key, follow_up)] = follow_ups(found)
    assert key == tracking_id == follow_up.subject == follow_up.data.tracking_id
    assert follow_up.data.idempotency_ref == f"message-id:<reply-{tag}@example.org>"
    assert follow_up.data.raw is not None
    assert len(submissions(found, tag)) == 1  # the complaint, and nothing for the replies
    await sink.wait_for(lambda m: f"<reply-{tag}@example.org>" in readable(m))
    await asyncio.sleep(0.5)
    assert not any("Fuori ufficio" in readable(m) for _s, _r, m in sink.messages)


async def _swaks(port: int, path: Path, to: str = FAX) -> str:
    process = await asyncio.create_subprocess_exec(
        "swaks",
        "--server",
        f"127.0.0.1:{port}",
        "--from",
        "faxgw@gw.example",
        "--to",
        to,
        "--data",
        f"@{path}",
        "--hide-all",
        "--timeout",
        "120",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    return (out + err).decode()


@pytest.mark.parametrize(
    ("sample", "number", "receipt"),
    [
        ("hylafax_faxrcvd_en_tif_pdf.eml", "+39 051 234 5678", "2026-12-03T15:38:55+00:00"),
        ("efax_faxmail.eml", "+39 051 2345678", "2026-12-03T15:39:12+01:00"),
    ],
)
async def test_fax_gateway_mail_becomes_a_fax_submission_read_by_ocr(
    sample: str,
    number: str,
    receipt: str,
    shared_data: Path,
    intake: RunningIntake,
    topics_reader: TopicReader,
) -> None:
    path = shared_data / "fax" / sample
    marks = await topics_reader.mark(topics.INTAKE)
    await _swaks(intake.port, path)
    # swaks sends the file with CRLF line ends and one more CRLF at the end.
    raw_digest = hashlib.sha256(crlf(path.read_bytes()) + b"\r\n").hexdigest()

    def faxes(found: list[tuple[str, str, AnyEvent]]) -> list[SubmissionReceived]:
        return [
            e
            for _t, _k, e in found
            if isinstance(e, SubmissionReceived)
            and e.data.raw is not None
            and e.data.raw.sha256 == raw_digest
        ]

    found = await topics_reader.read(marks, lambda f: bool(faxes(f)))
    submission = faxes(found)[0].data
    assert submission.channel == "fax"
    assert submission.channel_details["fax_number"] == number
    assert submission.citizen is not None
    assert submission.citizen.phone == number
    for word in ("lampione", "Garibaldi", "marciapiede", "illuminazione", "Rossi"):
        assert word in submission.text
    confidence = submission.channel_details["ocr_confidence"]
    assert isinstance(confidence, float)
    assert confidence > 80
    assert submission.channel_details["pages"] == 1
    assert any(a.media_type == "image/tiff" for a in submission.attachments)
    fax_time = datetime.fromisoformat(receipt)
    if submission.received_at - fax_time < timedelta(days=366):
        assert submission.legal_receipt_at == fax_time
    assert submission.legal_receipt_at <= datetime.now(UTC)


async def test_the_fax_administrator_copy_is_recorded_not_submitted(
    shared_data: Path, intake: RunningIntake
) -> None:
    before = intake.intake.handler.counters["not_complaint:fax_admin_copy"]
    await _swaks(intake.port, shared_data / "fax" / "hylafax_faxmaster_notice.eml")
    assert intake.intake.handler.counters["not_complaint:fax_admin_copy"] == before + 1
    outcomes = [
        o for v in intake.recorder.by_ref.values() for o in v if o.reason == "fax_admin_copy"
    ]
    assert outcomes
    assert outcomes[-1].fate is Fate.NOT_COMPLAINT
    assert outcomes[-1].reply.startswith("250 2.0.0 OK: received, not a complaint")
