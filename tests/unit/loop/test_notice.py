"""Which snapshot is notified, and the mail that tells the citizen."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from ingestors.smtp.hygiene import referenced_tracking_id
from ingestors.smtp.mime import parse_message
from schemas.case import CaseAnswer, CaseSnapshot, CaseStatus
from schemas.submission import Channel, Citizen
from sinks.notify.message import build_notice, notice_message_id
from sinks.notify.notifier import Composer
from sinks.notify.plan import notice_for

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def snapshot(
    status: CaseStatus = CaseStatus.RESOLVED,
    *,
    email: str | None = "giulia@example.org",
    answered_at: datetime = NOW - timedelta(hours=1),
    seq: int = 4,
    outcome: CaseStatus | None = None,
    answer: bool = True,
) -> CaseSnapshot:
    return CaseSnapshot(
        case_id="CASE-AAAA-BBBB-CCCC",
        version=5,
        status=status,
        tracking_ids=("SP-AAAA-BBBB-CCCC", "SP-DDDD-EEEE-FFFF"),
        channels=(Channel.WEB,),
        opened_at=NOW - 3 * DAY,
        legal_receipt_at=NOW - 3 * DAY,
        updated_at=answered_at,
        text="Buca in via Tortona",
        citizen=Citizen(name="Giulia", email=email) if email else None,
        body="strade",
        answer=CaseAnswer(
            seq=seq,
            outcome=outcome or status,
            text="Buca chiusa.\nGrazie della segnalazione.",
            body="strade",
            answered_at=answered_at,
        )
        if answer
        else None,
    )


def test_a_resolved_or_rejected_case_with_an_email_is_one_notice_per_answer() -> None:
    for status in (CaseStatus.RESOLVED, CaseStatus.REJECTED):
        notice = notice_for(snapshot(status), now=NOW, max_age=DAY)
        assert notice is not None
        assert notice.notification_id == "CASE-AAAA-BBBB-CCCC/answer/4"
        assert (notice.to, notice.tracking_id) == ("giulia@example.org", "SP-AAAA-BBBB-CCCC")
    later = notice_for(snapshot(seq=9), now=NOW, max_age=DAY)
    assert later is not None and later.notification_id.endswith("/answer/9")


def test_nothing_to_tell_nobody_to_tell_or_too_old_is_no_notice() -> None:
    assert notice_for(snapshot(CaseStatus.IN_PROGRESS, answer=False), now=NOW, max_age=DAY) is None
    assert notice_for(snapshot(answer=False), now=NOW, max_age=DAY) is None
    assert notice_for(snapshot(email=None), now=NOW, max_age=DAY) is None
    closed = snapshot(CaseStatus.CLOSED, outcome=CaseStatus.RESOLVED)
    assert notice_for(closed, now=NOW, max_age=DAY) is None
    old = snapshot(answered_at=NOW - 2 * DAY)
    assert notice_for(old, now=NOW, max_age=DAY) is None


def composer(link_key: bytes | None) -> Composer:
    return Composer(
        sender="reclami@comune.example",
        domain="comune.example",
        public_url="https://reclami.comune.example/",
        link_key=link_key,
        link_validity=30 * DAY,
        body_names={"strade": "Strade e viabilità"},
    )


def test_the_mail_says_the_number_the_answer_and_how_to_contest_it() -> None:
    notice = notice_for(snapshot(), now=NOW, max_age=DAY)
    assert notice is not None
    message, link = composer(b"key")(notice, NOW)
    assert link
    text = message.get_content()
    assert "SP-AAAA-BBBB-CCCC" in message["Subject"]
    assert "risolta" in message["Subject"]
    assert "    Buca chiusa.\n    Grazie della segnalazione." in text
    assert "Strade e viabilità" in text
    assert "NON RISOLTO" in text and "NOT SOLVED" in text
    assert "https://reclami.comune.example/complaints/SP-AAAA-BBBB-CCCC" in text
    assert "https://reclami.comune.example/v1/cases/CASE-AAAA-BBBB-CCCC/reopen?token=4." in text
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == notice_message_id(notice, "comune.example")
    again, _ = composer(b"key")(notice, NOW + DAY)
    assert again["Message-ID"] == message["Message-ID"], "a resend is the same message"


def test_without_a_link_key_the_mail_offers_the_reply_only() -> None:
    notice = notice_for(snapshot(CaseStatus.REJECTED), now=NOW, max_age=DAY)
    assert notice is not None
    message, link = composer(None)(notice, NOW)
    assert not link
    assert "/reopen" not in message.get_content()
    assert "respinta" in message["Subject"]


def test_a_reply_to_the_notice_is_a_follow_up_of_its_tracking_number() -> None:
    notice = notice_for(snapshot(), now=NOW, max_age=DAY)
    assert notice is not None
    sent = build_notice(
        notice,
        sender="reclami@comune.example",
        domain="comune.example",
        now=NOW,
        body_name=None,
        status_url="https://x/complaints/SP-AAAA-BBBB-CCCC",
        reopen_url=None,
    )
    reply = (
        "From: Giulia <giulia@example.org>\r\nTo: reclami@comune.example\r\n"
        "Subject: Re: la mia segnalazione\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\n\r\nNON RISOLTO\r\n"
    ).encode()
    assert message_from_bytes(reply, policy=policy.default)["In-Reply-To"] == sent["Message-ID"]
    assert referenced_tracking_id(parse_message(reply)) == "SP-AAAA-BBBB-CCCC"
