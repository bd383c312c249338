"""Every real message we have, delivered over SMTP to the real server and the real broker,
is answered and accounted for: a submission or follow-up on `complaints.intake`, a dead
letter on `complaints.deadletter` (both with the raw bytes kept), or a recorded
non-complaint. None is missing."""

import asyncio
import hashlib

import pytest

from ingestors.smtp.intake import idempotency_ref
from ingestors.smtp.mime import parse_message
from schemas import topics
from schemas.events import DeadLettered, FollowUpReceived, SubmissionReceived
from tests.integration.smtp.conftest import RunningIntake, TopicReader, crlf, send
from tests.unit.smtp.corpus import corpus_files, corpus_id, cpython_email_corpus

pytestmark = pytest.mark.integration


async def test_every_corpus_message_ends_somewhere(
    intake: RunningIntake, topics_reader: TopicReader
) -> None:
    assert cpython_email_corpus() is not None, "this interpreter has no `test` package"
    files = corpus_files()
    messages = [crlf(path.read_bytes()) for path in files]
    refs = [idempotency_ref(m, parse_message(m)) for m in messages]
    digests = [hashlib.sha256(m).hexdigest() for m in messages]
    marks = await topics_reader.mark(topics.INTAKE, topics.DEADLETTER)

    replies = await asyncio.to_thread(send, intake.port, messages)

    assert [code for code, _ in replies] == [250] * len(files), [
        (corpus_id(f), r) for f, r in zip(files, replies, strict=True) if r[0] != 250
    ]
    fates = {ref: intake.recorder.by_ref[ref][-1].fate for ref in refs}
    published = {ref for ref, fate in fates.items() if fate and fate.value != "not_complaint"}
    wanted = {(ref, digest) for ref, digest in zip(refs, digests, strict=True) if ref in published}

    def kept(event: object) -> tuple[str, str] | None:
        if isinstance(event, SubmissionReceived | FollowUpReceived):
            raw = event.data.raw
            return (event.data.idempotency_ref, raw.sha256) if raw else None
        if isinstance(event, DeadLettered) and event.data.raw is not None:
            return (event.data.source_ref.removeprefix("smtp:"), event.data.raw.sha256)
        return None

    events = await topics_reader.read(
        marks, lambda found: wanted <= {kept(e) for _t, _k, e in found}, timeout_s=90
    )
    seen = {kept(e) for _t, _k, e in events}
    missing = [
        corpus_id(path)
        for path, ref, digest in zip(files, refs, digests, strict=True)
        if ref in published and (ref, digest) not in seen
    ]
    assert missing == []
    not_complaints = [ref for ref in refs if ref not in published]
    for ref in not_complaints:
        assert intake.recorder.by_ref[ref][-1].reply.startswith("250 2.0.0")
    # The corpus holds each kind of fate at least once.
    kinds = {fate.value for fate in fates.values() if fate}
    assert kinds == {"complaint", "not_complaint", "dead_letter"}
    for topic, key, event in events:
        if isinstance(event, SubmissionReceived) and kept(event) in wanted:
            assert topic == topics.INTAKE
            assert key == event.data.submission_id
            assert event.data.raw is not None
            stored = intake.var_dir / "blobs" / "sha256" / event.data.raw.sha256[:2]
            assert (stored / event.data.raw.sha256).is_file()
