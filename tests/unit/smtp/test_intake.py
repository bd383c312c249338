"""The fate of each mail, decided in one place, on real and hand-made messages."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestors.smtp.ack import ack_message_id
from ingestors.smtp.fax import load_gateways
from ingestors.smtp.intake import Envelope, Fate, Reading, idempotency_ref, interpret
from ingestors.smtp.mime import parse_message
from tests.unit.smtp.corpus import corpus_files, corpus_id

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
GATEWAYS = load_gateways()
CITIZEN = Envelope("maria.rossi@example.it", ("reclami@sportello.local",))


def read(raw: bytes, envelope: Envelope = CITIZEN) -> Reading:
    return interpret(raw, envelope, received_at=NOW, gateways=GATEWAYS)


def mail(*headers: str, body: str = "La buca in via Roma è ancora lì.") -> bytes:
    head = "\r\n".join(("From: Maria Rossi <maria.rossi@example.it>", *headers))
    return f"{head}\r\n\r\n{body}\r\n".encode()


@pytest.mark.parametrize("path", corpus_files(), ids=corpus_id)
def test_every_corpus_message_has_a_fate(path: Path) -> None:
    reading = read(path.read_bytes())
    assert reading.ref
    if reading.fate in (Fate.COMPLAINT, Fate.FOLLOW_UP) and reading.fax is None:
        assert reading.text
    if reading.fate is Fate.DEAD_LETTER:
        assert reading.reason in {"empty_message", "unreadable", "fax_without_pages"}


def test_a_plain_complaint() -> None:
    reading = read(mail("Subject: Buca", "Message-ID: <abc@example.it>"))
    assert reading.fate is Fate.COMPLAINT
    assert reading.text == "La buca in via Roma è ancora lì."
    assert reading.sender_email == "maria.rossi@example.it"
    assert reading.answer_to == "maria.rossi@example.it"
    assert reading.ref == "message-id:<abc@example.it>"


def test_without_message_id_the_ref_is_a_digest_that_ignores_line_ends() -> None:
    crlf = mail("Subject: Buca")
    assert idempotency_ref(crlf, parse_message(crlf)).startswith("sha256:")
    lf = crlf.replace(b"\r\n", b"\n")
    assert idempotency_ref(crlf, parse_message(crlf)) == idempotency_ref(lf, parse_message(lf))
    assert idempotency_ref(crlf, None) != idempotency_ref(crlf + b"x", None)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (("Auto-Submitted: auto-replied", "Subject: Re: Buca"), "auto_reply"),
        (("Auto-Submitted: auto-generated",), "auto_reply"),
        (("Precedence: bulk", "Subject: Newsletter"), "bulk"),
        (("Precedence: junk",), "bulk"),
        (("Precedence: list",), "bulk"),
        (("X-Autoreply: yes", "Subject: Re: Buca"), "auto_reply"),
        (("Subject: Risposta automatica: Buca",), "auto_reply"),
        (("Subject: Automatic reply: Buca",), "auto_reply"),
        (("Subject: Out of Office: back on Monday",), "auto_reply"),
    ],
)
def test_auto_replies_and_bulk_mail_are_not_complaints(
    headers: tuple[str, ...], reason: str
) -> None:
    reading = read(mail(*headers))
    assert (reading.fate, reading.reason) == (Fate.NOT_COMPLAINT, reason)
    assert reading.answer_to is None


def test_auto_submitted_no_is_a_person() -> None:
    assert read(mail("Auto-Submitted: no", "Subject: Buca")).fate is Fate.COMPLAINT


def test_a_complaint_whose_subject_starts_like_a_bounce_is_still_a_complaint() -> None:
    reading = read(mail("Subject: Mancata consegna del pacco", "Message-ID: <p@x>"))
    assert reading.fate is Fate.COMPLAINT


def test_null_sender_and_mailer_daemon_are_bounces() -> None:
    null = read(mail("Subject: Undelivered Mail"), Envelope("", ("reclami@sportello.local",)))
    assert (null.fate, null.reason) == (Fate.NOT_COMPLAINT, "bounce")
    daemon = read(
        b"From: MAILER-DAEMON@mx.example\r\nSubject: failure notice\r\n\r\nsorry\r\n",
        Envelope("postmaster@mx.example", ("reclami@sportello.local",)),
    )
    assert (daemon.fate, daemon.reason) == (Fate.NOT_COMPLAINT, "bounce")


def test_delivery_reports_from_the_corpus(shared_data: Path) -> None:
    folder = shared_data / "email" / "mikel-mail" / "multipart_report_emails"
    for path in sorted(folder.glob("*.eml")):
        reading = read(path.read_bytes(), Envelope("x@y.example", ("reclami@sportello.local",)))
        assert (reading.fate, reading.reason) == (Fate.NOT_COMPLAINT, "delivery_report"), path


def test_list_mail_is_a_complaint_but_never_answered() -> None:
    reading = read(mail("List-Id: <quartiere.lists.example>", "Subject: Buca"))
    assert reading.fate is Fate.COMPLAINT
    assert reading.answer_to is None


def test_a_reply_to_an_acknowledgement_is_a_follow_up() -> None:
    ack_id = ack_message_id("SP-7K3M-9QXD-2B4F", "message-id:<abc@example.it>", "sportello.local")
    reading = read(mail("Subject: Re: Reclamo ricevuto", f"In-Reply-To: {ack_id}"))
    assert (reading.fate, reading.follow_up_of) == (Fate.FOLLOW_UP, "SP-7K3M-9QXD-2B4F")
    by_references = read(mail("Subject: altro", f"References: <a@b> {ack_id}"))
    assert by_references.follow_up_of == "SP-7K3M-9QXD-2B4F"


def test_a_tracking_number_in_the_subject_is_a_follow_up() -> None:
    reading = read(mail("Subject: Pratica SP-7K3M-9QXD-2B4F: nuove foto"))
    assert (reading.fate, reading.follow_up_of) == (Fate.FOLLOW_UP, "SP-7K3M-9QXD-2B4F")


def test_an_auto_reply_to_an_acknowledgement_is_not_a_follow_up() -> None:
    reading = read(
        mail("Subject: Auto: Reclamo ricevuto - SP-7K3M-9QXD-2B4F", "Auto-Submitted: auto-replied")
    )
    assert reading.fate is Fate.NOT_COMPLAINT


def test_empty_and_unreadable_mail_are_dead_letters() -> None:
    assert read(b"From: a@b.example\r\n\r\n\r\n").reason == "empty_message"
    garbage = bytes(range(256)) * 4
    assert read(b"From: a@b.example\r\n\r\n" + garbage.replace(b"\n", b"")).fate in (
        Fate.DEAD_LETTER,
        Fate.COMPLAINT,
    )
    control = b"From: a@b.example\r\n\r\n" + b"\x01\x02\x03\x04\x05\x06" * 100
    assert read(control).reason == "unreadable"


def test_subject_only_and_attachment_only_mail_still_say_something(shared_data: Path) -> None:
    assert read(mail("Subject: Lampione spento", body="")).text == "Lampione spento"
    only = shared_data / "email" / "mikel-mail" / "attachment_emails" / "attachment_only_email.eml"
    reading = read(only.read_bytes())
    assert reading.fate is Fate.COMPLAINT
    assert reading.text == "this message JUST contains an attachment"
    assert len(reading.attachments) == 1
    no_subject = b"From: a@b.example\r\nContent-Type: image/png; name=buca.png\r\n\r\nPNG\r\n"
    assert read(no_subject).text == "(no text; 1 attachment(s): buca.png)"


def test_hylafax_mail_is_a_fax_complaint(shared_data: Path) -> None:
    raw = (shared_data / "fax" / "hylafax_faxrcvd_en_tif_pdf.eml").read_bytes()
    reading = read(raw, Envelope("fax@gw.example", ("fax@sportello.local",)))
    assert reading.fate is Fate.COMPLAINT
    assert reading.channel == "fax"
    assert reading.fax is not None
    assert reading.details["fax_number"] == "+39 051 234 5678"
    assert reading.details["pages"] == 1
    assert reading.fax.received_at == datetime(2026, 12, 3, 15, 38, 55, tzinfo=UTC)
    assert [a.media_type for a in reading.fax.page_files] == ["image/tiff", "application/pdf"]
    assert reading.answer_to is None


def test_efax_mail_is_a_fax_complaint(shared_data: Path) -> None:
    raw = (shared_data / "fax" / "efax_faxmail.eml").read_bytes()
    reading = read(raw, Envelope("fax@gw.example", ("fax@sportello.local",)))
    assert (reading.fate, reading.channel) == (Fate.COMPLAINT, "fax")
    assert reading.details["fax_number"] == "+39 051 2345678"
    assert reading.details["fax_received_at"] == "2026-12-03T15:39:12+01:00"


def test_the_hylafax_administrator_copy_is_not_a_complaint(shared_data: Path) -> None:
    raw = (shared_data / "fax" / "hylafax_faxmaster_notice.eml").read_bytes()
    reading = read(raw, Envelope("fax@gw.example", ("fax@sportello.local",)))
    assert (reading.fate, reading.reason) == (Fate.NOT_COMPLAINT, "fax_admin_copy")


def test_a_fax_notice_without_its_pages_goes_to_an_operator(shared_data: Path) -> None:
    raw = (shared_data / "fax" / "rightfax_style_notice.eml").read_bytes()
    reading = read(raw)
    assert (reading.fate, reading.reason) == (Fate.DEAD_LETTER, "fax_without_pages")
