"""Sorting through the real worker and broker: submissions on complaints.intake come out
routed with the rule that fired; an email and then a fax from the same citizen are one
case with the merge's evidence; a body's "not ours" on complaints.status re-routes the case,
and a report the lifecycle refuses goes to the dead letters. A message on an internal topic
that no stage can handle is a dead letter too, and the worker goes on."""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from processors.stages.topology import internal_topic_name
from runtime.topics import CASE_COMMANDS, DEDUP_CITIZEN, DEDUP_PLACE
from schemas import topics
from schemas.case import CaseStatus, case_id_for
from schemas.events import (
    CaseAssigned,
    CaseDeduplicated,
    CaseTriaged,
    CaseUpdated,
    DeadLettered,
    StatusReported,
)
from schemas.evidence import MatchSignal
from schemas.status import Actor, StatusUpdate, Transition
from schemas.submission import Channel
from tests.integration.pipeline.support import (
    Sender,
    Watcher,
    WorkerProcess,
    prepare_app,
    start_worker,
    submission_event,
    trace,
    unique_app_id,
)

pytestmark = pytest.mark.integration

BODIES = (
    "strade", "mobilita", "verde", "ambiente", "rifiuti", "trasporti", "acqua",
    "illuminazione", "polizia_locale", "anagrafe", "tributi", "servizi_sociali", "scuole",
    "casa",
)  # fmt: skip
WATCHED = (topics.CASES, topics.TRIAGE, topics.DEADLETTER, *(topics.routed(b) for b in BODIES))


@pytest.fixture(scope="module")
async def watcher(pipeline_kafka: str) -> AsyncIterator[Watcher]:
    w = await Watcher(pipeline_kafka, WATCHED).start()
    yield w
    await w.stop()


@pytest.fixture(scope="module")
async def worker(
    pipeline_kafka: str, watcher: Watcher, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WorkerProcess]:
    app_id = unique_app_id("sorting")
    await prepare_app(pipeline_kafka, app_id)
    proc = start_worker(pipeline_kafka, app_id, tmp_path_factory.mktemp("sorting"), "worker")
    try:
        await proc.ready()
        yield proc
    finally:
        proc.stop()


def now() -> datetime:
    return datetime.now(UTC)


def marker() -> str:
    return uuid.uuid4().hex[:12]


def phone() -> str:
    return f"+39 02 {random.randrange(10**7, 10**8)}"


def snapshots(watcher: Watcher, case_id: str) -> list[CaseUpdated]:
    return watcher.events(topics.CASES, subject=case_id, kind=CaseUpdated)


def latest(watcher: Watcher, case_id: str) -> CaseUpdated | None:
    found = snapshots(watcher, case_id)
    return max(found, key=lambda e: e.data.version) if found else None


async def version(watcher: Watcher, case_id: str, at_least: int = 1) -> CaseUpdated:
    """The case's latest snapshot once its version is at least `at_least`."""

    def probe() -> CaseUpdated | None:
        found = latest(watcher, case_id)
        return found if found is not None and found.data.version >= at_least else None

    return await watcher.until(probe, 30, f"{case_id} version {at_least}")


def log_of(worker: WorkerProcess) -> str:
    return "worker log:\n" + worker.text()[-3000:]


ROUTED = [
    # text, channel, hint, body, rule
    ("Lampione spento da una settimana in via Padova 44", Channel.WEB, "lampioni",
     "illuminazione", "default:lampioni"),
    ("Lastre di eternit rotte abbandonate accanto alla buca di via Crema", Channel.APP,
     "buche_stradali", "ambiente", "asbestos"),
    ("Dalla buca di viale Monza esce acqua: c'è un tubo rotto sotto l'asfalto",
     Channel.CONTACT_CENTRE, "buche_stradali", "acqua", "water-main-damage"),
    ("Presento ricorso contro il verbale di sosta n. 48213 notificato il 3 novembre",
     Channel.FAX, "sosta_irregolare", "polizia_locale", "fine-appeals-by-paper"),
    ("Il cartello stradale è stato piegato dal tram sui binari di via Farini",
     Channel.EMAIL, "segnaletica", "trasporti", "trams-and-metro"),
]  # fmt: skip


async def test_submissions_come_out_routed_with_the_rule_that_fired(
    worker: WorkerProcess, watcher: Watcher, sender: Sender
) -> None:
    tag = marker()
    events = [
        submission_event(f"{tag}-{i}", f"{text} [{tag}]", now(), channel=channel, hint=hint)
        for i, (text, channel, hint, _, _) in enumerate(ROUTED)
    ]
    await sender.send(topics.INTAKE, *events)

    for event, (_, _, hint, body, rule) in zip(events, ROUTED, strict=True):
        case_id = case_id_for(event.data.submission_id)

        def assigned(case_id: str = case_id, body: str = body) -> list[CaseAssigned]:
            return watcher.events(topics.routed(body), subject=case_id, kind=CaseAssigned)

        try:
            [assignment] = await watcher.until(assigned, 60, f"{case_id} assigned to {body}")
        except AssertionError:
            raise AssertionError(log_of(worker)) from None
        assert assignment.data.rule_id == rule
        assert assignment.data.category == hint
        assert assignment.data.tracking_id == event.data.submission_id
        assert assignment.data.explanation
        snapshot = await version(watcher, case_id)
        assert snapshot.data.status is CaseStatus.ASSIGNED
        assert (snapshot.data.body, snapshot.data.routing_rule_id) == (body, rule)
        assert snapshot.data.deadline_at == assignment.data.deadline_at is not None
        assert watcher.events(topics.TRIAGE, subject=case_id) == []


EMAIL = (
    "Buongiorno, in via Giambellino 58 c'è una buca profonda davanti al civico, "
    "ieri sera un motorino è caduto. Chiedo un intervento urgente."
)
FAX = (
    "Spett. Comune, segnalo di nuovo la buca pericolosa in via Giambellino 58: "
    "un motociclista è già caduto. Vi prego di intervenire."
)


async def test_an_email_then_a_fax_from_the_same_citizen_are_one_case(
    worker: WorkerProcess, watcher: Watcher, sender: Sender
) -> None:
    tag, number = marker(), phone()
    email = submission_event(
        f"<{tag}@mail.example.it>",
        EMAIL,
        now(),
        channel=Channel.EMAIL,
        hint="buche_stradali",
        email=f"giulia.{tag}@example.it",
        phone=number,
        name="Giulia Bianchi",
    )
    await sender.send(topics.INTAKE, email)
    case_id = case_id_for(email.data.submission_id)
    await version(watcher, case_id)

    fax = submission_event(f"fax-{tag}", FAX, now(), channel=Channel.FAX, phone=number)
    await sender.send(topics.INTAKE, fax)

    def merged() -> list[CaseDeduplicated]:
        return [
            e
            for e in watcher.events(topics.CASES, subject=case_id, kind=CaseDeduplicated)
            if e.data.decision.kind == "merged"
        ]

    [merge] = await watcher.until(merged, 60, "the fax merged into the email's case")
    snapshot = await version(watcher, case_id, 2)
    data = snapshot.data
    assert data.tracking_ids == (email.data.submission_id, fax.data.submission_id)
    assert data.channels == (Channel.EMAIL, Channel.FAX)
    [record] = data.merges
    assert record.submission_id == fax.data.submission_id
    assert MatchSignal.PHONE in record.evidence.signals
    assert record.evidence.matched_submission_id == email.data.submission_id
    assert merge.data.decision.kind == "merged"
    assert merge.data.decision.text == FAX
    # The owner is told; the fax never became a case of its own.
    on_routed = watcher.events(topics.routed("strade"), subject=case_id, kind=CaseDeduplicated)
    assert [e.id for e in on_routed] == [merge.id]
    assert snapshots(watcher, case_id_for(fax.data.submission_id)) == []


def status(case_id: str, transition: Transition, **fields: object) -> StatusReported:
    update = StatusUpdate.model_validate(
        {"case_id": case_id, "transition": transition, "reported_at": now(), **fields}
    )
    return StatusReported.new(
        update, source="/tests/department", subject=case_id, time=update.reported_at
    )


async def test_a_refused_case_is_re_routed_and_then_sent_to_triage(
    worker: WorkerProcess, watcher: Watcher, sender: Sender
) -> None:
    tag = marker()
    sub = submission_event(
        f"refused-{tag}",
        f"Lastre di eternit rotte accanto alla buca di via Padova 12 [{tag}]",
        now(),
        hint="buche_stradali",
    )
    await sender.send(topics.INTAKE, sub)
    case_id = case_id_for(sub.data.submission_id)
    await watcher.until(
        lambda: watcher.events(topics.routed("ambiente"), subject=case_id), 60, "to ambiente"
    )

    not_ours = status(
        case_id, Transition.REASSIGN, actor=Actor.BODY, body="ambiente", reason="Non è amianto"
    )
    await sender.send(topics.STATUS, not_ours)

    def to_strade() -> list[CaseAssigned]:
        return watcher.events(topics.routed("strade"), subject=case_id, kind=CaseAssigned)

    [assignment] = await watcher.until(to_strade, 30, "re-routed to strade")
    assert assignment.data.rule_id == "default:buche_stradali"
    assert "ambiente refused it: 'Non è amianto'" in assignment.data.explanation
    snapshot = await version(watcher, case_id, 2)
    assert snapshot.data.body == "strade"
    assert snapshot.data.status is CaseStatus.REASSIGNED
    assert snapshot.data.routing_rule_id == "default:buche_stradali"
    assert [r.body for r in snapshot.data.refusals] == ["ambiente"]

    # A report the lifecycle refuses (not the owner) is a dead letter and changes nothing.
    wrong = status(case_id, Transition.ACKNOWLEDGE, actor=Actor.BODY, body="verde")
    await sender.send(topics.STATUS, wrong)
    [letter] = await watcher.until(
        lambda: watcher.events(topics.DEADLETTER, subject=wrong.id, kind=DeadLettered),
        30,
        "the refused report dead-lettered",
    )
    assert letter.data.reason == "refused_not_owner"

    # The second body refuses too: nobody else is left, so a person sorts it.
    await sender.send(
        topics.STATUS,
        status(case_id, Transition.REASSIGN, actor=Actor.BODY, body="strade", reason="Privato"),
    )
    [triaged] = await watcher.until(
        lambda: watcher.events(topics.TRIAGE, subject=case_id, kind=CaseTriaged), 30, "triage"
    )
    assert triaged.data.reason == "all_refused"
    assert triaged.data.refused_by == ("ambiente", "strade")
    await version(watcher, case_id, 3)
    versions = [s.data.version for s in snapshots(watcher, case_id)]
    assert versions == sorted(set(versions)) == [1, 2, 3], "the refused report made no version"


async def test_a_merge_right_behind_its_case_is_not_lost_when_the_place_stage_lags(
    worker: WorkerProcess, watcher: Watcher, sender: Sender, pipeline_kafka: str
) -> None:
    """The fax arrives while the email's new case still waits in the place stage (one
    partition, here behind 200 other citizens' new complaints): the merge must reach the
    case agent after the case it joins, not before, when it would find no case to join."""
    tag, number = marker(), phone()
    backlog = [
        submission_event(
            f"backlog-{tag}-{i}", f"Buca numero {i} [{tag}]", now(), hint="buche_stradali",
            phone=phone(),
        )
        for i in range(200)
    ]  # fmt: skip
    email = submission_event(
        f"<{tag}@mail.example.it>", EMAIL, now(), channel=Channel.EMAIL, hint="buche_stradali",
        email=f"giulia.{tag}@example.it", phone=number, name="Giulia Bianchi",
    )  # fmt: skip
    fax = submission_event(f"fax-{tag}", FAX, now(), channel=Channel.FAX, phone=number)
    await sender.send(topics.INTAKE, *backlog, email, fax)

    # Both arrive together on two partitions of the intake: either may open the case.
    both = {email.data.submission_id, fax.data.submission_id}

    def merged() -> CaseUpdated | None:
        return next(
            (
                e
                for e in watcher.events(topics.CASES, kind=CaseUpdated)
                if set(e.data.tracking_ids) == both
            ),
            None,
        )

    try:
        snapshot = await watcher.until(merged, 30, "one case with both submissions")
    except AssertionError:
        found = await trace(pipeline_kafka, worker.app_id, sorted(both))
        raise AssertionError(f"{found.text()}\n{log_of(worker)}") from None
    first, second = snapshot.data.tracking_ids
    assert snapshot.data.case_id == case_id_for(first)
    assert [m.submission_id for m in snapshot.data.merges] == [second]
    others = [
        e
        for e in watcher.events(topics.CASES, kind=CaseUpdated)
        if e.subject != snapshot.subject and both & set(e.data.tracking_ids)
    ]
    assert others == [], "one case, not two"


async def test_a_message_no_stage_can_handle_is_a_dead_letter_and_the_worker_goes_on(
    worker: WorkerProcess, watcher: Watcher, sender: Sender
) -> None:
    """Anyone who may write to the broker may write to the worker's internal topics: what
    they write there must neither stop the worker nor disappear unseen."""
    tag = marker()
    for declared in (DEDUP_CITIZEN, DEDUP_PLACE, CASE_COMMANDS):
        name = internal_topic_name(worker.app_id, declared)
        await sender.send_raw(
            name, tag.encode(), b'{"not": "ours", "tag": "' + tag.encode() + b'"}'
        )

    def letters() -> list[DeadLettered] | None:
        found = [
            e
            for e in watcher.events(topics.DEADLETTER, kind=DeadLettered)
            if e.data.reason == "processing_failed" and worker.app_id in e.data.source_ref
        ]
        return found if len(found) >= 3 else None

    try:
        found = await watcher.until(letters, 60, "three dead letters")
    except AssertionError:
        raise AssertionError(log_of(worker)) from None
    assert sorted(e.data.stage for e in found) == [
        "processors.cases",
        "processors.dedup-citizen",
        "processors.dedup-place",
    ]
    assert all(e.data.detail.startswith("ValidationError") for e in found), found

    submission = submission_event(tag, f"Lampione spento in via Padova [{tag}]", now())
    await sender.send(topics.INTAKE, submission)
    case_id = case_id_for(submission.data.submission_id)
    try:
        await version(watcher, case_id)
    except AssertionError:
        raise AssertionError(log_of(worker)) from None
    assert worker.proc.poll() is None
