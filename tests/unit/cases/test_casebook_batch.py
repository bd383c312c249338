"""A batch of commands classified at once: the texts the book would classify one at a time
go to `classify_many` in one call, and every case opens as it would have alone."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from processors.cases.book import Guess
from tests.unit.cases.support import T0, UNSURE, FakeClassifier, book_with, opening, submission


@dataclass
class ManyAtOnce:
    """`FakeClassifier` for many texts, remembering each call's texts."""

    one: FakeClassifier = field(default_factory=FakeClassifier)
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, texts: Sequence[str]) -> list[Guess]:
        self.calls.append(list(texts))
        return [self.one(t) for t in texts]


def test_a_batch_is_classified_in_one_call_and_opens_as_one_at_a_time() -> None:
    alone = FakeClassifier()
    many = ManyAtOnce()
    book = replace(book_with(alone), classify_many=many)
    subs = [
        submission("b-1", "Una buca in via Padova 12"),
        submission("b-2", "Lampione spento", hint="lampioni"),
        submission("b-3", f"{UNSURE} un albero, o un parco?"),
        submission("b-4", "Rifiuti in strada", subject="Cassonetti"),
        submission("b-5", "Una buca in via Padova 12"),  # the same text as b-1
    ]
    commands = [opening(s) for s in subs]

    batch_book = book.with_guesses(commands)
    steps = [batch_book.open(c, T0) for c in commands]

    assert many.calls == [
        [
            "Una buca in via Padova 12",
            f"{UNSURE} un albero, o un parco?",
            "Cassonetti\nRifiuti in strada",
        ]
    ], "one call, each text once, none for a known hint"
    assert alone.asked == [], "nothing classified one at a time"
    assert [s.record for s in steps] == [book.open(c, T0).record for c in commands]


def test_a_book_without_classify_many_classifies_one_at_a_time() -> None:
    alone = FakeClassifier()
    book = book_with(alone)
    command = opening(submission("c-1", "Il semaforo lampeggia"))

    assert book.with_guesses([command]) is book
    step = book.with_guesses([command]).open(command, T0)

    assert alone.asked == ["Il semaforo lampeggia"]
    assert step.record is not None and step.record.snapshot.category == "semafori"
