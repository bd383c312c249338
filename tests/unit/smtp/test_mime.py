"""The pure MIME reader on every real message we have, and on the known traps."""

import email
import email.policy
from pathlib import Path

import pytest

from ingestors.smtp.mime import parse_message
from ingestors.smtp.text import decode_bytes, html_to_text
from tests.unit.smtp.corpus import corpus_files, corpus_id, cpython_email_corpus

CORPUS = corpus_files()


def test_the_corpus_is_all_there() -> None:
    assert cpython_email_corpus() is not None, "this interpreter has no `test` package"
    assert len(CORPUS) >= 103 + 2 + 4 + 48


@pytest.mark.parametrize("path", CORPUS, ids=corpus_id)
def test_every_message_reads_to_something(path: Path) -> None:
    mail = parse_message(path.read_bytes())
    # Clean Unicode everywhere: what we read can always be serialized.
    for _name, value in mail.headers:
        value.encode("utf-8")
    mail.text.encode("utf-8")
    for attachment in mail.attachments:
        assert attachment.media_type
        assert attachment.filename is None or len(attachment.filename) <= 255


def _trap(raw: bytes) -> type[Exception] | None:
    """The exception `email.policy.default` raises when reading this message, if any."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        for part in message.walk():
            if not part.is_multipart():
                part.get_content()
    except (KeyError, LookupError) as exc:
        return type(exc)
    return None


def test_messages_that_trip_the_standard_library_are_still_read() -> None:
    trapped = [p for p in CORPUS if _trap(p.read_bytes()) is not None]
    assert len(trapped) >= 16
    for path in trapped:
        mail = parse_message(path.read_bytes())
        assert mail.text or mail.attachments or mail.subject, corpus_id(path)


def _read(shared_data: Path, relative: str) -> bytes:
    return (shared_data / "email" / "mikel-mail" / relative).read_bytes()


def test_a_wrong_boundary_is_guessed_from_the_boundary_lines() -> None:
    folder = cpython_email_corpus()
    assert folder is not None
    # Declares boundary=BOUNDARY_ but its parts are separated by --BOUNDARY.
    mail = parse_message((folder / "msg_31.txt").read_bytes())
    assert mail.text == "message 1\n\nmessage 2"
    assert "boundary_guessed" in mail.repairs


def test_an_illegal_but_quoted_boundary_is_read(shared_data: Path) -> None:
    mail = parse_message(_read(shared_data, "mime_emails/raw_email_with_illegal_boundary.eml"))
    assert mail.text == "Hello\nThis is an outlook test\n\nSo there.\n\nMe."


def test_an_unknown_charset_falls_back_to_a_readable_text(shared_data: Path) -> None:
    mail = parse_message(_read(shared_data, "plain_emails/raw_email10.eml"))
    assert "Test test. Hi. Waving." in mail.text


def test_encoded_word_headers_in_any_charset(shared_data: Path) -> None:
    assert parse_message(_read(shared_data, "multi_charset/japanese.eml")).subject == "まみむめも"
    korean = parse_message(_read(shared_data, "multi_charset/ks_c_5601-1987.eml"))
    assert korean.text == "스티해"
    utf8 = parse_message(_read(shared_data, "rfc6532/utf8_headers.eml"))
    assert utf8.subject == "Säying Hello"


def test_rfc2231_and_encoded_file_names(shared_data: Path) -> None:
    mail = parse_message(_read(shared_data, "attachment_emails/attachment_nonascii_filename.eml"))
    assert [a.filename for a in mail.attachments] == ["ciële.txt"]
    long_name = parse_message(_read(shared_data, "multi_charset/japanese_attachment_long_name.eml"))
    assert long_name.attachments[0].filename is not None
    assert long_name.attachments[0].filename == "かきくけこ" * 5 + ".txt"


def test_rfc2231_parameters_from_the_cpython_corpus() -> None:
    folder = cpython_email_corpus()
    assert folder is not None
    raw = b"""\
Content-Type: application/x-stuff;
 title*0*=us-ascii'en'This%20is%20even%20more%20;
 title*1*=%2A%2A%2Afun%2A%2A%2A%20;
 title*2="isn't it!"
Content-Disposition: attachment; filename*=utf-8''r%C3%A9clamation.pdf
MIME-Version: 1.0

%PDF-1.4
"""
    mail = parse_message(raw)
    assert mail.attachments[0].filename == "réclamation.pdf"
    assert mail.attachments[0].media_type == "application/x-stuff"


def test_html_only_mail_becomes_text() -> None:
    raw = (
        b"From: a@b.example\r\nSubject: buca\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Una <b>buca</b> in via Roma"
        b"</p><ul><li>profonda</li><li>pericolosa &amp; grande</li></ul><script>x()</script>"
        b"</body></html>"
    )
    mail = parse_message(raw)
    assert mail.text == "Una buca in via Roma\n\n- profonda\n\n- pericolosa & grande"
    assert mail.html_only


def test_plain_alternative_is_preferred_over_html() -> None:
    raw = (
        b"From: a@b.example\r\nContent-Type: multipart/alternative; boundary=X\r\n\r\n"
        b"--X\r\nContent-Type: text/plain\r\n\r\nplain words\r\n"
        b"--X\r\nContent-Type: text/html\r\n\r\n<p>html words</p>\r\n--X--\r\n"
    )
    mail = parse_message(raw)
    assert mail.text == "plain words"
    assert not mail.html_only


def test_inline_images_are_attachments() -> None:
    raw = (
        b"From: a@b.example\r\nContent-Type: multipart/related; boundary=R\r\n\r\n"
        b"--R\r\nContent-Type: text/html\r\n\r\n<p>see <img src='cid:p1' alt='foto'></p>\r\n"
        b"--R\r\nContent-Type: image/png\r\nContent-ID: <p1>\r\nContent-Disposition: inline\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--R--\r\n"
    )
    mail = parse_message(raw)
    assert mail.text == "see [foto]"
    assert len(mail.attachments) == 1
    image = mail.attachments[0]
    assert (image.media_type, image.inline) == ("image/png", True)
    assert image.content == b"\x89PNG\r\n\x1a\n"


def test_headers_with_blanks_before_the_colon_are_read(shared_data: Path) -> None:
    mail = parse_message(_read(shared_data, "rfc2822/example13.eml"))
    assert mail.sender[1] == "jdoe@machine.example"
    assert "obsolete_header_syntax" in mail.repairs


def test_decoding_never_fails() -> None:
    assert decode_bytes("città".encode(), "x-unknown") == "città"
    assert decode_bytes("città".encode("cp1252"), "utf-8") == "città"
    assert decode_bytes(b"\xff\xfe", None) == "ÿþ"
    assert html_to_text("<p>unclosed <b>tags") == "unclosed tags"


def test_a_broken_byte_in_the_multipart_type_still_reads_the_parts() -> None:
    # Found by Hypothesis: a mangled real message whose Content-Type had a stray 0xFF.
    raw = (
        b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/\xff \r\n\tboundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nLa buca e' ancora li.\r\n--b1--\r\n"
    )
    mail = parse_message(raw)
    assert "buca" in mail.text
