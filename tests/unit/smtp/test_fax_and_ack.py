"""Fax gateway configuration, the year of efax's stamps, Tesseract's TSV, and the
acknowledgement mail."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestors.smtp.ack import AckRequest, ack_message_id, build_ack
from ingestors.smtp.fax import load_gateways, read_fax
from ingestors.smtp.fax_ocr import parse_tsv
from ingestors.smtp.hygiene import referenced_tracking_id
from ingestors.smtp.mime import parse_message
from ingestors.smtp.settings import SmtpSettings

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)


def test_the_shipped_gateways_cover_the_common_fax_servers() -> None:
    names = {g.name for g in load_gateways()}
    assert {"hylafax", "efax", "mgetty", "freepbx", "efax-service"} <= names


def test_a_gateway_file_can_replace_the_shipped_one(tmp_path: Path) -> None:
    custom = tmp_path / "gateways.toml"
    custom.write_text(
        "[[gateway]]\nname = 'city-pbx'\nsenders = ['^fax@pbx\\.comune\\.example$']\n"
        "subjects = []\nfields = ['Da: (?P<number>\\+?[0-9 ]+)']\n",
        encoding="utf-8",
    )
    gateways = load_gateways(custom)
    message = parse_message(b"From: fax@pbx.comune.example\r\n\r\nDa: +39 02 1234\r\n")
    fax = read_fax(message, "", gateways, NOW)
    assert fax is not None
    assert (fax.gateway, fax.number) == ("city-pbx", "+39 02 1234")
    assert read_fax(parse_message(b"From: a@b.example\r\n\r\nhi\r\n"), "", gateways, NOW) is None


def test_a_malformed_gateway_file_is_refused_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[gateway]]\nname = 'x'\nsubjects = ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="fax gateway file"):
        load_gateways(bad)


@pytest.mark.parametrize(
    ("subject", "number", "pages"),
    [
        ('Fax received from "+39 02 555 1234"', "+39 02 555 1234", None),
        ("incoming fax from +390255512 (3 pages)", "+390255512", 3),
        ("New fax from: Mario Bianchi <+39 02 5551234>", "+39 02 5551234", None),
        ('eFax from "Studio Verdi" - 2 page(s), Caller-ID: +39025551234', "+39025551234", 2),
    ],
)
def test_subject_patterns(subject: str, number: str, pages: int | None) -> None:
    message = parse_message(f"From: gw@example.net\r\nSubject: {subject}\r\n\r\n.\r\n".encode())
    fax = read_fax(message, "gw@example.net", load_gateways(), NOW)
    assert fax is not None
    assert (fax.number, fax.pages) == (number, pages)


def test_an_efax_stamp_from_last_december_belongs_to_last_year() -> None:
    message = parse_message(b"Subject: fax/message from 123 : 1231235959.001\r\n\r\nx\r\n")
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    fax = read_fax(message, "", load_gateways(), new_year)
    assert fax is not None
    assert fax.received_at is not None
    assert fax.received_at.year == 2026


def test_a_gateway_clock_in_the_future_is_not_believed() -> None:
    message = parse_message(
        b'From: FaxMaster\r\nSubject: Fax received from "1"\r\n\r\n'
        b"   Received: 2031:01:01 10:00:00 UTC\r\n"
    )
    fax = read_fax(message, "", load_gateways(), NOW)
    assert fax is not None
    assert fax.received_at is None


def test_tesseract_tsv_is_read_into_lines_and_paragraphs() -> None:
    rows = [
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
        "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t",
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t96.5\tBuca",
        "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t90.5\tprofonda",
        "5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t80\tvia",
        "5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t70\tFirma",
        "5\t2\t1\t1\t1\t1\t0\t0\t1\t1\t60\tpagina2",
    ]
    text, confidences, pages = parse_tsv("\n".join(rows) + "\n")
    assert text == "Buca profonda\nvia\n\nFirma\n\npagina2"
    assert confidences == [96.5, 90.5, 80.0, 70.0, 60.0]
    assert pages == 2


def test_the_acknowledgement_cannot_start_a_loop_and_names_the_case() -> None:
    request = AckRequest(
        to="maria.rossi@example.it",
        tracking_id="SP-7K3M-9QXD-2B4F",
        ref="message-id:<abc@example.it>",
        in_reply_to="<abc@example.it>",
        subject="Buca in via Roma",
    )
    ack = build_ack(request, sender="reclami@sportello.local", domain="sportello.local", now=NOW)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<abc@example.it>"
    assert ack["References"] == "<abc@example.it>"
    assert "SP-7K3M-9QXD-2B4F" in ack["Subject"]
    assert "SP-7K3M-9QXD-2B4F" in ack.get_content()
    assert ack["Message-ID"] == ack_message_id(request.tracking_id, request.ref, "sportello.local")
    reply = parse_message(
        f"From: maria.rossi@example.it\r\nSubject: Re: ciao\r\nIn-Reply-To: {ack['Message-ID']}"
        "\r\n\r\naltre foto\r\n".encode()
    )
    assert referenced_tracking_id(reply) == "SP-7K3M-9QXD-2B4F"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SPORTELLO_SMTP_PORT": "2626",
        "SPORTELLO_SMTP_COMPLAINT_RECIPIENTS": '["urp@comune.example"]',
        "SPORTELLO_SMTP_AUTH_USERS": '{"gateway": "s3cret"}',
        "SPORTELLO_SMTP_RELAY_HOST": "relay.comune.example",
        "SPORTELLO_KAFKA_BOOTSTRAP": "k1:9092",
    }.items():
        monkeypatch.setenv(name, value)
    settings = SmtpSettings()
    assert settings.smtp_port == 2626
    assert settings.smtp_complaint_recipients == ("urp@comune.example",)
    assert settings.smtp_auth_users["gateway"].get_secret_value() == "s3cret"
    assert settings.smtp_relay_host == "relay.comune.example"
    assert settings.kafka_bootstrap == "k1:9092"
    for name in ("SPORTELLO_SMTP_PORT", "SPORTELLO_SMTP_COMPLAINT_RECIPIENTS"):
        monkeypatch.delenv(name)
    defaults = SmtpSettings()
    assert (defaults.smtp_host, defaults.smtp_port) == ("127.0.0.1", 2525)
    assert defaults.smtp_fax_recipients == ("fax@sportello.local",)
