"""Dedup state lives in Faust tables: JSON, bounded, and replays decide the same way."""

import json
from collections.abc import Callable, Iterator, MutableMapping
from datetime import timedelta
from typing import Any

from processors.dedup import Deduplicator
from processors.dedup.citizen import CitizenCases
from processors.dedup.decisions import DedupConfig, Merge
from processors.dedup.probe import probe_of
from schemas.submission import Channel, Submission

MakeSubmission = Callable[..., Submission]


class JsonTable(MutableMapping[str, Any]):
    """A mapping that keeps values as JSON text, as a Faust table with a JSON codec does:
    anything that is not plain JSON fails here, and nothing is shared by reference."""

    def __init__(self) -> None:
        self._rows: dict[str, str] = {}

    def __getitem__(self, key: str) -> Any:
        return json.loads(self._rows[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self._rows[key] = json.dumps(value)

    def __delitem__(self, key: str) -> None:
        del self._rows[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._rows))

    def __len__(self) -> int:
        return len(self._rows)


def _stream(submission: MakeSubmission) -> list[Submission]:
    texts = [
        "Buca profonda sul marciapiede di via Garibaldi 14, mia madre è caduta.",
        "Il lampione di via Verdi 3 è spento da una settimana.",
        "Sollecito per la buca di via Garibaldi 14 dove è caduta mia madre.",
        "Rats near the bins in Via Padova 120, rubbish not collected.",
        "Topi vicino ai cassonetti in via Padova 120, rifiuti non raccolti.",
    ]
    people: list[dict[str, Any]] = [
        {"email": "maria.rossi@example.it"},
        {"phone": "333 1234567"},
        {"email": "Maria.Rossi@example.it", "phone": "051 2345678"},
        {"email": "john@example.org"},
        {"details": {"fax_number": "0512345678"}},
    ]
    channels = [Channel.WEB, Channel.EMAIL, Channel.FAX]
    addresses = [
        "Via Garibaldi 14",
        "Via Verdi 3",
        "via garibaldi, 12",
        "Via Padova 120",
        "via Padova 118",
    ]
    stream = [
        submission(
            f"ref-{i}",
            channels[i % 3],
            texts[i % 5],
            days=i * 0.7,
            address=addresses[i % 5],
            **people[(i // 5) % 5],
        )
        for i in range(30)
    ]
    # ten redeliveries, a little later, as a webhook retry or an SMTP re-send would be
    stream += [
        s.model_copy(update={"received_at": s.received_at + timedelta(hours=1)})
        for s in stream[:10]
    ]
    return stream


def test_state_round_trips_through_json_and_decides_identically(
    submission: MakeSubmission,
) -> None:
    stream = _stream(submission)
    plain = Deduplicator()
    as_json = Deduplicator(identities=JsonTable(), citizens=JsonTable(), places=JsonTable())
    decisions = [plain.decide(s) for s in stream]
    assert decisions == [as_json.decide(s) for s in stream]
    kinds = {type(d).__name__ for d in decisions}
    assert kinds == {"NewCase", "Merge", "Related", "Redelivery"}


def test_a_replay_from_empty_state_decides_the_same(submission: MakeSubmission) -> None:
    """No clock, no randomness: the decisions are a function of the stream."""
    stream = _stream(submission)
    assert _replay(stream) == _replay(stream)


def _replay(stream: list[Submission]) -> list[object]:
    dedup = Deduplicator()
    return [dedup.decide(s) for s in stream]


def test_citizen_state_is_bounded(submission: MakeSubmission) -> None:
    config = DedupConfig(max_cases_per_citizen=5, max_members_per_case=3)
    store = CitizenCases.from_state(None, config)
    for i in range(30):
        text = f"Segnalazione numero {i}: problema diverso {i} tipo{i} cosa{i} via{i}"
        store.decide(
            probe_of(submission(f"r{i}", Channel.WEB, text, days=i * 0.1, email="x@example.it"))
        )
    assert len(store.cases) == 5
    for i in range(10):
        decision = store.decide(
            probe_of(
                submission(
                    f"s{i}",
                    Channel.WEB,
                    "Segnalazione numero 29: problema diverso 29 tipo29 cosa29 via29",
                    days=3 + i * 0.1,
                    email="x@example.it",
                )
            )
        )
        assert isinstance(decision, Merge)
    assert max(len(c["m"]) for c in store.cases) == 3
    assert len(json.dumps(store.to_state())) < 60_000


def test_cases_past_the_window_leave_the_state(submission: MakeSubmission) -> None:
    store = CitizenCases.from_state(None, DedupConfig())
    store.decide(probe_of(submission("a", Channel.WEB, "Buca in via Roma 3", email="x@example.it")))
    store.decide(
        probe_of(submission("b", Channel.WEB, "Lampione spento", days=40, email="x@example.it"))
    )
    assert [c["m"][0]["s"] for c in store.cases] == [
        probe_of(submission("b", Channel.WEB, "x")).submission_id
    ]
    assert len(store.seen) == 2  # redeliveries are still recognised for 90 days
