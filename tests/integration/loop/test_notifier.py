"""The citizen notifier against the real broker, a real PostgreSQL (its ledger) and a real
SMTP server as the relay: one mail per answer, whatever is replayed or restarted; a refusal
for good is recorded and passed; a relay that is down holds the notice until it is back."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import TopicPartition

from runtime.publisher import Publisher
from schemas.case import CaseAnswer, CaseSnapshot, CaseStatus, case_id_for
from schemas.events import CaseUpdated, CitizenNotified, decode_event
from schemas.submission import Channel, Citizen, tracking_id_for
from sinks.notify.links import Grant, verify
from tests.integration.loop.mail import REOPEN_KEY, LoopTopics, Relay, notifier_running
from tests.support import eventually, read_until

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def snapshot(
    status: CaseStatus = CaseStatus.RESOLVED,
    *,
    email: str | None,
    seq: int = 5,
    version: int = 6,
    answered_at: datetime = NOW - timedelta(minutes=5),
    text: str = "Buca chiusa il 10 marzo",
) -> CaseSnapshot:
    tracking_id = tracking_id_for(Channel.EMAIL, f"notifier-test-{uuid.uuid4().hex}")
    answered = status in (CaseStatus.RESOLVED, CaseStatus.REJECTED)
    return CaseSnapshot(
        case_id=case_id_for(tracking_id),
        version=version,
        status=status,
        tracking_ids=(tracking_id,),
        channels=(Channel.EMAIL,),
        opened_at=NOW - timedelta(days=3),
        legal_receipt_at=NOW - timedelta(days=3),
        updated_at=answered_at,
        text="Buca in via Tortona",
        citizen=Citizen(name="Giulia", email=email) if email else None,
        body="strade",
        answer=CaseAnswer(
            seq=seq, outcome=status, text=text, body="strade", answered_at=answered_at
        )
        if answered
        else None,
    )


def email_of(s: CaseSnapshot) -> str:
    assert s.citizen is not None and s.citizen.email is not None
    return s.citizen.email


def again(s: CaseSnapshot, **changes: Any) -> CaseSnapshot:
    return s.model_copy(update={"version": s.version + 1, **changes})


async def publish(bootstrap: str, topic: str, *snapshots: CaseSnapshot) -> None:
    publisher = Publisher(bootstrap, client_id="test-loop-cases")
    await publisher.start()
    try:
        for s in snapshots:
            event = CaseUpdated.new(
                s,
                source="/tests",
                subject=s.case_id,
                time=s.updated_at,
                event_id=f"{s.case_id}@{s.version}",
            )
            await publisher.publish(topic, event)
    finally:
        await publisher.stop()


async def notified(bootstrap: str, topic: str, until: str) -> list[CitizenNotified]:
    records = await read_until(
        bootstrap,
        {TopicPartition(topic, 0): 0},
        lambda rs: any(decode_event(r.value).id == until for r in rs),
    )
    events = [decode_event(r.value) for r in records]
    assert all(isinstance(e, CitizenNotified) for e in events)
    return events  # type: ignore[return-value]


async def ledger_row(db: asyncpg.Pool, notification_id: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "select * from citizen_notifications where notification_id = $1", notification_id
    )


async def test_one_mail_per_answer_across_replays_and_restarts(
    kafka_bootstrap: str, db: asyncpg.Pool, loop_topics: LoopTopics, relay: Relay
) -> None:
    t = loop_topics
    citizen = f"giulia.{uuid.uuid4().hex[:8]}@example.org"
    resolved = snapshot(email=citizen)
    no_email = snapshot(email=None)
    in_progress = snapshot(CaseStatus.IN_PROGRESS, email=f"x{citizen}")
    too_old = snapshot(email=f"old{citizen}", answered_at=NOW - timedelta(days=10))
    sentinel = snapshot(email=f"sentinel{citizen}")
    group = f"loop-notifier-{uuid.uuid4().hex[:8]}"
    kw: dict[str, Any] = {
        "cases_topic": t.cases,
        "notifications_topic": t.notifications,
        "group": group,
    }

    async with notifier_running(kafka_bootstrap, db, relay.config, **kw):
        await publish(kafka_bootstrap, t.cases, no_email, in_progress, too_old, resolved)
        mail = await relay.wait_for(lambda m: m["To"] == citizen)
        # The same answer again: the snapshot republished, and a later version (a merge).
        await publish(kafka_bootstrap, t.cases, resolved, again(resolved), sentinel)
        await relay.wait_for(lambda m: m["To"] == email_of(sentinel))

    assert [m["To"] for m in relay.mails] == [citizen, email_of(sentinel)]
    text = mail.get_content()
    assert resolved.tracking_ids[0] in mail["Subject"]
    assert "Buca chiusa il 10 marzo" in text
    assert "NON RISOLTO" in text
    link = next(line for line in text.splitlines() if "/reopen?token=" in line)
    token = link.split("token=", 1)[1]
    assert isinstance(verify(REOPEN_KEY, resolved.case_id, token, now=NOW), Grant)
    assert (
        mail["Message-ID"].strip() == f"<sportello-notice.{resolved.tracking_ids[0]}.5@comune.test>"
    )

    notice_id = f"{resolved.case_id}/answer/5"
    events = await notified(kafka_bootstrap, t.notifications, until=sentinel.case_id + "/answer/5")
    [event] = [e for e in events if e.id == notice_id]
    assert event.subject == resolved.case_id
    assert event.data.delivered and event.data.reopen_link
    assert event.data.message_id == mail["Message-ID"].strip()
    row = await ledger_row(db, notice_id)
    assert row is not None
    assert (row["state"], row["published_at"] is not None) == ("sent", True)

    # A restart of the same group, and a new group reading everything from the start: the
    # ledger remembers, nobody is mailed again.
    for group_now in (group, group + "-new"):
        async with notifier_running(
            kafka_bootstrap, db, relay.config, **{**kw, "group": group_now}
        ):
            newer = f"{group_now}{citizen}"
            await publish(kafka_bootstrap, t.cases, snapshot(email=newer))
            await relay.mail_to(newer)
    assert len(relay.to(citizen)) == 1
    assert len(relay.to(email_of(sentinel))) == 1


async def test_a_new_answer_after_a_reopen_is_a_new_mail(
    kafka_bootstrap: str, db: asyncpg.Pool, loop_topics: LoopTopics, relay: Relay
) -> None:
    t = loop_topics
    citizen = f"anna.{uuid.uuid4().hex[:8]}@example.org"
    first = snapshot(email=citizen, seq=5, text="Prima risposta")
    reopened = again(first, status=CaseStatus.ASSIGNED, answer=None)
    second = again(
        reopened,
        status=CaseStatus.REJECTED,
        answer=CaseAnswer(
            seq=8,
            outcome=CaseStatus.REJECTED,
            text="Strada privata",
            body="strade",
            answered_at=NOW,
        ),
    )
    async with notifier_running(
        kafka_bootstrap,
        db,
        relay.config,
        cases_topic=t.cases,
        notifications_topic=t.notifications,
        group=f"loop-n-{uuid.uuid4().hex[:8]}",
    ):
        await publish(kafka_bootstrap, t.cases, first, reopened, second)
        await eventually(lambda: _count(relay, citizen, 2))
    subjects = [m["Subject"] for m in relay.to(citizen)]
    assert "risolta" in subjects[0] and "respinta" in subjects[1]
    assert "Strada privata" in relay.to(citizen)[1].get_content()


async def _count(relay: Relay, address: str, n: int) -> bool:
    return len(relay.to(address)) >= n


async def test_a_refused_address_is_recorded_and_the_relay_down_holds_the_notice(
    kafka_bootstrap: str, db: asyncpg.Pool, loop_topics: LoopTopics, relay: Relay
) -> None:
    t = loop_topics
    refused = snapshot(CaseStatus.REJECTED, email=f"nobody.{uuid.uuid4().hex[:8]}@example.org")
    relay.refuse.add(email_of(refused))
    held = snapshot(email=f"held.{uuid.uuid4().hex[:8]}@example.org")
    kw: dict[str, Any] = {
        "cases_topic": t.cases,
        "notifications_topic": t.notifications,
        "group": f"loop-n-{uuid.uuid4().hex[:8]}",
    }
    async with notifier_running(kafka_bootstrap, db, relay.config, **kw) as notifier:
        await publish(kafka_bootstrap, t.cases, refused)
        events = await notified(
            kafka_bootstrap, t.notifications, until=f"{refused.case_id}/answer/5"
        )
        [event] = events
        assert not event.data.delivered
        assert "550" in (event.data.detail or "")
        row = await ledger_row(db, event.id)
        assert row is not None and row["state"] == "refused"

        await relay.stop()
        await publish(kafka_bootstrap, t.cases, held)

        async def tried_twice() -> bool:
            row = await ledger_row(db, f"{held.case_id}/answer/5")
            return notifier.retries >= 2 and row is None  # claimed, failed, released

        await eventually(tried_twice)
        assert relay.to(email_of(held)) == []
        await relay.start()
        await relay.wait_for(lambda m: m["To"] == email_of(held))
    assert relay.to(email_of(refused)) == []
    assert len(relay.to(email_of(held))) == 1
