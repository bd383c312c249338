"""A probe's fingerprint is computed once per submission, even across stages: stage B hands
what it computed to stage C (one partition for every submission) in its message."""

import json

import pytest

import processors.dedup.probe as probe_module
from processors.dedup import Deduplicator, NewCase, Related
from processors.dedup.probe import computed_fingerprint, probe_of
from processors.dedup.text import Fingerprint, fingerprint
from processors.stages.dedup import ForCitizen, ForPlace
from schemas.case import case_id_for
from schemas.submission import Channel

from .conftest import MakeSubmission

TEXT = "Lampione spento in via Padova 12 da una settimana, la strada è buia di notte."


def test_nothing_is_passed_on_that_was_not_computed(submission: MakeSubmission) -> None:
    probe = probe_of(submission("w-1", Channel.WEB, TEXT))
    assert computed_fingerprint(probe) is None
    computed = probe.fingerprint
    assert computed_fingerprint(probe) is computed


def test_a_carried_fingerprint_is_used_not_computed_again(
    submission: MakeSubmission, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = submission("w-1", Channel.WEB, TEXT, address="Via Padova 12")
    # As stage B's message carries it: JSON there and back.
    carried = Fingerprint.from_state(json.loads(json.dumps(fingerprint(TEXT).to_state())))
    monkeypatch.setattr(probe_module, "fingerprint", lambda _text: pytest.fail("computed again"))
    probe = probe_of(s, carried)
    assert probe.fingerprint is carried
    assert carried == fingerprint(TEXT)


def test_stage_c_decides_alike_with_a_carried_fingerprint(submission: MakeSubmission) -> None:
    first = submission("w-1", Channel.WEB, TEXT, address="Via Padova 12", email="a@example.org")
    again = submission(
        "w-2", Channel.WEB, "Via Padova 12: il lampione è spento, buio.", address="Via Padova 12"
    )

    def relate(carry: bool) -> NewCase | Related:
        stage_c = Deduplicator(places={})
        for s, key in ((first, "k1"), (again, "k2")):
            carried = fingerprint(s.text) if carry else None
            decision = stage_c.relate(
                NewCase(case_id_for(s.submission_id), s.submission_id), key, probe_of(s, carried)
            )
        return decision

    decided = relate(carry=True)
    assert isinstance(decided, Related)
    assert decided == relate(carry=False)


def test_a_stage_reads_a_message_with_fields_it_does_not_know() -> None:
    """As an older worker's stage C reads what a newer stage B sent, in a rolling upgrade."""
    sent = {"citizen_key": "k1", "case_id": "CASE-0000-0000-0001", "from_a_newer_stage": [1]}
    got = ForPlace.model_validate_json(json.dumps(sent))
    assert (got.citizen_key, got.fingerprint) == ("k1", None)
    assert ForCitizen.model_validate_json(json.dumps(sent | {"case_id": None})).citizen_key == "k1"
