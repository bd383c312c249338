"""A citizen's reply says "not solved" only in their own words, not in what it quotes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.cases.contest import own_words, reopen_reason, says_not_solved

NOTIFICATION_QUOTED = (
    "Gentile cittadina, gentile cittadino,\n\n"
    "la pratica SP-AAAA-BBBB-CCCC è stata risolta.\n"
    'Se il problema non è risolto, risponda a questo messaggio scrivendo "NON RISOLTO".\n'
)


@pytest.mark.parametrize(
    "reply",
    [
        "NON RISOLTO",
        "non risolto, la buca è ancora lì",
        "Il problema non è stato risolto.",
        "La buca non è ancora stata risolta!",
        "Non e' risolto per niente",
        "It is NOT SOLVED",
        "The streetlight has not been fixed",
        "This isn't solved at all",
        "Problema irrisolto",
        "still unresolved",
    ],
)
def test_a_reply_saying_not_solved_is_recognised(reply: str) -> None:
    assert says_not_solved(reply)
    assert says_not_solved(f"{reply}\n\n> {NOTIFICATION_QUOTED}")


@pytest.mark.parametrize(
    "reply",
    [
        "Grazie, tutto risolto!",
        "Thank you, it is solved.",
        "Grazie, non c'è altro: è risolto",
        "Perfetto, grazie mille",
        "Thanks. Fixed indeed, nothing more to add",
        "",
    ],
)
def test_thanks_and_questions_are_not_a_contest(reply: str) -> None:
    assert not says_not_solved(reply)


@pytest.mark.parametrize(
    "marker",
    [
        "> ",
        "Il giorno mar 10 mar 2026 alle 09:00 Sportello <reclami@x.it> ha scritto:\n",
        "On Tue, Mar 10, 2026 at 9:00 AM Sportello <reclami@x.it> wrote:\n",
        "-----Original Message-----\n",
        "-----Messaggio originale-----\n",
        "________________________________\nDa: Sportello reclami\n",
        "",  # a client that quotes with no marker at all: our own first line stops it
    ],
)
def test_the_instructions_quoted_below_a_thank_you_do_not_reopen(marker: str) -> None:
    reply = "Grazie, ora funziona.\n\n" + marker + NOTIFICATION_QUOTED
    assert not says_not_solved(reply)
    assert own_words(reply).strip() == "Grazie, ora funziona."


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300))
def test_any_text_gives_an_answer_and_a_reason_within_the_schema_s_limit(text: str) -> None:
    says_not_solved(text)
    reason = reopen_reason(text * 20)
    assert 1 <= len(reason) <= 2000


def test_the_reason_carries_the_citizen_s_words_without_the_quote() -> None:
    reason = reopen_reason("Non risolto:   la buca\nè ancora lì\n> citazione")
    assert reason == "the citizen replied that it is not solved: Non risolto: la buca è ancora lì"
